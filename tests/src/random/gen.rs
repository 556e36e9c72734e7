//! Random messages of every module: mostly well-formed, some aimed at ids that may not exist,
//! amounts that cannot be paid or signers without the right, so that both the success and
//! the failure paths of each module's handlers run in blocks.

use std::sync::atomic::{AtomicU64, Ordering};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
use cosmos_sdk_proto::Any;
use deai_client::txbuilder::{coin, to_any};

use super::Rng;

mod markets;

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
    Contract,
}

/// How many objects of each kind CheckTx accepted a creation of (an upper bound of what
/// exists): ids are drawn from `1..=count + 1`, so some point past the end.
#[derive(Default)]
pub struct Ids([AtomicU64; 10]);

impl Ids {
    pub fn created(&self, o: Obj) {
        self.0[o as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn count(&self, o: Obj) -> u64 {
        self.0[o as usize].load(Ordering::Relaxed)
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
    /// The reflect contract to store, instantiate and execute
    /// (wasm-contracts/artifacts/reflect.wasm), if it is built.
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
                    "submit-proposal",
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
}
