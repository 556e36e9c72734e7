// CosmWasm from unmodified cosmjs: SigningCosmWasmClient (@cosmjs/cosmwasm-stargate) uploads
// both contracts of wasm-contracts/artifacts (gzipped by cosmjs), instantiates both, runs the
// agent marketplace's whole flow (register with a bond → hire with escrow → deliver → accept,
// which pays the agent → rate) and the model marketplace's licence flow (an inference model
// registered with deai.inference.v1.MsgRegisterModel, registered in the client's registry from
// deai's .proto files → listed with contributors → two licences bought → the receipt NFTs
// owned by the buyer, royalties paid), and reads everything back with queryContractSmart,
// getCodes, getCodeDetails, getContracts and getContract. Every balance involved is read
// before and after, with each tx's fee as the signed tx carries it (its AuthInfo), so the
// Rust test can reconcile them to the unit. Usage: node wasm.mjs <localnet.json>
// Prints one JSON line with what it saw; exits non-zero with one error line on any failure.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { SigningCosmWasmClient } from "@cosmjs/cosmwasm-stargate";
import { DirectSecp256k1HdWallet, decodeTxRaw } from "@cosmjs/proto-signing";
import { check, loadDeaiProtos, generated } from "./deai.mjs";

const here = dirname(fileURLToPath(import.meta.url));
// @cosmjs/cosmwasm-stargate 0.39.0 is the old name of @cosmjs/cosmwasm, re-exporting its
// 0.38.1, which is built on @cosmjs/stargate 0.38 and checks `gasPrice instanceof GasPrice`
// against that copy: take GasPrice from the stargate the cosmwasm client itself resolves.
const require = createRequire(import.meta.url);
const { GasPrice } = createRequire(require.resolve("@cosmjs/cosmwasm"))("@cosmjs/stargate");
const net = JSON.parse(readFileSync(process.argv[2], "utf8"));
const rpc = net.nodes[0].rpc;
const denom = net.denom;
const [deployer, arbiter, agent, client, seller, alice, bob, feeCollector, buyer] = net.accounts;
const out = { accounts: {} };
for (const [k, a] of Object.entries({ deployer, arbiter, agent, client, seller, alice, bob, feeCollector, buyer })) {
  out.accounts[k] = a.address;
}

// The inference module's MsgRegisterModel, from deai's .proto files, added to the cosmwasm
// client's own default registry (which already holds the Cosmos and wasmd types).
const root = await loadDeaiProtos(["deai/inference/v1/tx.proto", "deai/inference/v1/query.proto"]);
const REGISTER_MODEL = "/deai.inference.v1.MsgRegisterModel";

async function connect(account) {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(account.mnemonic, { prefix: "deai" });
  const c = await SigningCosmWasmClient.connectWithSigner(rpc, wallet, {
    gasPrice: GasPrice.fromString(`0.025${denom}`),
  });
  c.registry.register(REGISTER_MODEL, generated(root, "deai.inference.v1.MsgRegisterModel"));
  return c;
}
const [dep, ag, cl, sel, buy] = await Promise.all([deployer, agent, client, seller, buyer].map(connect));
const q = dep; // any client reads

const balance = async (address) => {
  const c = await q.getBalance(address, denom);
  check(c.denom === denom, `balance denom ${JSON.stringify(c)}`);
  return BigInt(c.amount);
};
const balances = async (names) => {
  const r = {};
  for (const n of names) r[n] = await balance(out.accounts[n] ?? n);
  return r;
};
const deltas = (before, after) => Object.fromEntries(Object.keys(before).map((k) => [k, String(after[k] - before[k])]));

// The fee a tx paid, from the signed tx itself (AuthInfo.fee), fetched back by its hash.
async function feeOf(result) {
  const tx = await q.getTx(result.transactionHash);
  check(tx, `tx ${result.transactionHash} not found`);
  check(tx.code === 0, `tx ${result.transactionHash} failed: ${tx.code}`);
  const fee = decodeTxRaw(tx.tx).authInfo.fee.amount;
  check(fee.length === 1 && fee[0].denom === denom, `fee ${JSON.stringify(fee)}`);
  return BigInt(fee[0].amount);
}
// What a contract call looked like: height, gas, fee and the events cosmjs saw.
async function record(result) {
  return {
    height: result.height,
    gasWanted: String(result.gasWanted),
    gasUsed: String(result.gasUsed),
    fee: String(await feeOf(result)),
    events: result.events.map((e) => e.type),
  };
}
const attrs = (result, type) =>
  result.events.filter((e) => e.type === type).map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));

