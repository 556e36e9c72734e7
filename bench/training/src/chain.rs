//! Part 2: a round's overhead on chain — gas and wall time of MsgCommitUpdate,
//! MsgRevealUpdate, MsgCommitWeights and MsgRevealWeights, and of the epoch's `end_block`,
//! for a task of n neurons (half validators, half trainers), driving the real deai-training
//! module on an in-memory store the way the app's FinalizeBlock runs it (decoded through
//! the `Router`, executed on a `Ctx` overlay with a `GasMeter`).
//!
//! Each scenario creates one task (tempo 100, reveal and aggregate windows 10), registers n
//! neurons with seeded stakes, and plays round 0 in full (every trainer commits and reveals,
//! every validator commits and reveals a row over all trainers; `end_block` runs at every
//! height, so round 0's epoch grants the permits and stores the bonds). Round 1 is played the
//! same way and measured: each message is the last of its kind in its phase (timed on the
//! state with all the others applied), and `end_block` at round 1's epoch height.

use std::time::Duration;

use cosmos_sdk_proto::Any;
use sha2::{Digest, Sha256};

use deai_bench_common::exec::{any, apply, coin, repeat_times, run_hook, run_msg, Run, DENOM};
use deai_bench_common::rng::SplitMix64 as Rng;
use deai_bench_common::stats::{self, Summary};
use deai_framework::{Address, MemStore, Module, Router, StateRead, TxError};
use deai_proto::training::v1 as pb;
use deai_training::commits::{update_commit_hash, weights_commit_hash};
use deai_training::{TrainingModule, TrainingRead, TrainingWrite};

use crate::yuma::Mode;

const FUNDS: u128 = 1_000_000_000_000_000;
const TEMPO: u64 = 100;
const WINDOW: u64 = 10;
const AGGREGATE_WINDOW: u64 = 10;
const SALT: [u8; 32] = [0x5a; 32];

/// Gas and time of one measured operation.
pub struct Row {
    pub what: &'static str,
    pub gas: u64,
    pub writes: usize,
    pub events: usize,
    pub time: Summary,
    pub p95: Duration,
}

/// One scenario's rows.
pub struct Scenario {
    pub n: usize,
    pub mode: Mode,
    pub rows: Vec<Row>,
    /// Whether round 1's epoch stored a result (false: end_block does not run epochs yet).
    pub epoch_ran: bool,
}

fn addr(i: usize) -> Address {
    let h: [u8; 32] = Sha256::new()
        .chain_update(b"deai/training-bench/account")
        .chain_update((i as u64).to_be_bytes())
        .finalize()
        .into();
    let mut a = [0u8; 20];
    a.copy_from_slice(&h[..20]);
    Address::from_hash20(a)
}

pub fn router() -> Router {
    let mut r = Router::new();
    deai_auth::AuthModule.register(&mut r);
    deai_bank::BankModule.register(&mut r);
    TrainingModule.register(&mut r);
    r
}

fn run_end_block(s: &dyn StateRead, h: u64) -> Result<Run, TxError> {
    run_hook(s, h, |ctx| TrainingModule.end_block(ctx))
}

/// Times `op` `runs` times (after 2 untimed runs); every run must do the same.
fn repeat(what: &'static str, runs: usize, op: impl Fn() -> Result<Run, TxError>) -> Row {
    let (first, times) = repeat_times(what, 2, runs, || op().map_err(|e| format!("{e:?}")));
    Row {
        what,
        gas: first.gas,
        writes: first.writes.len(),
        events: first.events,
        time: Summary::of(&times).expect("runs"),
        p95: stats::percentile(&times, 95).expect("runs"),
    }
}

fn genesis(accounts: usize, max_neurons: u32) -> MemStore {
    let balances: Vec<_> = (0..accounts)
        .map(|i| {
            serde_json::json!({"address": addr(i).to_bech32(),
                "coins": [{"denom": DENOM, "amount": FUNDS.to_string()}]})
        })
        .collect();
    let app = serde_json::json!({
        "auth": {"accounts": []},
        "bank": {"balances": balances},
        "training": {"authority": addr(usize::MAX).to_bech32()},
    });
    let mut s = MemStore::new();
    let modules: [&dyn Module; 3] = [
        &deai_auth::AuthModule,
        &deai_bank::BankModule,
        &TrainingModule,
    ];
    for m in modules {
        m.init_genesis(&mut s, &app[m.name()])
            .unwrap_or_else(|e| panic!("{} genesis: {e:?}", m.name()));
    }
    let mut p = s.training_params().expect("params");
    p.max_neurons_limit = p.max_neurons_limit.max(max_neurons);
    s.set_training_params(&p).expect("params");
    s
}

