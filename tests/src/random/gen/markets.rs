//! Random messages of the markets and of task and wasm (see [`super`]).

use cosmos_sdk_proto::Any;
use deai_client::txbuilder::{coin, to_any};
use sha2::Digest;

use super::{udeai, Built, Obj, World};
use crate::random::Rng;

impl World {
    pub(super) fn task(
        &self,
        r: u64,
        s: String,
        rng: &mut Rng,
        b: &mut Built,
    ) -> (&'static str, Any) {
        use deai_proto::task::v1 as t;
        match r {
            0..=29 => {
                b.creates = Some(Obj::TaskProposal);
                let good = rng.pct(85);
                let msg = t::MsgProposeTask {
                    proposer: s,
                    title: format!("random task {:x}", rng.next_u64()),
                    description: "from the randomized determinism run".into(),
                    spec: Some(training_spec(rng, good)),
                    evaluation: Some(t::EvaluationSpec {
                        spec: br#"{"kind":"eval"}"#.to_vec(),
                        metric: "accuracy".into(),
                        target: "0.9".into(),
                    }),
                    reward_pool: udeai(rng.range(1_000_000, 3_000_000)),
                    initial_deposit: vec![coin("udeai", rng.range(0, 12_000_000).into())],
                };
                let label = if good { "propose" } else { "propose-bad-spec" };
                (label, to_any(&msg))
            }
            30..=59 => (
                "deposit",
                to_any(&t::MsgDepositTask {
                    depositor: s,
                    task_id: self.ids.draw(Obj::TaskProposal, rng),
                    amount: vec![coin("udeai", rng.range(1, 5_000_000).into())],
                }),
            ),
            _ => (
                "vote",
                to_any(&t::MsgVoteTask {
                    voter: s,
                    task_id: self.ids.draw(Obj::TaskProposal, rng),
                    option: rng.range(0, 4) as i32,
                }),
            ),
        }
    }

