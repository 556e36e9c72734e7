//! Random messages of every module: mostly well-formed, some aimed at ids that may not exist,
//! amounts that cannot be paid or signers without the right, so that both the success and
//! the failure paths of each module's handlers run in blocks.

use std::sync::atomic::{AtomicU64, Ordering};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::Any;
use deai_client::txbuilder::{coin, to_any};
use sha2::Digest;

use super::Rng;

/// Every module with messages, in the order of the report.
pub const MODULES: [&str; 14] = [
    "auth",
    "bank",
    "staking",
    "distribution",
    "slashing",
    "gov",
    "mint",
    "attest",
    "task",
    "compute",
    "inference",
    "training",
    "data",
    "wasm",
];

/// Modules whose only messages need the gov authority: all of their txs fail or are refused.
pub const AUTHORITY_ONLY: [&str; 3] = ["auth", "mint", "attest"];

/// Objects the run creates, whose ids later messages aim at.
#[derive(Clone, Copy, Debug)]
pub enum Obj {
    Proposal,
    TaskProposal,
    Order,
    Topic,
    TrainingTask,
    Dataset,
    Pool,
    Contribution,
    Code,
}

/// How many objects of each kind CheckTx accepted a creation of (an upper bound of what
/// exists): ids are drawn from `1..=count + 1`, so some point past the end.
#[derive(Default)]
pub struct Ids([AtomicU64; 9]);

