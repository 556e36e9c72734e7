// The data market from unmodified cosmjs: deai.data.v1 messages registered from the .proto
// files (deai.mjs), an open dataset published with its content sha256 and metadata JSON, two
// datatokens bought (the payment split read from EventAccessBought), one sent on with a plain
// MsgSend of the `data/{id}` denom and redeemed by its receiver for a grant; the dataset, the
// grant and every balance read back over ABCI queries and over the node's REST routes; and a
// purchase above max_price refused by the data module. Usage: node data.mjs <localnet.json>
// Prints one JSON line with what it saw; exits non-zero with one error line on any failure.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { defaultRegistryTypes, assertIsDeliverTxSuccess, QueryClient, setupBankExtension } from "@cosmjs/stargate";
import { Registry } from "@cosmjs/proto-signing";
import { fromHex } from "@cosmjs/encoding";
import { check, loadDeaiProtos, generated, signer as signerFor, abciQuery } from "./deai.mjs";

const net = JSON.parse(readFileSync(process.argv[2], "utf8"));
const rpc = net.nodes[0].rpc;
const rest = net.nodes[0].rest;
const denom = net.denom;
const [publisher, buyer, holder, provider, market] = net.accounts;
const PRICE = 12345n;
const out = {};

const root = await loadDeaiProtos(["deai/data/v1/tx.proto", "deai/data/v1/query.proto", "deai/data/v1/events.proto"]);
const registry = new Registry(defaultRegistryTypes);
for (const m of ["MsgPublishDataset", "MsgBuyAccess", "MsgRedeemAccess"]) {
  registry.register(`/deai.data.v1.${m}`, generated(root, `deai.data.v1.${m}`));
}
const signer = (account) => signerFor(rpc, registry, denom, account);
const coin = (amount) => ({ denom, amount: String(amount) });
// Typed-event attributes are proto3 JSON values: a uint64 or a string is quoted, a Coin is
// an object.
const attr = (ev, key) => JSON.parse(ev.attributes.find((a) => a.key === key).value);
const event = (res, type) => {
  const ev = res.events.find((e) => e.type === type);
  check(ev, type);
  return ev;
};
// A message response from the tx result, decoded with the same protos.
const msgResponse = (res, name) => {
  const T = root.lookupType(name);
  const any = res.msgResponses.find((r) => r.typeUrl === `/${name}`);
  check(any, `msgResponse ${name}`);
  return T.toObject(T.decode(any.value), { longs: String, enums: String, defaults: true });
};
async function getRest(path) {
  const res = await fetch(`${rest}${path}`, { signal: AbortSignal.timeout(20000) });
  const body = await res.json();
  check(res.status === 200, `GET ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const pub = await signer(publisher);
const buy = await signer(buyer);
const hold = await signer(holder);
// Bank balances over ABCI (cosmos.bank.v1beta1.Query through cosmjs's bank extension).
const bank = QueryClient.withExtensions(pub.getCometClient(), setupBankExtension).bank;
const balance = async (address, d) => BigInt((await bank.balance(address, d)).amount);

// Publish an open dataset: its content hash, its metadata JSON, a price per token.
const content = Buffer.from("x,y\n1,2\n3,4\n");
const contentSha256 = createHash("sha256").update(content).digest();
out.contentSha256 = contentSha256.toString("hex");
const metadata = JSON.stringify({ name: "tiny-xy", description: "two rows", schema: "x:int,y:int", license: "CC0-1.0" });
const published = await pub.signAndBroadcast(
  publisher.address,
  [{
    typeUrl: "/deai.data.v1.MsgPublishDataset",
    value: {
      publisher: publisher.address,
      contentSha256,
      size: content.length,
      metadata,
      price: coin(PRICE),
      provider: { address: provider.address, hostUri: `http://127.0.0.1:9/blobs/${out.contentSha256}` },
      access: "ACCESS_OPEN",
    },
  }],
  "auto",
);
assertIsDeliverTxSuccess(published);
const pubEv = event(published, "deai.data.v1.EventDatasetPublished");
out.datasetId = attr(pubEv, "dataset_id");
out.denom = attr(pubEv, "denom");
const pubRes = msgResponse(published, "deai.data.v1.MsgPublishDatasetResponse");
check(pubRes.datasetId === out.datasetId && pubRes.denom === out.denom, `publish response ${JSON.stringify(pubRes)}`);
const id = Number(out.datasetId);

// Buy 2 datatokens, naming a consume market with a 1% fee.
const before = {
  buyer: await balance(buyer.address, denom),
  publisher: await balance(publisher.address, denom),
  provider: await balance(provider.address, denom),
  market: await balance(market.address, denom),
};
const bought = await buy.signAndBroadcast(
  buyer.address,
  [{
    typeUrl: "/deai.data.v1.MsgBuyAccess",
    value: { buyer: buyer.address, datasetId: id, count: 2, maxPrice: coin(PRICE), consumeMarket: market.address, consumeMarketFee: "0.01" },
  }],
  "auto",
);
assertIsDeliverTxSuccess(bought);
const boughtEv = event(bought, "deai.data.v1.EventAccessBought");
out.bought = {
  datasetId: attr(boughtEv, "dataset_id"),
  buyer: attr(boughtEv, "buyer"),
  count: attr(boughtEv, "count"),
  paid: attr(boughtEv, "paid").amount,
  toPublisher: attr(boughtEv, "to_publisher").amount,
  toProvider: attr(boughtEv, "to_provider").amount,
  toPublishMarket: attr(boughtEv, "to_publish_market").amount,
  toConsumeMarket: attr(boughtEv, "to_consume_market").amount,
  toCommunityPool: attr(boughtEv, "to_community_pool").amount,
};
out.paidResponse = msgResponse(bought, "deai.data.v1.MsgBuyAccessResponse").paid.amount;
// Where the money went, as the balances say (none of these three signed anything since).
out.deltas = {
  publisher: String((await balance(publisher.address, denom)) - before.publisher),
  provider: String((await balance(provider.address, denom)) - before.provider),
  consumeMarket: String((await balance(market.address, denom)) - before.market),
};
// The buyer paid the price and the tx fee (gas limit × gas price, rounded up), nothing else.
const buyFee = (BigInt(bought.gasWanted) * 25n + 999n) / 1000n;
out.buyerSpent = String(before.buyer - (await balance(buyer.address, denom)));
out.buyerFee = String(buyFee);
out.datatokens = { buyerAfterBuy: String(await balance(buyer.address, out.denom)) };