fn task_spec(n: usize, mode: Mode) -> pb::TaskSpec {
    let base = serde_json::json!({
        "version": 1, "kind": "train",
        "model": {"type": "mlp", "inputs": 64, "hidden": [64], "classes": 10},
        "dataset": {"sha256": "ab".repeat(32), "format": "csv", "label_column": -1},
        "split": {"test_fraction": 0.2, "seed": 1},
        "training": {"optimizer": {"type": "sgd", "lr": 0.05}, "epochs": 5,
                     "batch_size": 32, "checkpoint_every": 100, "seed": 7}
    })
    .to_string()
    .into_bytes();
    let p = mode.params(n);
    pb::TaskSpec {
        base_spec_sha256: Sha256::digest(&base).to_vec(),
        base_spec: base,
        dataset_sha256: vec![0xab; 32],
        dataset_uri: "https://example.org/digits.csv".into(),
        tempo: TEMPO,
        reveal_window: WINDOW,
        aggregate_window: AGGREGATE_WINDOW,
        max_neurons: n as u32,
        shard_count: 3,
        yuma: Some(pb::YumaParams {
            kappa_u16: p.kappa_u16.into(),
            bonds_moving_average: p.bonds_moving_average,
            bonds_penalty_u16: p.bonds_penalty_u16.into(),
            yuma3: p.yuma3,
            liquid_alpha: p.liquid_alpha,
            alpha_low_u16: p.alpha_low_u16.into(),
            alpha_high_u16: p.alpha_high_u16.into(),
            alpha_sigmoid_steepness: p.alpha_sigmoid_steepness.into(),
            max_allowed_validators: p.max_allowed_validators.into(),
        }),
        min_trainer_stake: Some(coin(1_000_000)),
        min_validator_stake: Some(coin(1_000_000)),
        emission_per_tempo: Some(coin(1_000_000_000)),
    }
}

/// The chain being driven: store, router, task, accounts (0 = creator, 1..=n neurons).
struct World {
    s: MemStore,
    router: Router,
    task: u64,
    n: usize,
    /// The next height whose end_block has not run.
    next_end: u64,
    rng: Rng,
    quality: Vec<f64>,
}

impl World {
    fn owner(&self, uid: usize) -> Address {
        addr(1 + uid)
    }
    fn is_validator(&self, uid: usize) -> bool {
        uid < self.n / 2
    }

    /// Runs (and applies) end_block for every height up to `h` included.
    fn end_blocks_through(&mut self, h: u64) {
        while self.next_end <= h {
            let run = run_end_block(&self.s, self.next_end)
                .unwrap_or_else(|e| panic!("end_block at {}: {e:?}", self.next_end));
            self.s.apply(run.writes);
            self.next_end += 1;
        }
    }

    fn round(&self) -> (u64, u64) {
        let t = self
            .s
            .get_task(self.task)
            .expect("task")
            .expect("task exists");
        (t.round, t.round_start)
    }

    fn update_hash(round: u64, uid: usize) -> Vec<u8> {
        Sha256::new()
            .chain_update(round.to_be_bytes())
            .chain_update((uid as u64).to_be_bytes())
            .finalize()
            .to_vec()
    }

    fn row(&mut self) -> (Vec<u16>, Vec<u16>) {
        let uids: Vec<u16> = (self.n / 2..self.n).map(|u| u as u16).collect();
        let values = uids
            .iter()
            .map(|&u| {
                let q = self.quality[u as usize] + 0.2 * (self.rng.unit() - 0.5);
                (q.clamp(0.0, 1.0) * 65535.0) as u16
            })
            .collect();
        (uids, values)
    }

