// Task proposing from unmodified cosmjs: deai.task.v1 messages registered from the .proto
// files; a digits task proposed with its pool and half the deposit, the rest deposited by
// another account (which starts the vote and the validators' code check), a validator's yes
// vote, and everything read back over ABCI queries.
// Usage: node task.mjs <localnet.json> <job-spec.json>
// Prints one JSON line with what it saw; exits non-zero with one error line on any failure.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { defaultRegistryTypes, assertIsDeliverTxSuccess } from "@cosmjs/stargate";
import { Registry } from "@cosmjs/proto-signing";
import { check, loadDeaiProtos, generated, signer, abciQuery } from "./deai.mjs";

const net = JSON.parse(readFileSync(process.argv[2], "utf8"));
const spec = readFileSync(process.argv[3]);
const rpc = net.nodes[0].rpc;
const denom = net.denom;
const [proposer, depositor] = net.accounts;
const val0 = net.validator_accounts[0];
const out = {};

const root = await loadDeaiProtos(["deai/task/v1/tx.proto", "deai/task/v1/query.proto"]);
const registry = new Registry(defaultRegistryTypes);
for (const m of ["MsgProposeTask", "MsgDepositTask", "MsgVoteTask"]) {
  registry.register(`/deai.task.v1.${m}`, generated(root, `deai.task.v1.${m}`));
}
const coin = (amount) => ({ denom, amount: String(amount) });

const p = await signer(rpc, registry, denom, proposer);
const proposed = await p.signAndBroadcast(
  proposer.address,
  [{
    typeUrl: "/deai.task.v1.MsgProposeTask",
    value: {
      proposer: proposer.address,
      title: "digits MLP",
      description: "A 64-64-10 MLP on scikit-learn's digits",
      spec: {
        baseSpec: spec,
        baseSpecSha256: createHash("sha256").update(spec).digest(),
        datasetSha256: Buffer.from(JSON.parse(spec).dataset.sha256, "hex"),
        datasetUri: "https://example.org/digits.csv.gz",
        tempo: 100,
        revealWindow: 10,
        aggregateWindow: 10,
        maxNeurons: 8,
        shardCount: 2,
        yuma: { kappaU16: 32767, bondsMovingAverage: 900000, bondsPenaltyU16: 65535, alphaLowU16: 45875, alphaHighU16: 58982, alphaSigmoidSteepness: 1000, maxAllowedValidators: 64 },
        minTrainerStake: coin(1000000),
        minValidatorStake: coin(2000000),
        emissionPerTempo: coin(100000),
      },
      evaluation: { spec: Buffer.from('{"kind":"evaluate"}'), metric: "accuracy", target: "0.9" },
      rewardPool: coin(3000000),
      initialDeposit: [coin(4000000)],
    },
  }],
  "auto",
);
assertIsDeliverTxSuccess(proposed);
const ev = proposed.events.find((e) => e.type === "deai.task.v1.EventTaskProposed");
check(ev, "EventTaskProposed");
out.taskId = JSON.parse(ev.attributes.find((a) => a.key === "task_id").value);
const id = Number(out.taskId);
out.stateAfterPropose = (await abciQuery(p, root, "deai.task.v1.Query", "Task", { id })).task.state;

const d = await signer(rpc, registry, denom, depositor);
assertIsDeliverTxSuccess(await d.signAndBroadcast(
  depositor.address,
  [{ typeUrl: "/deai.task.v1.MsgDepositTask", value: { depositor: depositor.address, taskId: id, amount: [coin(6000000)] } }],
  "auto",
));
const v = await signer(rpc, registry, denom, val0);
assertIsDeliverTxSuccess(await v.signAndBroadcast(
  val0.address,
  [{ typeUrl: "/deai.task.v1.MsgVoteTask", value: { voter: val0.address, taskId: id, option: "VOTE_OPTION_YES" } }],
  "auto",
));

const task = (await abciQuery(p, root, "deai.task.v1.Query", "Task", { id })).task;
out.state = task.state;
out.pool = task.rewardPool.amount;
out.deposit = task.totalDeposit.map((c) => c.amount);
out.attestJobId = task.attestJobId;
out.votes = (await abciQuery(p, root, "deai.task.v1.Query", "Votes", { taskId: id })).votes
  .map((x) => ({ voter: x.voter, option: x.option }));
out.jobState = (await abciQuery(p, root, "deai.task.v1.Query", "Attestations", { taskId: id })).job.state;
console.log(JSON.stringify(out));