// One datatoken moves with a plain bank MsgSend of the data/{id} denom.
const sent = await buy.sendTokens(buyer.address, holder.address, [{ denom: out.denom, amount: "1" }], "auto");
assertIsDeliverTxSuccess(sent);
out.datatokens.buyerAfterSend = String(await balance(buyer.address, out.denom));
out.datatokens.holderAfterSend = String(await balance(holder.address, out.denom));

// The receiver redeems it: the token is burned, a grant created.
const redeemed = await hold.signAndBroadcast(
  holder.address,
  [{ typeUrl: "/deai.data.v1.MsgRedeemAccess", value: { grantee: holder.address, datasetId: id } }],
  "auto",
);
assertIsDeliverTxSuccess(redeemed);
const redEv = event(redeemed, "deai.data.v1.EventAccessRedeemed");
out.grantId = attr(redEv, "grant_id");
const redRes = msgResponse(redeemed, "deai.data.v1.MsgRedeemAccessResponse");
check(redRes.grantId === out.grantId, `redeem response ${JSON.stringify(redRes)}`);
out.redeemHeight = redeemed.height;
out.datatokens.holderAfterRedeem = String(await balance(holder.address, out.denom));
out.datatokens.supply = (await bank.supplyOf(out.denom)).amount;

// Read back over ABCI: deai.data.v1.Query, encoded and decoded with the same protos.
const ds = (await abciQuery(pub, root, "deai.data.v1.Query", "Dataset", { id })).dataset;
out.abci = {
  dataset: {
    id: ds.id,
    publisher: ds.publisher,
    contentSha256: Buffer.from(ds.contentSha256, "base64").toString("hex"),
    metadata: ds.metadata,
    price: ds.price.amount,
    provider: ds.provider.address,
    access: ds.access,
    denom: ds.denom,
  },
};
const grants = (await abciQuery(pub, root, "deai.data.v1.Query", "Grants", { grantee: holder.address })).grants;
out.abci.grants = grants.map((g) => ({ id: g.id, datasetId: g.datasetId, grantee: g.grantee, createdAt: g.createdAt, expiresAtHeight: g.expiresAtHeight }));
out.abci.buyerGrants = (await abciQuery(pub, root, "deai.data.v1.Query", "Grants", { grantee: buyer.address })).grants.length;

// And over REST: the gRPC-gateway routes from query.proto's http annotations, proto3 JSON.
const rds = (await getRest(`/deai/data/v1/datasets/${id}`)).dataset;
out.rest = {
  dataset: {
    id: rds.id,
    publisher: rds.publisher,
    contentSha256: Buffer.from(rds.content_sha256, "base64").toString("hex"),
    metadata: rds.metadata,
    price: rds.price.amount,
    provider: rds.provider.address,
    access: rds.access,
    denom: rds.denom,
  },
};
const rgrants = (await getRest(`/deai/data/v1/grants?grantee=${holder.address}`)).grants;
out.rest.grants = rgrants.map((g) => ({ id: g.id, datasetId: g.dataset_id, grantee: g.grantee, createdAt: g.created_at, expiresAtHeight: g.expires_at_height }));
out.rest.grant = (await getRest(`/deai/data/v1/grants/${out.grantId}`)).grant.grantee;
const restBalance = async (address, d) =>
  (await getRest(`/cosmos/bank/v1beta1/balances/${address}/by_denom?denom=${encodeURIComponent(d)}`)).balance.amount;
out.rest.datatokens = {
  buyer: await restBalance(buyer.address, out.denom),
  holder: await restBalance(holder.address, out.denom),
};
out.rest.buyerBalances = (await getRest(`/cosmos/bank/v1beta1/balances/${buyer.address}`)).balances;

// Above max_price: refused in its block by the data module; nothing minted.
const tooCheap = await buy.signAndBroadcast(
  buyer.address,
  [{
    typeUrl: "/deai.data.v1.MsgBuyAccess",
    value: { buyer: buyer.address, datasetId: id, count: 1, maxPrice: coin(PRICE - 1n) },
  }],
  { amount: [coin(10000)], gas: "400000" },
);
out.refused = { code: tooCheap.code, log: tooCheap.rawLog };
// DeliverTxResponse carries no codespace: the tx's result from CometBFT and REST do.
const cometTx = await pub.getCometClient().tx({ hash: fromHex(tooCheap.transactionHash) });
out.refused.codespace = cometTx.result.codespace;
const restTx = (await getRest(`/cosmos/tx/v1beta1/txs/${tooCheap.transactionHash}`)).tx_response;
out.refused.restCode = restTx.code;
out.refused.restCodespace = restTx.codespace;
out.datatokens.buyerAfterRefused = String(await balance(buyer.address, out.denom));

console.log(JSON.stringify(out));
