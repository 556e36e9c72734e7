// The training market from unmodified cosmjs: deai.training.v1 messages registered from the
// .proto files, a digits task created with its pool escrowed, a validator registered with
// stake, both read back over ABCI queries, and an under-staked registration refused by the
// module. Usage: node training.mjs <localnet.json> <job-spec.json>
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
const [creator, validator, trainer] = net.accounts;
const out = {};

const root = await loadDeaiProtos(["deai/training/v1/tx.proto", "deai/training/v1/query.proto"]);
const registry = new Registry(defaultRegistryTypes);
for (const m of ["MsgCreateTask", "MsgRegisterNeuron"]) {
  registry.register(`/deai.training.v1.${m}`, generated(root, `deai.training.v1.${m}`));
}
const coin = (amount) => ({ denom, amount: String(amount) });

const c = await signer(rpc, registry, denom, creator);
const created = await c.signAndBroadcast(
  creator.address,
  [{
    typeUrl: "/deai.training.v1.MsgCreateTask",
    value: {
      creator: creator.address,
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
      rewardPool: coin(1000000),
    },
  }],
  "auto",
);
assertIsDeliverTxSuccess(created);
const ev = created.events.find((e) => e.type === "deai.training.v1.EventTaskCreated");
check(ev, "EventTaskCreated");
// Typed-event attributes are proto3 JSON values: a uint64 is a quoted string.
out.taskId = JSON.parse(ev.attributes.find((a) => a.key === "task_id").value);

const v = await signer(rpc, registry, denom, validator);
const registered = await v.signAndBroadcast(
  validator.address,
  [{
    typeUrl: "/deai.training.v1.MsgRegisterNeuron",
    value: { owner: validator.address, taskId: Number(out.taskId), role: "ROLE_VALIDATOR", stake: coin(2000000) },
  }],
  "auto",
);
assertIsDeliverTxSuccess(registered);

// Below the trainer minimum: refused by the module in its block.
const t = await signer(rpc, registry, denom, trainer);
const refused = await t.signAndBroadcast(
  trainer.address,
  [{
    typeUrl: "/deai.training.v1.MsgRegisterNeuron",
    value: { owner: trainer.address, taskId: Number(out.taskId), role: "ROLE_TRAINER", stake: coin(10) },
  }],
  { amount: [coin(10000)], gas: "400000" },
);
out.refusedCode = refused.code;
out.refusedLog = refused.rawLog;

const task = (await abciQuery(c, root, "deai.training.v1.Query", "Task", { id: Number(out.taskId) })).task;
out.taskCreator = task.creator;
out.pool = task.pool.amount;
out.tempo = task.spec.tempo;
const neurons = (await abciQuery(c, root, "deai.training.v1.Query", "Neurons", { taskId: Number(out.taskId) })).neurons;
out.neurons = neurons.map((n) => ({ uid: n.uid, owner: n.owner, role: n.role, stake: n.stake.amount }));
console.log(JSON.stringify(out));
