// What every cosmjs script here shares: deai's .proto files loaded with protobufjs, a cosmjs
// GeneratedType per message, a signing client per localnet account, and a typed ABCI query.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { SigningStargateClient, GasPrice } from "@cosmjs/stargate";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";

const here = dirname(fileURLToPath(import.meta.url));
const protoDir = join(here, "../../proto");

export function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

// deai's protos import two Cosmos files (proto/third_party) and Google's http annotations
// (shipped with protobufjs).
export async function loadDeaiProtos(files) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    if (target.startsWith("cosmos/")) return join(protoDir, "third_party", target);
    if (target.startsWith("google/")) return join(here, "node_modules/protobufjs", target);
    return join(protoDir, target);
  };
  await root.load(files, { keepCase: false });
  return root;
}

// A cosmjs GeneratedType backed by a protobufjs type.
export function generated(root, name) {
  const T = root.lookupType(name);
  return {
    encode: (message, writer) => T.encode(T.fromObject(message), writer),
    decode: (input) => T.toObject(T.decode(input), { longs: String, enums: String, defaults: true }),
    fromPartial: (object) => T.fromObject(object),
  };
}

// A signing client for a localnet account ({mnemonic, address}).
export async function signer(rpc, registry, denom, account) {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account.mnemonic, { prefix: "deai" });
  return SigningStargateClient.connectWithSigner(rpc, wallet, { registry, gasPrice: GasPrice.fromString(`0.025${denom}`) });
}

// Calls a gRPC query method over ABCI and decodes its response with the same protos.
export async function abciQuery(client, root, service, method, request) {
  const pkg = service.slice(0, service.lastIndexOf("."));
  const Req = root.lookupType(`${pkg}.Query${method}Request`);
  const Res = root.lookupType(`${pkg}.Query${method}Response`);
  const answer = await client.getCometClient().abciQuery({
    path: `/${service}/${method}`,
    data: Req.encode(Req.fromObject(request)).finish(),
  });
  check(answer.code === 0, `${method} query code ${answer.code}: ${answer.log}`);
  return Res.toObject(Res.decode(answer.value), { longs: String, enums: String, bytes: String, defaults: true });
}