// ---- Upload both contracts (cosmjs gzips them) and instantiate both. ----
const wasm = {
  agent: readFileSync(join(here, "../../wasm-contracts/artifacts/agent-marketplace.wasm")),
  model: readFileSync(join(here, "../../wasm-contracts/artifacts/model-marketplace.wasm")),
};
out.local = {};
out.upload = {};
for (const k of ["agent", "model"]) {
  out.local[k] = { sha256: createHash("sha256").update(wasm[k]).digest("hex"), size: wasm[k].length };
  const up = await dep.upload(deployer.address, wasm[k], "auto");
  out.upload[k] = {
    codeId: up.codeId,
    checksum: up.checksum,
    originalSize: up.originalSize,
    compressedSize: up.compressedSize,
    storeCodeEvent: attrs(up, "store_code")[0],
    ...(await record(up)),
  };
}
out.codes = await q.getCodes();
out.codeDetails = {};
for (const k of ["agent", "model"]) {
  const d = await q.getCodeDetails(out.upload[k].codeId);
  out.codeDetails[k] = {
    id: d.id,
    creator: d.creator,
    checksum: d.checksum,
    dataSha256: createHash("sha256").update(d.data).digest("hex"),
    dataSize: d.data.length,
  };
}

const agentInit = {
  arbiter: arbiter.address, denom, min_bond: "1000", dispute_window_blocks: 20,
  max_delivery_blocks: 100, slash_bps: 5000, reputation_half_life_blocks: 1000,
};
const agentInst = await dep.instantiate(deployer.address, out.upload.agent.codeId, agentInit, "agent-marketplace", "auto", {
  admin: deployer.address,
});
const modelInit = {
  denom, name: "deai licences", symbol: "DEAILIC", fee_bps: 250, fee_collector: feeCollector.address,
  min_eval_score_bps: 0, ranking_weights: { eval_bps: 5000, usage_bps: 2500, rating_bps: 2500 }, usage_half: 10,
};
const modelInst = await dep.instantiate(deployer.address, out.upload.model.codeId, modelInit, "model-marketplace", "auto");
const agentAddr = agentInst.contractAddress;
const modelAddr = modelInst.contractAddress;
out.instantiate = {
  agent: { address: agentAddr, event: attrs(agentInst, "instantiate")[0], ...(await record(agentInst)) },
  model: { address: modelAddr, event: attrs(modelInst, "instantiate")[0], ...(await record(modelInst)) },
};
out.contracts = {
  byCode: {
    agent: await q.getContracts(out.upload.agent.codeId),
    model: await q.getContracts(out.upload.model.codeId),
  },
  agent: await q.getContract(agentAddr),
  model: await q.getContract(modelAddr),
};
const smart = (addr, msg) => q.queryContractSmart(addr, msg);
out.config = { agent: await smart(agentAddr, { config: {} }), model: await smart(modelAddr, { config: {} }) };

// ---- The agent flow. ----
const BOND = 1000n;
const PRICE = 250n;
const agentNames = ["agent", "client", agentAddr];
const agentBefore = await balances(agentNames);
const txs = {};
const register = await ag.execute(agent.address, agentAddr, {
  register_agent: { name: "summarizer", capabilities: ["summarize", "translate"], endpoint: "https://agent.example/v1", price: String(PRICE) },
}, "auto", "", [{ denom, amount: String(BOND) }]);
txs.register = await record(register);
const hire = await cl.execute(client.address, agentAddr, {
  hire: { agent: agent.address, task: "summarize the deai design brief", delivery_blocks: 50 },
}, "auto", "", [{ denom, amount: String(PRICE) }]);
txs.hire = await record(hire);
const jobEvent = attrs(hire, "wasm-agent_job")[0];
check(jobEvent, `no wasm-agent_job event: ${JSON.stringify(hire.events)}`);
const jobId = Number(jobEvent.job_id);
txs.hire.jobEvent = jobEvent;
const escrowedAfterHire = await balance(agentAddr);
const resultHash = createHash("sha256").update("a summary").digest("hex");
const deliver = await ag.execute(agent.address, agentAddr, {
  deliver: { job_id: jobId, result_hash: resultHash, result_uri: "ipfs://summary" },
}, "auto");
txs.deliver = await record(deliver);
const accept = await cl.execute(client.address, agentAddr, { accept: { job_id: jobId } }, "auto");
txs.accept = await record(accept);
txs.accept.transfers = attrs(accept, "transfer");
const rate = await cl.execute(client.address, agentAddr, { rate: { job_id: jobId, stars: 5 } }, "auto");
txs.rate = await record(rate);
const agentAfter = await balances(agentNames);
out.agentFlow = {
  jobId,
  resultHash,
  txs,
  escrowedAfterHire: String(escrowedAfterHire),
  before: Object.fromEntries(Object.entries(agentBefore).map(([k, v]) => [k, String(v)])),
  deltas: deltas(agentBefore, agentAfter),
  queries: {
    agent: await smart(agentAddr, { agent: { address: agent.address } }),
    agents: await smart(agentAddr, { agents: {} }),
    byCapability: await smart(agentAddr, { agents_by_capability: { capability: "translate" } }),
    byMissingCapability: await smart(agentAddr, { agents_by_capability: { capability: "paint" } }),
    job: await smart(agentAddr, { job: { job_id: jobId } }),
    jobsByClient: await smart(agentAddr, { jobs_by_client: { client: client.address } }),
    jobsByAgent: await smart(agentAddr, { jobs_by_agent: { agent: agent.address } }),
    reputation: await smart(agentAddr, { reputation: { agent: agent.address } }),
    totals: await smart(agentAddr, { totals: {} }),
  },
};
// A smart query the contract refuses comes back as an error, not an answer.
try {
  await smart(agentAddr, { job: { job_id: 999 } });
  out.agentFlow.missingJob = "answered";
} catch (e) {
  out.agentFlow.missingJob = String(e.message ?? e);
}

