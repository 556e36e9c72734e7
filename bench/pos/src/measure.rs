//! The two measurements: blocks (begin/end wall time) and the gas of each message.

use std::time::Duration;

use cosmos_sdk_proto::cosmos::bank::v1beta1 as bankpb;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as dpb;
use cosmos_sdk_proto::cosmos::gov::v1 as gpb;
use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slpb;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use prost::Name;

use deai_bench_common::exec::{any, coin};
use deai_bench_common::rng::SplitMix64;
use deai_bench_common::stats::Summary;
use deai_framework::authority::default_authority;
use deai_staking::address::val_to_bech32;
use deai_staking::StakingRead;

use crate::chain::{self, delegator, operator, other, Chain, TOKEN};

/// The figures of one chain size.
pub struct SizeReport {
    pub validators: u32,
    pub delegations: u64,
    /// Unrelated keys added to the store after the setup (the control).
    pub ballast: u64,
    /// Funding the delegators and running their MsgDelegate txs (with the setup blocks).
    pub setup: Duration,
    /// Keys in the store after the setup.
    pub keys: usize,
    pub begin: Summary,
    pub end: Summary,
    /// Medians of the gas the hooks counted (deterministic work).
    pub begin_gas: u64,
    pub end_gas: u64,
    /// (module, begin median, end median).
    pub per_module: Vec<(&'static str, Duration, Duration)>,
    /// Height of the first timed block.
    pub first_height: u64,
    pub gas: Vec<GasRow>,
}

pub struct GasRow {
    pub msg: &'static str,
    pub what: String,
    pub gas: u64,
    pub time: Summary,
}

pub struct Counts {
    pub validators: u32,
    pub blocks: usize,
    pub warm_up: usize,
    pub runs: usize,
    pub seed: u64,
}

/// Builds the chain with `delegations` delegations, times `blocks` blocks, then measures the
/// delegation messages (and, with `all_msgs`, every message).
pub fn size(delegations: u64, ballast: u64, c: &Counts, all_msgs: bool) -> SizeReport {
    let mut rng = SplitMix64::new(c.seed);
    let mut chain = Chain::genesis();
    chain.create_validators(c.validators, &mut rng);
    let setup = chain.delegate_all(delegations, &mut rng);
    chain.add_ballast(ballast);
    let keys = chain.store.len();
    for _ in 0..c.warm_up {
        chain.block();
    }
    let first_height = chain.height + 1;
    let mut begin = Vec::with_capacity(c.blocks);
    let mut end = Vec::with_capacity(c.blocks);
    let (mut begin_gas, mut end_gas) = (Vec::new(), Vec::new());
    let mut per: Vec<(&'static str, Vec<Duration>, Vec<Duration>)> = Vec::new();
    for _ in 0..c.blocks {
        let t = chain.block();
        begin.push(t.begin);
        end.push(t.end);
        begin_gas.push(t.begin_gas);
        end_gas.push(t.end_gas);
        if per.is_empty() {
            per = t
                .per_module
                .iter()
                .map(|(m, _, _)| (*m, Vec::new(), Vec::new()))
                .collect();
        }
        for (row, (_, b, e)) in per.iter_mut().zip(&t.per_module) {
            row.1.push(*b);
            row.2.push(*e);
        }
    }
    let summary = |v: &[Duration]| Summary::of(v).unwrap_or_else(|| panic!("no blocks"));
    let per_module = per
        .iter()
        .map(|(m, b, e)| (*m, summary(b).median, summary(e).median))
        .collect();
    let mut gas = delegation_rows(&mut chain, c.runs);
    if all_msgs {
        gas.extend(other_rows(&mut chain, c.runs));
    }
    let median = |v: &mut Vec<u64>| {
        v.sort_unstable();
        v.get(v.len() / 2).copied().unwrap_or(0)
    };
    SizeReport {
        validators: c.validators,
        delegations,
        ballast,
        setup,
        keys,
        begin: summary(&begin),
        end: summary(&end),
        begin_gas: median(&mut begin_gas),
        end_gas: median(&mut end_gas),
        per_module,
        first_height,
        gas,
    }
}

/// Runs `p` `runs` times on the store at the next height (a metered tx context each time,
/// writes dropped), after two untimed runs; every run must use the same gas. With `keep`,
/// the writes are then applied (the next message may build on them).
fn measure<P: prost::Message + Name>(
    chain: &mut Chain,
    runs: usize,
    what: impl Into<String>,
    p: &P,
    keep: bool,
) -> GasRow {
    let a = any(p);
    let run = |chain: &Chain| {
        chain
            .metered(&chain.store, &a)
            .unwrap_or_else(|e| panic!("{}: {} {} {}", P::NAME, e.codespace, e.code, e.log))
    };
    let first = run(chain);
    run(chain);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let r = run(chain);
        assert_eq!(r.gas, first.gas, "{}: gas differs between runs", P::NAME);
        times.push(r.elapsed);
    }
    if keep {
        chain.store.apply(first.writes);
    }
    GasRow {
        msg: P::NAME,
        what: what.into(),
        gas: first.gas,
        time: Summary::of(&times).unwrap_or_else(|| panic!("no runs")),
    }
}

/// MsgDelegate (a new delegation, and more to an existing one) and MsgWithdrawDelegatorReward:
/// the messages whose cost must not grow with the number of delegations.
fn delegation_rows(chain: &mut Chain, runs: usize) -> Vec<GasRow> {
    let mut rows = Vec::new();
    let newcomer = other(100);
    chain.fund(&newcomer, 1_000 * TOKEN);
    rows.push(measure(
        chain,
        runs,
        "a new delegation (fresh account)",
        &chain::delegate_msg(&newcomer, &operator(0), 100 * TOKEN),
        true,
    ));
    let d0 = delegator(0);
    let v0 = operator(chain.delegation_of[0]);
    rows.push(measure(
        chain,
        runs,
        "to an existing delegation (its rewards withdrawn first)",
        &chain::delegate_msg(&d0, &v0, 10 * TOKEN),
        true,
    ));
    let d3 = delegator(3);
    rows.push(measure(
        chain,
        runs,
        "a delegation untouched since the setup",
        &dpb::MsgWithdrawDelegatorReward {
            delegator_address: d3.to_bech32(),
            validator_address: val_to_bech32(&operator(chain.delegation_of[3])),
        },
        true,
    ));
    rows
}

/// Every other message, on the chain after `delegation_rows`.
fn other_rows(chain: &mut Chain, runs: usize) -> Vec<GasRow> {
    let mut rows = Vec::new();
    let mut rng = SplitMix64::new(7);

    let new_op = other(1);
    chain.fund(&new_op, 10_000 * TOKEN);
    rows.push(measure(
        chain,
        runs,
        "validator 101 (5,000 self-bond)",
        &chain::create_validator_msg(&new_op, &chain::cons_key(1_000), 5_000 * TOKEN, 10),
        true,
    ));
    rows.push(measure(
        chain,
        runs,
        "a bonded validator's description",
        &spb::MsgEditValidator {
            description: Some(spb::Description {
                moniker: "renamed".into(),
                identity: "[do-not-modify]".into(),
                website: "https://example.com".into(),
                security_contact: "[do-not-modify]".into(),
                details: "new details".into(),
            }),
            validator_address: val_to_bech32(&operator(0)),
            commission_rate: String::new(),
            min_self_delegation: String::new(),
        },
        true,
    ));

    let (d1, v1) = (delegator(1), operator(chain.delegation_of[1]));
    let undelegate_height = chain.height + 1;
    rows.push(measure(
        chain,
        runs,
        "0.5 token of a delegation",
        &spb::MsgUndelegate {
            delegator_address: d1.to_bech32(),
            validator_address: val_to_bech32(&v1),
            amount: Some(coin(TOKEN / 2)),
        },
        true,
    ));
    let (d2, v2) = (delegator(2), chain.delegation_of[2]);
    let dst = (v2 + 1 + rng.range(0, chain.validators as u64 - 1) as u32) % chain.validators;
    rows.push(measure(
        chain,
        runs,
        "0.5 token to another bonded validator",
        &spb::MsgBeginRedelegate {
            delegator_address: d2.to_bech32(),
            validator_src_address: val_to_bech32(&operator(v2)),
            validator_dst_address: val_to_bech32(&operator(dst)),
            amount: Some(coin(TOKEN / 2)),
        },
        true,
    ));
    rows.push(measure(
        chain,
        runs,
        "the whole undelegation above",
        &spb::MsgCancelUnbondingDelegation {
            delegator_address: d1.to_bech32(),
            validator_address: val_to_bech32(&v1),
            amount: Some(coin(TOKEN / 2)),
            creation_height: undelegate_height as i64,
        },
        true,
    ));
    rows.push(measure(
        chain,
        runs,
        "validator 1's accumulated commission",
        &dpb::MsgWithdrawValidatorCommission {
            validator_address: val_to_bech32(&operator(1)),
        },
        true,
    ));
    rows.push(measure(
        chain,
        runs,
        "a delegator's withdraw address",
        &dpb::MsgSetWithdrawAddress {
            delegator_address: delegator(4).to_bech32(),
            withdraw_address: other(3).to_bech32(),
        },
        true,
    ));
    let payer = other(4);
    chain.fund(&payer, 1_000 * TOKEN);
    rows.push(measure(
        chain,
        runs,
        "100 tokens",
        &dpb::MsgFundCommunityPool {
            amount: vec![coin(100 * TOKEN)],
            depositor: payer.to_bech32(),
        },
        true,
    ));

    let proposer = other(5);
    chain.fund(&proposer, 1_000 * TOKEN);
    #[allow(deprecated)]
    let bank_params = any(&bankpb::MsgUpdateParams {
        authority: default_authority().to_bech32(),
        params: Some(bankpb::Params {
            send_enabled: vec![],
            default_send_enabled: true,
        }),
    });
    rows.push(measure(
        chain,
        runs,
        "a bank MsgUpdateParams, the min deposit (10 tokens): voting",
        &gpb::MsgSubmitProposal {
            messages: vec![bank_params],
            initial_deposit: vec![coin(10 * TOKEN)],
            proposer: proposer.to_bech32(),
            metadata: String::new(),
            title: "bank params".into(),
            summary: "keep sends enabled".into(),
            expedited: false,
        },
        true,
    ));
    let depositor = other(6);
    chain.fund(&depositor, 1_000 * TOKEN);
    rows.push(measure(
        chain,
        runs,
        "1 token to the proposal in voting",
        &gpb::MsgDeposit {
            proposal_id: 1,
            depositor: depositor.to_bech32(),
            amount: vec![coin(TOKEN)],
        },
        true,
    ));
    rows.push(measure(
        chain,
        runs,
        "a delegator votes yes",
        &gpb::MsgVote {
            proposal_id: 1,
            voter: delegator(5).to_bech32(),
            option: gpb::VoteOption::Yes as i32,
            metadata: String::new(),
        },
        true,
    ));
    rows.push(measure(
        chain,
        runs,
        "a delegator: 0.7 yes, 0.3 abstain",
        &gpb::MsgVoteWeighted {
            proposal_id: 1,
            voter: delegator(6).to_bech32(),
            options: vec![
                gpb::WeightedVoteOption {
                    option: gpb::VoteOption::Yes as i32,
                    weight: "0.7".into(),
                },
                gpb::WeightedVoteOption {
                    option: gpb::VoteOption::Abstain as i32,
                    weight: "0.3".into(),
                },
            ],
            metadata: String::new(),
        },
        true,
    ));

    // Downtime: the last validator stops signing until slashing jails it, then the chain
    // runs until its jail time (600 s) is over.
    let jailed = chain.validators - 1;
    let jailed_op = operator(jailed);
    chain.absent = vec![jailed];
    let mut blocks = 0;
    while !chain
        .store
        .must_validator(&jailed_op)
        .unwrap_or_else(|e| panic!("validator: {}", e.log))
        .jailed
    {
        assert!(blocks < 1_000, "validator {jailed} never jailed");
        chain.block();
        blocks += 1;
    }
    chain.absent.clear();
    let until = chain::time_of(chain.height) + 600;
    while chain::time_of(chain.height + 1) < until {
        chain.block();
    }
    rows.push(measure(
        chain,
        runs,
        format!("a validator jailed for downtime (after {blocks} blocks unsigned)"),
        &slpb::MsgUnjail {
            validator_addr: val_to_bech32(&jailed_op),
        },
        true,
    ));
    rows
}