    pub(super) fn compute(
        &self,
        r: u64,
        s: String,
        rng: &mut Rng,
        b: &mut Built,
    ) -> (&'static str, Any) {
        use deai_proto::compute::v1 as c;
        let eu = vec![c::Attribute {
            key: "region".into(),
            value: "eu".into(),
        }];
        match r {
            0..=14 => (
                // A second one of the same owner fails: it exists.
                "create-provider",
                to_any(&c::MsgCreateProvider {
                    owner: s,
                    host_uri: "http://127.0.0.1:9/artifacts".into(),
                    attributes: eu,
                    capacity: Some(c::Resources {
                        cpu_millis: 4_000,
                        memory_bytes: 1 << 30,
                        gpus: 0,
                        storage_bytes: 1 << 30,
                    }),
                    stake: udeai(rng.range(9_000_000, 11_000_000)),
                }),
            ),
            15..=39 => {
                b.creates = Some(Obj::Order);
                let spec = format!(r#"{{"job":"random-{}"}}"#, rng.below(1000)).into_bytes();
                let good = rng.pct(85);
                let mut sha = sha2::Sha256::digest(&spec).to_vec();
                if !good {
                    sha[0] ^= 1;
                }
                let msg = c::MsgCreateOrder {
                    owner: s,
                    spec_sha256: sha,
                    spec,
                    required_attributes: eu,
                    auditors: None,
                    resources: Some(c::Resources {
                        cpu_millis: rng.range(100, 8_000),
                        ..Default::default()
                    }),
                    max_price_per_block: udeai(rng.range(1, 20)),
                    deposit: udeai(rng.range(100_000, 3_000_000)),
                    redundancy: rng.range(1, 2) as u32,
                    verification: Some(c::Verification {
                        mode: rng.range(0, 1) as i32,
                        spot_check_rate: String::new(),
                    }),
                    bid_window: rng.range(5, 50),
                    max_blocks: rng.range(10, 500),
                    dataset_id: 0,
                    max_access_fee: None,
                };
                let label = if good {
                    "create-order"
                } else {
                    "create-order-bad-hash"
                };
                (label, to_any(&msg))
            }
            40..=59 => (
                "create-bid",
                to_any(&c::MsgCreateBid {
                    provider: s,
                    order_id: self.ids.draw(Obj::Order, rng),
                    price: udeai(rng.range(1, 20)),
                    deposit: udeai(1_000_000),
                }),
            ),
            60..=79 => (
                "deposit-order",
                to_any(&c::MsgDepositOrder {
                    depositor: s,
                    order_id: self.ids.draw(Obj::Order, rng),
                    amount: udeai(rng.range(1, 100_000)),
                }),
            ),
            _ => (
                "close-order",
                to_any(&c::MsgCloseOrder {
                    owner: s,
                    order_id: self.ids.draw(Obj::Order, rng),
                }),
            ),
        }
    }

    pub(super) fn inference(
        &self,
        r: u64,
        s: String,
        rng: &mut Rng,
        b: &mut Built,
    ) -> (&'static str, Any) {
        use deai_proto::inference::v1 as i;
        match r {
            0..=14 => {
                b.creates = Some(Obj::Topic);
                (
                    "create-topic",
                    to_any(&i::MsgCreateTopic {
                        creator: s,
                        metric: format!("random index {}", rng.below(100)),
                        loss_method: rng.range(1, 2) as i32,
                        epoch_length: rng.range(3, 20),
                        ground_truth_lag: rng.range(1, 3),
                        alpha: "0.5".into(),
                        fee: udeai(10_000_000),
                    }),
                )
            }
            15..=44 => (
                "register-topic-worker",
                to_any(&i::MsgRegisterTopicWorker {
                    worker: s,
                    topic_id: self.ids.draw(Obj::Topic, rng),
                    stake: udeai(rng.range(500_000, 2_000_000)),
                }),
            ),
            45..=64 => (
                "register-reputer",
                to_any(&i::MsgRegisterReputer {
                    reputer: s,
                    topic_id: self.ids.draw(Obj::Topic, rng),
                    stake: udeai(rng.range(500_000, 2_000_000)),
                }),
            ),
            65..=89 => (
                "submit-topic-inference",
                to_any(&i::MsgSubmitTopicInference {
                    worker: s,
                    topic_id: self.ids.draw(Obj::Topic, rng),
                    epoch: rng.below(8),
                    value: rng.range(0, 2_000) as i64 - 1_000,
                }),
            ),
            _ => (
                "request-inference-of-no-model",
                to_any(&i::MsgRequestInference {
                    requester: s,
                    model_id: rng.range(1, 5),
                    input: vec![1, 2, 3],
                    fee: udeai(1_000),
                    k: 1,
                    deadline_blocks: 10,
                    ..Default::default()
                }),
            ),
        }
    }

    pub(super) fn training(
        &self,
        r: u64,
        s: String,
        rng: &mut Rng,
        b: &mut Built,
    ) -> (&'static str, Any) {
        use deai_proto::training::v1 as t;
        match r {
            0..=14 => {
                b.creates = Some(Obj::TrainingTask);
                let good = rng.pct(85);
                let msg = t::MsgCreateTask {
                    creator: s,
                    spec: Some(training_spec(rng, good)),
                    reward_pool: udeai(rng.range(1_000_000, 3_000_000)),
                };
                let label = if good {
                    "create-task"
                } else {
                    "create-task-bad-spec"
                };
                (label, to_any(&msg))
            }
            15..=54 => (
                "register-neuron",
                to_any(&t::MsgRegisterNeuron {
                    owner: s,
                    task_id: self.ids.draw(Obj::TrainingTask, rng),
                    role: rng.range(1, 2) as i32,
                    stake: udeai(rng.range(500, 100_000)),
                }),
            ),
            55..=79 => (
                "add-stake",
                to_any(&t::MsgAddStake {
                    owner: s,
                    task_id: self.ids.draw(Obj::TrainingTask, rng),
                    amount: udeai(rng.range(1, 10_000)),
                }),
            ),
            _ => (
                "remove-stake",
                to_any(&t::MsgRemoveStake {
                    owner: s,
                    task_id: self.ids.draw(Obj::TrainingTask, rng),
                    amount: udeai(rng.range(1, 10_000)),
                }),
            ),
        }
    }

    pub(super) fn data(
        &self,
        r: u64,
        s: String,
        rng: &mut Rng,
        b: &mut Built,
    ) -> (&'static str, Any) {
        use deai_proto::data::v1 as d;
        match r {
            0..=19 => {
                b.creates = Some(Obj::Dataset);
                (
                    "publish-dataset",
                    to_any(&d::MsgPublishDataset {
                        publisher: s.clone(),
                        content_sha256: rng.bytes(32),
                        size: rng.range(1, 1 << 20),
                        metadata: r#"{"name":"random","license":"CC0"}"#.into(),
                        price: udeai(rng.range(1, 1_000)),
                        provider: Some(d::Provider {
                            address: s,
                            host_uri: "https://provider.example".into(),
                        }),
                        access: rng.range(1, 2) as i32,
                    }),
                )
            }
            20..=44 => (
                "buy-access",
                to_any(&d::MsgBuyAccess {
                    buyer: s,
                    dataset_id: self.ids.draw(Obj::Dataset, rng),
                    count: rng.range(1, 3),
                    // Sometimes below the price: refused.
                    max_price: udeai(rng.range(0, 2_000)),
                    consume_market: String::new(),
                    consume_market_fee: String::new(),
                }),
            ),
            45..=54 => {
                b.creates = Some(Obj::Pool);
                let validators = vec![self.someone(rng), rng.pick(&self.accounts).clone()];
                (
                    "create-pool",
                    to_any(&d::MsgCreatePool {
                        owner: s,
                        schema: r#"{"type":"csv"}"#.into(),
                        reward_per_epoch: udeai(rng.range(100, 1_000)),
                        epoch_length: rng.range(5, 30),
                        min_contributor_stake: udeai(100),
                        score_threshold_u16: rng.range(1, 65_535) as u32,
                        validators,
                        funds: udeai(rng.range(10_000, 100_000)),
                    }),
                )
            }
            55..=79 => {
                b.creates = Some(Obj::Contribution);
                (
                    "contribute",
                    to_any(&d::MsgContribute {
                        contributor: s,
                        pool_id: self.ids.draw(Obj::Pool, rng),
                        content_sha256: rng.bytes(32),
                        uri: "https://contrib.example/x".into(),
                        stake: udeai(rng.range(50, 1_000)),
                    }),
                )
            }
            _ => (
                "score-contribution",
                to_any(&d::MsgScoreContribution {
                    validator: s,
                    contribution_id: self.ids.draw(Obj::Contribution, rng),
                    score_u16: rng.range(0, 65_535) as u32,
                }),
            ),
        }
    }

    pub(super) fn wasm(
        &self,
        r: u64,
        s: String,
        rng: &mut Rng,
        b: &mut Built,
    ) -> (&'static str, Any) {
        use cosmos_sdk_proto::cosmwasm::wasm::v1 as w;
        // A few uploads: each one is compiled by every node.
        let upload = self.ids.count(Obj::Code) < 3;
        match (r, &self.wasm) {
            (0..=9, Some(code)) if upload => {
                b.creates = Some(Obj::Code);
                b.min_gas = 20_000_000;
                (
                    "store-code",
                    to_any(&w::MsgStoreCode {
                        sender: s,
                        wasm_byte_code: code.clone(),
                        instantiate_permission: None,
                    }),
                )
            }
            (0..=29, _) => {
                let mut junk = b"\0asm\x01\0\0\0".to_vec();
                let n = rng.range(0, 256) as usize;
                junk.extend(rng.bytes(n));
                (
                    "store-invalid-code",
                    to_any(&w::MsgStoreCode {
                        sender: s,
                        wasm_byte_code: junk,
                        instantiate_permission: None,
                    }),
                )
            }
            (30..=54, _) => {
                b.creates = Some(Obj::Contract);
                (
                    "instantiate",
                    to_any(&w::MsgInstantiateContract {
                        sender: s,
                        admin: String::new(),
                        code_id: self.ids.draw(Obj::Code, rng),
                        label: format!("random {}", rng.below(1000)),
                        msg: b"{}".to_vec(),
                        funds: Vec::new(),
                    }),
                )
            }
            (55..=84, _) => {
                // The reflect contract's own messages; a (code, instance) pair that was
                // never instantiated names no contract.
                let contract = crate::wasm::classic_address(
                    self.ids.draw(Obj::Code, rng),
                    self.ids.draw(Obj::Contract, rng),
                );
                let key = format!("k{}", rng.below(50));
                let msg = match rng.below(3) {
                    0 => format!(
                        r#"{{"write":{{"key":"{key}","value":"{}"}}}}"#,
                        rng.below(1000)
                    ),
                    1 => format!(r#"{{"write_then_fail":{{"key":"{key}","value":"x"}}}}"#),
                    _ => format!(r#"{{"burn_gas":{{"rounds":{}}}}}"#, rng.range(1, 2_000)),
                };
                (
                    "execute",
                    to_any(&w::MsgExecuteContract {
                        sender: s,
                        contract,
                        msg: msg.into_bytes(),
                        funds: Vec::new(),
                    }),
                )
            }
            _ => (
                "execute-no-contract",
                to_any(&w::MsgExecuteContract {
                    sender: s,
                    contract: self.someone(rng),
                    msg: br#"{"ping":{}}"#.to_vec(),
                    funds: Vec::new(),
                }),
            ),
        }
    }
}

/// A training task spec; `good: false` breaks one of its rules at random.
fn training_spec(rng: &mut Rng, good: bool) -> deai_proto::training::v1::TaskSpec {
    use deai_proto::training::v1 as t;
    let base = br#"{"kind":"train","model":"mlp"}"#.to_vec();
    let mut spec = t::TaskSpec {
        base_spec_sha256: sha2::Sha256::digest(&base).to_vec(),
        base_spec: base,
        dataset_sha256: rng.bytes(32),
        dataset_uri: "https://data.example/set.bin".into(),
        tempo: rng.range(20, 60),
        reveal_window: 3,
        aggregate_window: 4,
        max_neurons: rng.range(2, 16) as u32,
        shard_count: rng.range(1, 8) as u32,
        yuma: Some(t::YumaParams {
            kappa_u16: 32767,
            bonds_moving_average: 900_000,
            bonds_penalty_u16: 65535,
            yuma3: false,
            liquid_alpha: false,
            alpha_low_u16: 45875,
            alpha_high_u16: 58982,
            alpha_sigmoid_steepness: 1000,
            max_allowed_validators: 128,
        }),
        min_trainer_stake: udeai(1_000),
        min_validator_stake: udeai(1_000),
        emission_per_tempo: udeai(rng.range(1_000, 100_000)),
    };
    if !good {
        match rng.below(3) {
            0 => spec.tempo = 5,
            1 => spec.base_spec_sha256[0] ^= 1,
            _ => spec.max_neurons = 1,
        }
    }
    spec
}