// ---- The licence flow. ----
// The model, registered in the inference module by the seller (no verifying key: zk none).
const registered = await sel.signAndBroadcast(seller.address, [{
  typeUrl: REGISTER_MODEL,
  value: {
    owner: seller.address,
    name: "digits-tiny",
    architecture: [4, 3],
    weightsSha256: createHash("sha256").update("weights").digest(),
    quantizedWeightsSha256: createHash("sha256").update("quantized").digest(),
    zkMode: 3, // ZK_MODE_NONE
    inputMin: 0,
    inputMax: 15,
    inputFracBits: 0,
    price: { denom, amount: "100" },
  },
}], "auto");
check(registered.code === 0, `MsgRegisterModel failed: ${registered.code} ${registered.rawLog}`);
const RegRes = root.lookupType("deai.inference.v1.MsgRegisterModelResponse");
const regAny = registered.msgResponses.find((r) => r.typeUrl === "/deai.inference.v1.MsgRegisterModelResponse");
check(regAny, "MsgRegisterModelResponse");
const modelId = Number(RegRes.toObject(RegRes.decode(regAny.value), { longs: String }).modelId);
const lic = { modelId, registerModel: await record(registered) };

const PER_USE = 7n;
const PERPETUAL = 1001n;
const USES = 3n;
const contributors = [
  { address: alice.address, share_bps: 5000 },
  { address: bob.address, share_bps: 3000 },
  { address: seller.address, share_bps: 2000 },
];
const sellerBeforeListing = await balance(seller.address);
const listed = await sel.execute(seller.address, modelAddr, {
  create_listing: {
    model_id: modelId, title: "Digits (tiny)", uri: "ipfs://model-card", per_use_price: String(PER_USE),
    perpetual_price: String(PERPETUAL), contributors, training_task: null,
  },
}, "auto");
lic.createListing = await record(listed);
lic.sellerListingDelta = String((await balance(seller.address)) - sellerBeforeListing);
const listedEvent = attrs(listed, "wasm").find((a) => a.action === "create_listing");
check(listedEvent, `no create_listing wasm event: ${JSON.stringify(listed.events)}`);
lic.listedEvent = listedEvent;
const listingId = Number(listedEvent.listing_id);
lic.listing = await smart(modelAddr, { listing: { listing_id: listingId } });
lic.listingByModel = await smart(modelAddr, { listing_by_model: { model_id: modelId } });
lic.quotePerpetual = await smart(modelAddr, { quote_split: { listing_id: listingId, kind: "perpetual" } });
lic.quotePerUse = await smart(modelAddr, { quote_split: { listing_id: listingId, kind: "per_use", uses: Number(USES) } });

const licenceNames = ["buyer", "seller", "alice", "bob", "feeCollector", modelAddr];
const buys = [];
for (const [kind, uses, price] of [["perpetual", null, PERPETUAL], ["per_use", Number(USES), PER_USE * USES]]) {
  const before = await balances(licenceNames);
  const bought = await buy.execute(buyer.address, modelAddr, { buy: { listing_id: listingId, kind, uses } }, "auto", "", [
    { denom, amount: String(price) },
  ]);
  const after = await balances(licenceNames);
  const r = await record(bought);
  buys.push({
    kind,
    uses,
    price: String(price),
    ...r,
    deltas: deltas(before, after),
    licenceEvent: attrs(bought, "wasm-licence")[0],
    royaltyEvent: attrs(bought, "wasm-royalty")[0],
    transfers: attrs(bought, "transfer"),
  });
}
lic.buys = buys;
const tokenIds = buys.map((b) => b.licenceEvent?.token_id);
check(tokenIds.every((t) => typeof t === "string"), `token ids ${JSON.stringify(tokenIds)}`);
lic.tokenIds = tokenIds;
lic.queries = {
  ownerOf: await Promise.all(tokenIds.map((t) => smart(modelAddr, { owner_of: { token_id: t } }))),
  tokensOfBuyer: await smart(modelAddr, { tokens: { owner: buyer.address } }),
  tokensOfSeller: await smart(modelAddr, { tokens: { owner: seller.address } }),
  allTokens: await smart(modelAddr, { all_tokens: {} }),
  numTokens: await smart(modelAddr, { num_tokens: {} }),
  contractInfo: await smart(modelAddr, { contract_info: {} }),
  nftInfo: await smart(modelAddr, { nft_info: { token_id: tokenIds[1] } }),
  licence: await smart(modelAddr, { licence: { token_id: tokenIds[0] } }),
  listingAfter: await smart(modelAddr, { listing: { listing_id: listingId } }),
  ranking: await smart(modelAddr, { ranking: { model_id: modelId } }),
};
lic.contractsAfter = {
  agent: await q.getContract(agentAddr),
  model: await q.getContract(modelAddr),
};
out.licenceFlow = lic;

console.log(JSON.stringify(out));
