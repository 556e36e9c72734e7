// The compute market from unmodified cosmjs: deai's message types are registered in a cosmjs
// Registry straight from deai's .proto files (protobufjs), then a provider and an order are
// created with signed txs, the order is read back over an ABCI query, a bad bid is refused
// with its compute code, and an inference request is encoded the same way and reaches the
// inference module. Usage: node compute.mjs <localnet.json>
// Prints one JSON line with what it saw; exits non-zero with one error line on any failure.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { SigningStargateClient, GasPrice, defaultRegistryTypes, assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import { DirectSecp256k1HdWallet, Registry } from "@cosmjs/proto-signing";

const here = dirname(fileURLToPath(import.meta.url));
const protoDir = join(here, "../../proto");

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

// deai's protos import two Cosmos files (proto/third_party) and Google's http annotations
// (shipped with protobufjs).
async function loadDeaiProtos() {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target.startsWith("cosmos/")) return join(protoDir, "third_party", target);
    if (target.startsWith("google/")) return join(here, "node_modules/protobufjs", target);
    return join(protoDir, target);
  };
  await root.load(
    ["deai/compute/v1/tx.proto", "deai/compute/v1/query.proto", "deai/inference/v1/tx.proto", "deai/inference/v1/query.proto"],
    { keepCase: false },
  );
  return root;
}

// A cosmjs GeneratedType backed by a protobufjs type.
function generated(root, name) {
  const T = root.lookupType(name);
  return {
    encode: (message, writer) => T.encode(T.fromObject(message), writer),
    decode: (input) => T.toObject(T.decode(input), { longs: String, enums: String, defaults: true }),
    fromPartial: (object) => T.fromObject(object),
  };
}

const net = JSON.parse(readFileSync(process.argv[2], "utf8"));
const rpc = net.nodes[0].rpc;
const denom = net.denom;
const [requester, provider] = net.accounts;
const out = {};

const root = await loadDeaiProtos();
const registry = new Registry(defaultRegistryTypes);
for (const m of ["MsgCreateProvider", "MsgCreateOrder", "MsgCreateBid"]) {
  registry.register(`/deai.compute.v1.${m}`, generated(root, `deai.compute.v1.${m}`));
}
registry.register("/deai.inference.v1.MsgRequestInference", generated(root, "deai.inference.v1.MsgRequestInference"));
const gasPrice = GasPrice.fromString(`0.025${denom}`);
async function signer(account) {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account.mnemonic, { prefix: "deai" });
  return SigningStargateClient.connectWithSigner(rpc, wallet, { registry, gasPrice });
}

const prov = await signer(provider);
const created = await prov.signAndBroadcast(
  provider.address,
  [{
    typeUrl: "/deai.compute.v1.MsgCreateProvider",
    value: {
      owner: provider.address,
      hostUri: "http://127.0.0.1:9/artifacts",
      attributes: [{ key: "region", value: "eu" }],
      capacity: { cpuMillis: 4000, memoryBytes: 1 << 30 },
      stake: { denom, amount: "10000000" },
    },
  }],
  "auto",
);
assertIsDeliverTxSuccess(created);
out.providerEvents = created.events.filter((e) => e.type.startsWith("deai.compute.v1.")).map((e) => e.type);
check(out.providerEvents.includes("deai.compute.v1.EventProviderCreated"), "EventProviderCreated");

const req = await signer(requester);
const spec = Buffer.from(JSON.stringify({ job: "digits-mlp" }));
const ordered = await req.signAndBroadcast(
  requester.address,
  [{
    typeUrl: "/deai.compute.v1.MsgCreateOrder",
    value: {
      owner: requester.address,
      spec,
      specSha256: createHash("sha256").update(spec).digest(),
      requiredAttributes: [{ key: "region", value: "eu" }],
      resources: { cpuMillis: 1000 },
      maxPricePerBlock: { denom, amount: "10" },
      deposit: { denom, amount: "100000" },
      redundancy: 2,
      verification: { mode: "VERIFICATION_MODE_REDUNDANT" },
      bidWindow: 50,
      maxBlocks: 500,
    },
  }],
  "auto",
);
assertIsDeliverTxSuccess(ordered);
const createdEvent = ordered.events.find((e) => e.type === "deai.compute.v1.EventOrderCreated");
check(createdEvent, "EventOrderCreated");
// Typed-event attributes are proto3 JSON values: a uint64 is a quoted string.
out.orderId = JSON.parse(createdEvent.attributes.find((a) => a.key === "order_id").value);

// Queries are gRPC methods over ABCI; the response decodes with the same protos.
const QueryOrderRequest = root.lookupType("deai.compute.v1.QueryOrderRequest");
const QueryOrderResponse = root.lookupType("deai.compute.v1.QueryOrderResponse");
const cmt = req.getCometClient();
const answer = await cmt.abciQuery({
  path: "/deai.compute.v1.Query/Order",
  data: QueryOrderRequest.encode({ id: Number(out.orderId) }).finish(),
});
check(answer.code === 0, `order query code ${answer.code}`);
const order = QueryOrderResponse.toObject(QueryOrderResponse.decode(answer.value), { longs: String, enums: String }).order;
out.orderState = order.state;
out.orderOwner = order.owner;
out.redundancy = order.redundancy;

// A bid above the order's max price is refused in its block with compute code 26.
const bid = await prov.signAndBroadcast(
  provider.address,
  [{
    typeUrl: "/deai.compute.v1.MsgCreateBid",
    value: {
      provider: provider.address,
      orderId: Number(out.orderId),
      price: { denom, amount: "11" },
      deposit: { denom, amount: "1000000" },
    },
  }],
  { amount: [{ denom, amount: "10000" }], gas: "400000" },
);
out.badBidCode = bid.code;
out.badBidLog = bid.rawLog;

// The inference market's messages encode the same way: a zk request for a model that does
// not exist reaches the module and is refused with inference code 3.
const asked = await req.signAndBroadcast(
  requester.address,
  [{
    typeUrl: "/deai.inference.v1.MsgRequestInference",
    value: {
      requester: requester.address,
      modelId: 999,
      input: [1, 2, 3],
      fee: { denom, amount: "1000" },
      mode: "VERIFICATION_MODE_ZK",
      deadlineBlocks: 20,
    },
  }],
  { amount: [{ denom, amount: "10000" }], gas: "400000" },
);
out.inferenceCode = asked.code;
out.inferenceLog = asked.rawLog;
const InfParamsReq = root.lookupType("deai.inference.v1.QueryParamsRequest");
const InfParamsRes = root.lookupType("deai.inference.v1.QueryParamsResponse");
const p = await cmt.abciQuery({ path: "/deai.inference.v1.Query/Params", data: InfParamsReq.encode({}).finish() });
out.inferenceTakeRate = InfParamsRes.toObject(InfParamsRes.decode(p.value)).params.takeRate;

console.log(JSON.stringify(out));