impl Ids {
    pub fn created(&self, o: Obj) {
        self.0[o as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn draw(&self, o: Obj, rng: &mut Rng) -> u64 {
        rng.range(1, self.0[o as usize].load(Ordering::Relaxed) + 1)
    }
}

/// What messages refer to: the chain's validators, the run's accounts, current params.
pub struct World {
    /// Operator addresses (deaivaloper…) of the validators.
    pub validators: Vec<String>,
    pub valoper_hrp: String,
    pub accounts: Vec<String>,
    pub auth_params: Option<cosmos_sdk_proto::cosmos::auth::v1beta1::Params>,
    pub mint_params: Option<cosmos_sdk_proto::cosmos::mint::v1beta1::Params>,
    pub attest_params: Option<deai_proto::attest::v1::Params>,
    /// A contract to store and instantiate (wasm-contracts/artifacts), if built.
    pub wasm: Option<Vec<u8>>,
    pub ids: Ids,
}

/// One tx's messages, what they are, and what the tx needs.
pub struct Built {
    pub module: &'static str,
    pub label: &'static str,
    pub msgs: Vec<Any>,
    pub creates: Option<Obj>,
    /// Gas the tx needs at least to have a chance (a contract upload).
    pub min_gas: u64,
}

fn udeai(n: u64) -> Option<Coin> {
    Some(coin("udeai", n.into()))
}

impl World {
    /// A bech32 address: one of ours, or a fresh one.
    fn someone(&self, rng: &mut Rng) -> String {
        if rng.pct(70) {
            rng.pick(&self.accounts).clone()
        } else {
            let bytes: [u8; 20] = rng.bytes(20).try_into().unwrap_or([1; 20]);
            deai_framework::Address::from_bytes(&bytes)
                .expect("20 bytes")
                .to_bech32()
        }
    }

    fn validator(&self, rng: &mut Rng) -> String {
        rng.pick(&self.validators).clone()
    }

    /// `addr` (an account) spelled as an operator address: no validator has it.
    fn as_valoper(&self, addr: &str) -> String {
        let (_, data) = bech32::decode(addr).expect("our own address");
        let hrp = bech32::Hrp::parse(&self.valoper_hrp).expect("valoper prefix");
        bech32::encode::<bech32::Bech32>(hrp, &data).expect("encodes")
    }

    /// A random tx's messages from `module`, signed as `signer`.
    pub fn build(&self, module: &'static str, signer: &str, rng: &mut Rng) -> Built {
        let r = rng.below(100);
        let s = signer.to_string();
        let mut b = Built {
            module,
            label: "",
            msgs: Vec::new(),
            creates: None,
            min_gas: 0,
        };
        let (label, msg) = match module {
            "auth" => (
                "update-params-unauthorized",
                to_any(&cosmos_sdk_proto::cosmos::auth::v1beta1::MsgUpdateParams {
                    authority: s,
                    params: self.auth_params.clone(),
                }),
            ),
            "mint" if r < 50 => (
                "update-params-unauthorized",
                to_any(&cosmos_sdk_proto::cosmos::mint::v1beta1::MsgUpdateParams {
                    authority: s,
                    params: self.mint_params.clone(),
                }),
            ),
            "mint" => (
                "update-emission-split-unauthorized",
                to_any(&deai_proto::mint::v1::MsgUpdateEmissionSplit {
                    authority: s,
                    split: None,
                }),
            ),
            "attest" => (
                "update-params-unauthorized",
                to_any(&deai_proto::attest::v1::MsgUpdateParams {
                    authority: s,
                    params: self.attest_params.clone(),
                }),
            ),
            "bank" => self.bank(r, s, rng),
            "staking" => self.staking(r, s, rng),
            "distribution" => self.distribution(r, s, rng),
            "slashing" => (
                "unjail-not-a-validator",
                to_any(&cosmos_sdk_proto::cosmos::slashing::v1beta1::MsgUnjail {
                    validator_addr: self.as_valoper(&s),
                }),
            ),
            "gov" => self.gov(r, s, rng, &mut b),
            "task" => self.task(r, s, rng, &mut b),
            "compute" => self.compute(r, s, rng, &mut b),
            "inference" => self.inference(r, s, rng, &mut b),
            "training" => self.training(r, s, rng, &mut b),
            "data" => self.data(r, s, rng, &mut b),
            "wasm" => self.wasm(r, s, rng, &mut b),
            other => panic!("no generator for module {other}"),
        };
        b.label = label;
        b.msgs.push(msg);
        b
    }

    fn bank(&self, r: u64, s: String, rng: &mut Rng) -> (&'static str, Any) {
        use cosmos_sdk_proto::cosmos::bank::v1beta1::{Input, MsgMultiSend, MsgSend, Output};
        let send = |to: String, amount: Coin| MsgSend {
            from_address: s.clone(),
            to_address: to,
            amount: vec![amount],
        };
        match r {
            0..=59 => (
                "send",
                to_any(&send(
                    self.someone(rng),
                    coin("udeai", rng.range(1, 10_000).into()),
                )),
            ),
            60..=74 => (
                "send-more-than-owned",
                to_any(&send(self.someone(rng), coin("udeai", 10u128.pow(16)))),
            ),
            75..=89 => {
                let outputs: Vec<Output> = (0..rng.range(1, 4))
                    .map(|_| Output {
                        address: self.someone(rng),
                        coins: vec![coin("udeai", rng.range(1, 1_000).into())],
                    })
                    .collect();
                let total: u128 = outputs
                    .iter()
                    .map(|o| o.coins[0].amount.parse::<u128>().unwrap_or(0))
                    .sum();
                let msg = MsgMultiSend {
                    inputs: vec![Input {
                        address: s.clone(),
                        coins: vec![coin("udeai", total)],
                    }],
                    outputs,
                };
                ("multisend", to_any(&msg))
            }
            _ => (
                "send-unowned-denom",
                to_any(&send(self.someone(rng), coin("unobtainium", 1))),
            ),
        }
    }

    fn staking(&self, r: u64, s: String, rng: &mut Rng) -> (&'static str, Any) {
        use cosmos_sdk_proto::cosmos::staking::v1beta1::{
            MsgBeginRedelegate, MsgDelegate, MsgUndelegate,
        };
        let amount = udeai(rng.range(1, 100_000));
        match r {
            0..=39 => (
                "delegate",
                to_any(&MsgDelegate {
                    delegator_address: s,
                    validator_address: self.validator(rng),
                    amount,
                }),
            ),
            40..=54 => {
                let nobody = self.as_valoper(&self.someone(rng));
                (
                    "delegate-to-no-validator",
                    to_any(&MsgDelegate {
                        delegator_address: s,
                        validator_address: nobody,
                        amount,
                    }),
                )
            }
            55..=79 => (
                "undelegate",
                to_any(&MsgUndelegate {
                    delegator_address: s,
                    validator_address: self.validator(rng),
                    amount: udeai(rng.range(1, 50_000)),
                }),
            ),
            _ => (
                "redelegate",
                to_any(&MsgBeginRedelegate {
                    delegator_address: s,
                    validator_src_address: self.validator(rng),
                    validator_dst_address: self.validator(rng),
                    amount: udeai(rng.range(1, 50_000)),
                }),
            ),
        }
    }

    fn distribution(&self, r: u64, s: String, rng: &mut Rng) -> (&'static str, Any) {
        use cosmos_sdk_proto::cosmos::distribution::v1beta1 as d;
        match r {
            0..=39 => (
                "withdraw-rewards",
                to_any(&d::MsgWithdrawDelegatorReward {
                    delegator_address: s,
                    validator_address: self.validator(rng),
                }),
            ),
            40..=64 => (
                "fund-community-pool",
                to_any(&d::MsgFundCommunityPool {
                    amount: vec![coin("udeai", rng.range(1, 5_000).into())],
                    depositor: s,
                }),
            ),
            65..=84 => (
                "set-withdraw-address",
                to_any(&d::MsgSetWithdrawAddress {
                    delegator_address: s,
                    withdraw_address: self.someone(rng),
                }),
            ),
            _ => (
                "withdraw-commission-not-a-validator",
                to_any(&d::MsgWithdrawValidatorCommission {
                    validator_address: self.as_valoper(&s),
                }),
            ),
        }
    }

    fn gov(&self, r: u64, s: String, rng: &mut Rng, b: &mut Built) -> (&'static str, Any) {
        use cosmos_sdk_proto::cosmos::gov::v1 as g;
        match r {
            0..=24 => {
                b.creates = Some(Obj::Proposal);
                let n = rng.next_u64();
                (
                    "submit-text-proposal",
                    to_any(&g::MsgSubmitProposal {
                        // A proposal needs a message: a small community pool spend.
                        messages: vec![to_any(
                            &cosmos_sdk_proto::cosmos::distribution::v1beta1::MsgCommunityPoolSpend {
                                authority: deai_auth::module_address("gov").to_bech32(),
                                recipient: self.someone(rng),
                                amount: vec![coin("udeai", rng.range(1, 1_000).into())],
                            },
                        )],
                        initial_deposit: vec![coin("udeai", rng.range(0, 2_000_000).into())],
                        proposer: s,
                        metadata: String::new(),
                        title: format!("random proposal {n:x}"),
                        summary: "from the randomized determinism run".into(),
                        expedited: false,
                    }),
                )
            }
            25..=44 => (
                "deposit",
                to_any(&g::MsgDeposit {
                    proposal_id: self.ids.draw(Obj::Proposal, rng),
                    depositor: s,
                    amount: vec![coin("udeai", rng.range(1, 1_000_000).into())],
                }),
            ),
            _ => (
                "vote",
                to_any(&g::MsgVote {
                    proposal_id: self.ids.draw(Obj::Proposal, rng),
                    voter: s,
                    // 0 (unspecified) is invalid.
                    option: rng.range(0, 4) as i32,
                    metadata: String::new(),
                }),
            ),
        }
    }

    fn task(&self, r: u64, s: String, rng: &mut Rng, b: &mut Built) -> (&'static str, Any) {
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

    fn compute(&self, r: u64, s: String, rng: &mut Rng, b: &mut Built) -> (&'static str, Any) {
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

    fn inference(&self, r: u64, s: String, rng: &mut Rng, b: &mut Built) -> (&'static str, Any) {
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

    fn training(&self, r: u64, s: String, rng: &mut Rng, b: &mut Built) -> (&'static str, Any) {
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

    fn data(&self, r: u64, s: String, rng: &mut Rng, b: &mut Built) -> (&'static str, Any) {
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

    fn wasm(&self, r: u64, s: String, rng: &mut Rng, b: &mut Built) -> (&'static str, Any) {
        use cosmos_sdk_proto::cosmwasm::wasm::v1 as w;
        match (r, &self.wasm) {
            (0..=4, Some(code)) => {
                b.creates = Some(Obj::Code);
                b.min_gas = 60_000_000;
                (
                    "store-code",
                    to_any(&w::MsgStoreCode {
                        sender: s,
                        wasm_byte_code: code.clone(),
                        instantiate_permission: None,
                    }),
                )
            }
            (0..=39, _) => {
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
            (40..=69, _) => (
                "instantiate",
                to_any(&w::MsgInstantiateContract {
                    sender: s,
                    admin: String::new(),
                    code_id: self.ids.draw(Obj::Code, rng),
                    label: format!("random {}", rng.below(1000)),
                    msg: b"{}".to_vec(),
                    funds: Vec::new(),
                }),
            ),
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
