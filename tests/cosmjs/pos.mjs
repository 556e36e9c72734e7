// Proof-of-stake with unmodified cosmjs: node pos.mjs <localnet.json>
// The staking, distribution, gov, mint and slashing query extensions; delegate, claim
// rewards, a parameter-change proposal (staking's max_validators) voted through and in
// effect; balances reconciled to the unit. Prints one JSON line with what it saw.
import { readFileSync } from "node:fs";
import {
  QueryClient, setupStakingExtension, setupDistributionExtension, setupGovExtension,
  setupMintExtension, setupSlashingExtension, calculateFee, GasPrice, assertIsDeliverTxSuccess,
} from "@cosmjs/stargate";
import { coin } from "@cosmjs/proto-signing";
import { MsgUpdateParams } from "cosmjs-types/cosmos/staking/v1beta1/tx";
import { check, signer as signerFor } from "./deai.mjs";

const net = JSON.parse(readFileSync(process.argv[2], "utf8"));
const rpc = net.nodes[0].rpc;
const denom = net.denom;
const gov = "deai10d07y265gmmuvt4z0w9aw880jnsr700j8hhnck";
const alice = net.accounts[0];
const val0 = net.validator_accounts[0];
const gasPrice = GasPrice.fromString(`0.025${denom}`);
const out = {};

const a = await signerFor(rpc, undefined, denom, alice);
const v = await signerFor(rpc, undefined, denom, val0);
const q = QueryClient.withExtensions(
  a.getCometClient(), setupStakingExtension, setupDistributionExtension, setupGovExtension,
  setupMintExtension, setupSlashingExtension,
);
const balance = async (addr) => BigInt((await a.getBalance(addr, denom)).amount);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function fee(client, addr, msgs) {
  const gas = await client.simulate(addr, msgs, "");
  return calculateFee(Math.ceil(gas * 1.5), gasPrice);
}
// The sum of `key` amounts (e.g. "123udeai") of events of `type` in a tx result.
function eventAmount(result, type) {
  let sum = 0n;
  for (const e of result.events.filter((e) => e.type === type)) {
    for (const at of e.attributes.filter((at) => at.key === "amount" && at.value)) {
      sum += BigInt(at.value.replace(denom, ""));
    }
  }
  return sum;
}

// Queries: one bonded validator, its shares on the wire as the SDK sends them (10^-18 units).
const { validators } = await q.staking.validators("BOND_STATUS_BONDED");
check(validators.length === 1, `${validators.length} bonded validators`);
const op = validators[0].operatorAddress;
check(validators[0].tokens === "10000000", `tokens ${validators[0].tokens}`);
check(validators[0].delegatorShares === "10000000000000000000000000", `shares ${validators[0].delegatorShares}`);
const params = await q.staking.params();
check(params.params.bondDenom === denom && params.params.maxValidators === 100, "staking params");
// cosmjs decodes mint's decimals from the wire's 10^-18 units.
const inflation = (await q.mint.inflation()).toString();
check(inflation !== "0", `mint inflation ${inflation}`);
out.inflation = inflation;
const mintParams = await q.mint.params();
check(mintParams.goalBonded.toString() === "0.67", `goal bonded ${mintParams.goalBonded}`);
const infos = await q.slashing.signingInfos();
check(infos.info.length === 1, "one signing info");

// Delegate 5 udeai-power to val0.
const before = await balance(alice.address);
const delegateMsg = { typeUrl: "/cosmos.staking.v1beta1.MsgDelegate",
  value: { delegatorAddress: alice.address, validatorAddress: op, amount: coin(5000000, denom) } };
const f1 = await fee(a, alice.address, [delegateMsg]);
const d = await a.delegateTokens(alice.address, op, coin(5000000, denom), f1);
assertIsDeliverTxSuccess(d);
const afterDelegate = await balance(alice.address);
check(before - afterDelegate === 5000000n + BigInt(f1.amount[0].amount), `delegate moved ${before - afterDelegate}`);
const del = await q.staking.delegation(alice.address, op);
check(del.delegationResponse.balance.amount === "5000000", "delegation balance");

