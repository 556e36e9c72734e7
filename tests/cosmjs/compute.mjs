// The compute market from unmodified cosmjs: deai's message types are registered in a cosmjs
// Registry straight from deai's .proto files (protobufjs), then a provider and an order are
// created with signed txs, the order is read back over an ABCI query, a bad bid is refused
// with its compute code, and an inference request is encoded the same way and reaches the
// inference module. Usage: node compute.mjs <localnet.json>
// Prints one JSON line with what it saw; exits non-zero with one error line on any failure.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { defaultRegistryTypes, assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import { Registry } from "@cosmjs/proto-signing";
import { check, loadDeaiProtos, generated, signer as signerFor, abciQuery } from "./deai.mjs";

const net = JSON.parse(readFileSync(process.argv[2], "utf8"));
const rpc = net.nodes[0].rpc;
const denom = net.denom;
const [requester, provider] = net.accounts;
const out = {};

const root = await loadDeaiProtos(
  ["deai/compute/v1/tx.proto", "deai/compute/v1/query.proto", "deai/inference/v1/tx.proto", "deai/inference/v1/query.proto"],
);
const registry = new Registry(defaultRegistryTypes);
for (const m of ["MsgCreateProvider", "MsgCreateOrder", "MsgCreateBid"]) {
  registry.register(`/deai.compute.v1.${m}`, generated(root, `deai.compute.v1.${m}`));
}
registry.register("/deai.inference.v1.MsgRequestInference", generated(root, "deai.inference.v1.MsgRequestInference"));
const signer = (account) => signerFor(rpc, registry, denom, account);

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
const order = (await abciQuery(req, root, "deai.compute.v1.Query", "Order", { id: Number(out.orderId) })).order;
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
out.inferenceTakeRate = (await abciQuery(req, root, "deai.inference.v1.Query", "Params", {})).params.takeRate;

console.log(JSON.stringify(out));