    /// Plays the current round; with `runs`, measures the last message of each phase and
    /// the epoch's end_block, else only applies everything.
    fn play_round(&mut self, runs: Option<(usize, usize)>) -> Vec<Row> {
        let (round, start) = self.round();
        let mut rows = Vec::new();
        let trainers: Vec<usize> = (0..self.n).filter(|u| !self.is_validator(*u)).collect();
        let validators: Vec<usize> = (0..self.n).filter(|u| self.is_validator(*u)).collect();
        let mut phase = |w: &mut World,
                         h: u64,
                         who: &[usize],
                         what: &'static str,
                         msg: &dyn Fn(&mut World, usize) -> Any| {
            w.end_blocks_through(h - 1);
            for (i, &uid) in who.iter().enumerate() {
                let m = msg(w, uid);
                if i + 1 == who.len() {
                    if let Some((msg_runs, _)) = runs {
                        let (s, r) = (&w.s, &w.router);
                        rows.push(repeat(what, msg_runs, || run_msg(r, s, h, &m)));
                    }
                }
                let run = run_msg(&w.router, &w.s, h, &m)
                    .unwrap_or_else(|e| panic!("{what} uid {uid} at {h}: {e:?}"));
                w.s.apply(run.writes);
            }
        };
        let task = self.task;
        phase(
            self,
            start + AGGREGATE_WINDOW,
            &trainers,
            "MsgCommitUpdate",
            &|w, uid| {
                let owner = w.owner(uid);
                any(&pb::MsgCommitUpdate {
                    owner: owner.to_bech32(),
                    task_id: task,
                    round,
                    commit_hash: update_commit_hash(&Self::update_hash(round, uid), &SALT, &owner)
                        .to_vec(),
                })
            },
        );
        phase(
            self,
            start + TEMPO - 3 * WINDOW,
            &trainers,
            "MsgRevealUpdate",
            &|w, uid| {
                any(&pb::MsgRevealUpdate {
                    owner: w.owner(uid).to_bech32(),
                    task_id: task,
                    round,
                    update_hash: Self::update_hash(round, uid),
                    salt: SALT.to_vec(),
                    uri: format!("https://example.org/updates/{task}/{round}/{uid}"),
                    checkpoint_hashes: (0..4u8).map(|k| vec![k; 32]).collect(),
                })
            },
        );
        let rows_of: Vec<(Vec<u16>, Vec<u16>)> = validators.iter().map(|_| self.row()).collect();
        phase(
            self,
            start + TEMPO - 2 * WINDOW,
            &validators,
            "MsgCommitWeights",
            &|w, uid| {
                let (uids, values) = &rows_of[uid];
                any(&pb::MsgCommitWeights {
                    owner: w.owner(uid).to_bech32(),
                    task_id: task,
                    round,
                    commit_hash: weights_commit_hash(
                        &w.owner(uid),
                        task,
                        round,
                        uids,
                        values,
                        &SALT,
                        1,
                    )
                    .to_vec(),
                })
            },
        );
        phase(
            self,
            start + TEMPO - WINDOW,
            &validators,
            "MsgRevealWeights",
            &|w, uid| {
                let (uids, values) = &rows_of[uid];
                any(&pb::MsgRevealWeights {
                    owner: w.owner(uid).to_bech32(),
                    task_id: task,
                    round,
                    uids: uids.iter().map(|&u| u.into()).collect(),
                    values: values.iter().map(|&v| v.into()).collect(),
                    salt: SALT.to_vec(),
                    version: 1,
                })
            },
        );
        let epoch_h = start + TEMPO - 1;
        self.end_blocks_through(epoch_h - 1);
        if let Some((_, eb_runs)) = runs {
            let s = &self.s;
            rows.push(repeat("end_block (epoch)", eb_runs, || {
                run_end_block(s, epoch_h)
            }));
        }
        self.end_blocks_through(epoch_h);
        rows
    }
}

/// Builds the task with n neurons, plays round 0, measures round 1.
pub fn measure(n: usize, mode: Mode, seed: u64, msg_runs: usize, epoch_runs: usize) -> Scenario {
    let router = router();
    let mut s = genesis(n + 1, n as u32);
    let creator = addr(0);
    apply(
        &router,
        &mut s,
        1,
        &pb::MsgCreateTask {
            creator: creator.to_bech32(),
            spec: Some(task_spec(n, mode)),
            reward_pool: Some(coin(1_000_000_000_000)),
        },
    );
    let task = 1;
    let mut rng = Rng::new(seed ^ 0x0074_7261_696e);
    for uid in 0..n {
        let validator = uid < n / 2;
        let stake = if validator {
            rng.range(1_000, 1_000_000) * 1_000_000
        } else {
            1_000_000
        };
        apply(
            &router,
            &mut s,
            1,
            &pb::MsgRegisterNeuron {
                owner: addr(1 + uid).to_bech32(),
                task_id: task,
                role: if validator {
                    pb::Role::Validator
                } else {
                    pb::Role::Trainer
                } as i32,
                stake: Some(coin(stake.into())),
            },
        );
    }
    let quality = (0..n).map(|_| rng.unit()).collect();
    let mut w = World {
        s,
        router,
        task,
        n,
        next_end: 1,
        rng,
        quality,
    };
    w.play_round(None);
    let rows = w.play_round(Some((msg_runs, epoch_runs)));
    let (round, _) = w.round();
    let epoch_ran = w.s.get_epoch(task, 1).ok().flatten().is_some() && round >= 2;
    Scenario {
        n,
        mode,
        rows,
        epoch_ran,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_task_plays_two_rounds_and_runs_its_epoch() {
        for mode in Mode::ALL {
            let sc = measure(8, mode, 3, 1, 1);
            assert!(sc.epoch_ran, "{mode:?}");
            let names: Vec<&str> = sc.rows.iter().map(|r| r.what).collect();
            assert_eq!(
                names,
                [
                    "MsgCommitUpdate",
                    "MsgRevealUpdate",
                    "MsgCommitWeights",
                    "MsgRevealWeights",
                    "end_block (epoch)"
                ]
            );
            assert!(sc.rows.iter().all(|r| r.gas > 0 && r.writes > 0));
        }
    }
}