// Rewards accrue from mint's emission and fees; claiming pays exactly what the event says.
let rewards = null;
for (let i = 0; i < 40 && rewards === null; i++) {
  await sleep(500);
  const r = await q.distribution.delegationRewards(alice.address, op);
  const ours = r.rewards.find((c) => c.denom === denom);
  if (ours && BigInt(ours.amount) >= 10n ** 18n) rewards = ours.amount;
}
check(rewards !== null, "no rewards accrued");
out.pendingRewardsAtomics = rewards;
const withdrawMsg = { typeUrl: "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorReward",
  value: { delegatorAddress: alice.address, validatorAddress: op } };
const f2 = await fee(a, alice.address, [withdrawMsg]);
const beforeClaim = await balance(alice.address);
const w = await a.withdrawRewards(alice.address, op, f2);
assertIsDeliverTxSuccess(w);
const claimed = eventAmount(w, "withdraw_rewards");
check(claimed > 0n, "claimed nothing");
check(await balance(alice.address) === beforeClaim - BigInt(f2.amount[0].amount) + claimed, "claim reconciles");
out.claimed = claimed.toString();
const pool = await q.distribution.communityPool();
check(pool.pool.length > 0, "the community pool has the community tax and emission");

// A parameter change through gov: max_validators 100 -> 64.
const p = params.params;
const update = MsgUpdateParams.fromPartial({ authority: gov, params: { ...p, maxValidators: 64 } });
const submit = { typeUrl: "/cosmos.gov.v1.MsgSubmitProposal", value: {
  messages: [{ typeUrl: "/cosmos.staking.v1beta1.MsgUpdateParams", value: MsgUpdateParams.encode(update).finish() }],
  initialDeposit: [coin(1000000, denom)], proposer: alice.address, metadata: "",
  title: "Fewer validators", summary: "max_validators 100 -> 64", expedited: false } };
const f3 = await fee(a, alice.address, [submit]);
const beforeSubmit = await balance(alice.address);
const s = await a.signAndBroadcast(alice.address, [submit], f3);
assertIsDeliverTxSuccess(s);
const idAttr = s.events.find((e) => e.type === "submit_proposal").attributes.find((x) => x.key === "proposal_id");
const id = BigInt(idAttr.value);
out.proposalId = id.toString();
const afterSubmit = await balance(alice.address);
check(beforeSubmit - afterSubmit === 1000000n + BigInt(f3.amount[0].amount), "the deposit and fee left");
const voting = await q.gov.proposal(id);
check(voting.proposal.status === 2, `status ${voting.proposal.status} (want voting period)`);
const vote = { typeUrl: "/cosmos.gov.v1.MsgVote", value: { proposalId: id, voter: val0.address, option: 1, metadata: "" } };
const f4 = await fee(v, val0.address, [vote]);
assertIsDeliverTxSuccess(await v.signAndBroadcast(val0.address, [vote], f4));
const votes = await q.gov.votes(id);
check(votes.votes.length === 1, `votes: ${JSON.stringify(votes, (k, x) => typeof x === "bigint" ? x.toString() : x)}`);

let status = 2;
for (let i = 0; i < 120 && status === 2; i++) {
  await sleep(500);
  status = (await q.gov.proposal(id)).proposal.status;
}
check(status === 3, `status ${status} (want passed)`);
const tally = await q.gov.tally(id).catch(() => null);
out.tallied = tally !== null;
const now = await q.staking.params();
check(now.params.maxValidators === 64, `max_validators ${now.params.maxValidators}`);
// The deposit came back; nothing else moved alice's balance.
check(await balance(alice.address) === afterSubmit + 1000000n, "the deposit was refunded");
out.maxValidators = now.params.maxValidators;
console.log(JSON.stringify(out));
