//! Unit tests: submission checks (deposit, signers, routes), the deposit period, votes
//! (weighted, inherited from validators, overridden by delegators), the tally's outcomes
//! (pass with execution as gov, failed execution keeping nothing, quorum, veto burn),
//! expedited conversion, cancellation, and the test harness the other test files share.

use cosmos_sdk_proto::cosmos::bank::v1beta1 as bankpb;
use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use cosmos_sdk_proto::Any;
use prost::Name;

use deai_bank::BankRead;
use deai_framework::context::BlockInfo;
use deai_framework::{Address, Ctx, Event, GasMeter, MemStore, Module, Router, TxError};
use deai_staking::address::val_to_bech32;
use deai_staking::keeper::pubkey_any;
use deai_staking::StakingModule;

use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code, proto_coin as coin};

pub(crate) const USERS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const FUNDS: u128 = 1_000_000_000_000;
pub(crate) const T0: i64 = 1_700_000_000;
pub(crate) const M: u128 = 1_000_000;

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(StakingModule::default()),
        Box::new(GovModule),
    ]
}

pub(crate) fn router() -> Router {
    let mut r = Router::new();
    for m in modules() {
        m.register(&mut r);
    }
    r
}

/// Small params: min deposit 1000 udeai (expedited 5000), deposit and voting periods 100 s
/// (expedited 50 s), the SDK's thresholds, min deposit ratio 0.01.
pub(crate) fn gov_params() -> serde_json::Value {
    serde_json::json!({
        "min_deposit": [{"denom": "udeai", "amount": "1000"}],
        "max_deposit_period": "100s",
        "voting_period": "100s",
        "quorum": "0.334000000000000000",
        "threshold": "0.500000000000000000",
        "veto_threshold": "0.334000000000000000",
        "min_initial_deposit_ratio": "0.000000000000000000",
        "proposal_cancel_ratio": "0.500000000000000000",
        "proposal_cancel_dest": "",
        "expedited_voting_period": "50s",
        "expedited_threshold": "0.667000000000000000",
        "expedited_min_deposit": [{"denom": "udeai", "amount": "5000"}],
        "burn_vote_quorum": false,
        "burn_proposal_deposit_prevote": false,
        "burn_vote_veto": true,
        "min_deposit_ratio": "0.010000000000000000"
    })
}

pub(crate) fn genesis_with(params: serde_json::Value) -> serde_json::Value {
    let mut app = testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, 9);
    app[MODULE_NAME] = serde_json::json!({"params": params, "constitution": "be kind"});
    app["staking"] = serde_json::json!({});
    app
}

pub(crate) fn blk(height: u64, time: i64) -> BlockInfo {
    BlockInfo {
        time_unix: time,
        ..testing::block(height)
    }
}

/// Runs a message as the app does: decoded by the full router, on an overlay applied on
/// success, with the router in the context.
pub(crate) fn exec_at<P: prost::Message + Name>(
    s: &mut MemStore,
    t: i64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_any(s, t, any(p)).map(|(_, e)| e)
}

pub(crate) fn exec_any(s: &mut MemStore, t: i64, a: Any) -> Result<(Any, Vec<Event>), TxError> {
    let r = router();
    let msg = r.decode(&a)?;
    let gas = GasMeter::new(100_000_000);
    let snap = s.clone();
    let b = blk(1, t);
    let mut ctx = Ctx::new(&snap, &gas, &b).with_router(&r);
    let res = msg.execute(&mut ctx)?;
    let (w, e) = ctx.finish();
    s.apply(w);
    Ok((res, e))
}

pub(crate) fn any<P: prost::Message + Name>(p: P) -> Any {
    Any {
        type_url: P::type_url(),
        value: p.encode_to_vec(),
    }
}

/// gov's end block at time `t`, with the router, as the app runs it.
pub(crate) fn end_block(s: &mut MemStore, t: i64) -> Vec<Event> {
    let r = router();
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let b = blk(2, t);
    let mut ctx = Ctx::new(&snap, &gas, &b).with_router(&r);
    GovModule.end_block(&mut ctx).unwrap();
    let (w, e) = ctx.finish();
    s.apply(w);
    e
}

pub(crate) fn val(b: u8) -> String {
    val_to_bech32(&addr(b))
}

#[allow(deprecated)]
fn create_msg(op: u8, amount: u128) -> spb::MsgCreateValidator {
    spb::MsgCreateValidator {
        description: Some(spb::Description {
            moniker: format!("v{op}"),
            ..Default::default()
        }),
        commission: Some(spb::CommissionRates {
            rate: "0.1".into(),
            max_rate: "0.2".into(),
            max_change_rate: "0.01".into(),
        }),
        min_self_delegation: "1".into(),
        delegator_address: String::new(),
        validator_address: val(op),
        pubkey: Some(pubkey_any(&[op + 10; 32])),
        value: Some(coin(amount, "udeai")),
    }
}

/// Validators 1 (60 M) and 2 (40 M), user 3 delegating 20 M to validator 1: 120 M bonded.
pub(crate) fn store_with(params: serde_json::Value) -> MemStore {
    let mut s = testing::try_init_all(&modules(), &genesis_with(params)).unwrap();
    let b = blk(1, T0);
    testing::exec(
        &StakingModule::default(),
        &mut s,
        &b,
        100_000_000,
        create_msg(1, 60 * M),
    )
    .unwrap();
    testing::exec(
        &StakingModule::default(),
        &mut s,
        &b,
        100_000_000,
        create_msg(2, 40 * M),
    )
    .unwrap();
    let d = spb::MsgDelegate {
        delegator_address: addr(3).to_bech32(),
        validator_address: val(1),
        amount: Some(coin(20 * M, "udeai")),
    };
    testing::exec(&StakingModule::default(), &mut s, &b, 100_000_000, d).unwrap();
    testing::end_block(&StakingModule::default(), &mut s, &b);
    s
}

pub(crate) fn store() -> MemStore {
    store_with(gov_params())
}

pub(crate) fn bal(s: &MemStore, a: &Address) -> u128 {
    s.balance(a, "udeai").unwrap()
}

pub(crate) fn gov_bal(s: &MemStore) -> u128 {
    bal(s, &gov_account())
}

pub(crate) fn supply(s: &MemStore) -> u128 {
    s.supply_of("udeai").unwrap()
}

/// A bank MsgUpdateParams as gov, switching default_send_enabled.
#[allow(deprecated)]
pub(crate) fn bank_params_msg(enabled: bool) -> Any {
    any(bankpb::MsgUpdateParams {
        authority: gov_account().to_bech32(),
        params: Some(bankpb::Params {
            send_enabled: vec![],
            default_send_enabled: enabled,
        }),
    })
}

pub(crate) fn submit(
    proposer: u8,
    msgs: Vec<Any>,
    deposit: u128,
    expedited: bool,
) -> pb::MsgSubmitProposal {
    pb::MsgSubmitProposal {
        messages: msgs,
        initial_deposit: if deposit == 0 {
            vec![]
        } else {
            vec![coin(deposit, "udeai")]
        },
        proposer: addr(proposer).to_bech32(),
        metadata: String::new(),
        title: "t".into(),
        summary: "s".into(),
        expedited,
    }
}

pub(crate) fn vote(id: u64, voter: u8, option: pb::VoteOption) -> pb::MsgVote {
    pb::MsgVote {
        proposal_id: id,
        voter: addr(voter).to_bech32(),
        option: option as i32,
        metadata: String::new(),
    }
}

pub(crate) fn deposit(id: u64, who: u8, amount: u128) -> pb::MsgDeposit {
    pb::MsgDeposit {
        proposal_id: id,
        depositor: addr(who).to_bech32(),
        amount: vec![coin(amount, "udeai")],
    }
}

pub(crate) fn proposal(s: &MemStore, id: u64) -> pb::Proposal {
    s.proposal(id).unwrap().unwrap()
}

/// Submits a bank-params proposal by user 5 with the full deposit, at T0.
pub(crate) fn active_proposal(s: &mut MemStore) -> u64 {
    exec_at(s, T0, submit(5, vec![bank_params_msg(false)], 1000, false)).unwrap();
    assert_eq!(proposal(s, 1).status, keeper::VOTING_PERIOD);
    1
}

#[test]
fn too_small_deposits_are_refused_and_a_deposit_activates_voting() {
    let mut s = store();
    // Below min_deposit_ratio (1% of 1000 = 10).
    let r = exec_at(
        &mut s,
        T0,
        submit(5, vec![bank_params_msg(false)], 9, false),
    );
    assert_eq!(code(r), ("gov", ERR_MIN_DEPOSIT_TOO_SMALL));
    // An empty initial deposit fails the same check, as in SDK v0.50.
    let r = exec_at(
        &mut s,
        T0,
        submit(5, vec![bank_params_msg(false)], 0, false),
    );
    assert_eq!(code(r), ("gov", ERR_MIN_DEPOSIT_TOO_SMALL));
    // Below min_initial_deposit_ratio.
    let mut p = gov_params();
    p["min_initial_deposit_ratio"] = "0.5".into();
    let mut s2 = store_with(p);
    let r = exec_at(
        &mut s2,
        T0,
        submit(5, vec![bank_params_msg(false)], 499, false),
    );
    assert_eq!(code(r), ("gov", ERR_MIN_DEPOSIT_TOO_SMALL));
    exec_at(
        &mut s2,
        T0,
        submit(5, vec![bank_params_msg(false)], 500, false),
    )
    .unwrap();
    // Wrong denom.
    let mut m = submit(5, vec![bank_params_msg(false)], 100, false);
    m.initial_deposit = vec![coin(100, "uatom")];
    assert_eq!(
        code(exec_at(&mut s, T0, m)),
        ("gov", ERR_INVALID_DEPOSIT_DENOM)
    );

    let before = bal(&s, &addr(5));
    let ev = exec_at(
        &mut s,
        T0,
        submit(5, vec![bank_params_msg(false)], 400, false),
    )
    .unwrap();
    assert!(ev.iter().any(|e| e.kind == "submit_proposal"));
    let p = proposal(&s, 1);
    assert_eq!(p.status, keeper::DEPOSIT_PERIOD);
    assert_eq!(p.deposit_end_time.unwrap().seconds, T0 + 100);
    assert_eq!(bal(&s, &addr(5)), before - 400);
    assert_eq!(gov_bal(&s), 400);
    // A deposit below 1% of the min deposit is refused; 600 more starts the vote.
    assert_eq!(code(exec_at(&mut s, T0 + 1, deposit(1, 6, 9))), ("gov", 16));
    let ev = exec_at(&mut s, T0 + 10, deposit(1, 6, 600)).unwrap();
    assert!(ev
        .iter()
        .any(|e| e.kind == "proposal_deposit" && e.attributes[0].0 == "voting_period_start"));
    let p = proposal(&s, 1);
    assert_eq!(p.status, keeper::VOTING_PERIOD);
    assert_eq!(p.voting_start_time.unwrap().seconds, T0 + 10);
    assert_eq!(p.voting_end_time.unwrap().seconds, T0 + 110);
    assert_eq!(p.total_deposit, vec![coin(1000, "udeai")]);
    assert_eq!(gov_bal(&s), 1000);
    // Unknown proposals.
    assert_eq!(code(exec_at(&mut s, T0, deposit(9, 6, 600))), ("gov", 2));
}

#[test]
fn proposal_messages_must_route_and_be_signed_by_gov_only() {
    let mut s = store();
    let send = any(bankpb::MsgSend {
        from_address: addr(5).to_bech32(),
        to_address: addr(6).to_bech32(),
        amount: vec![coin(1, "udeai")],
    });
    let r = exec_at(&mut s, T0, submit(5, vec![send], 1000, false));
    assert_eq!(code(r), ("gov", ERR_INVALID_SIGNER));
    let unknown = Any {
        type_url: "/nope.v1.MsgNothing".into(),
        value: vec![],
    };
    let r = exec_at(&mut s, T0, submit(5, vec![unknown], 1000, false));
    assert_eq!(code(r), ("gov", ERR_UNROUTABLE_PROPOSAL_MSG));
    let bad = Any {
        type_url: bankpb::MsgUpdateParams::type_url(),
        value: vec![0xff, 0xff],
    };
    let r = exec_at(&mut s, T0, submit(5, vec![bad], 1000, false));
    assert_eq!(code(r), ("gov", ERR_INVALID_PROPOSAL_MSG));
    let many = vec![bank_params_msg(false); MAX_PROPOSAL_MSGS + 1];
    let r = exec_at(&mut s, T0, submit(5, many, 1000, false));
    assert_eq!(code(r), ("gov", ERR_LIMIT_EXCEEDED));
    // No messages and no metadata; an empty title; over-long metadata.
    let r = exec_at(&mut s, T0, submit(5, vec![], 1000, false));
    assert_eq!(code(r), ("gov", ERR_NO_PROPOSAL_MSGS));
    let mut m = submit(5, vec![bank_params_msg(false)], 1000, false);
    m.title = String::new();
    assert_eq!(code(exec_at(&mut s, T0, m)), ("gov", 5));
    let mut m = submit(5, vec![bank_params_msg(false)], 1000, false);
    m.metadata = "x".repeat(MAX_METADATA_LEN + 1);
    assert_eq!(code(exec_at(&mut s, T0, m)), ("gov", ERR_METADATA_TOO_LONG));
    let mut m = submit(5, vec![bank_params_msg(false)], 1000, false);
    m.metadata = r#"{"title":"other","summary":"s"}"#.into();
    assert_eq!(code(exec_at(&mut s, T0, m)), ("gov", 5));
    // Without a router in the context, a proposal with messages cannot be checked.
    let gas = GasMeter::new(100_000_000);
    let b = blk(1, T0);
    let mut ctx = Ctx::new(&s, &gas, &b);
    let m = SubmitProposal::try_from(submit(5, vec![bank_params_msg(false)], 1000, false)).unwrap();
    use deai_framework::Message;
    assert_eq!(
        code(m.execute(&mut ctx)),
        ("gov", ERR_UNROUTABLE_PROPOSAL_MSG)
    );
    // A text proposal (metadata only) is fine.
    let mut m = submit(5, vec![], 1000, false);
    m.metadata = "ipfs://Qm".into();
    exec_at(&mut s, T0, m).unwrap();
}

#[test]
fn a_passed_proposal_executes_as_gov_and_refunds() {
    let mut s = store();
    let id = active_proposal(&mut s);
    assert!(s.bank_params().unwrap().default_send_enabled);
    exec_at(&mut s, T0 + 1, vote(id, 1, pb::VoteOption::Yes)).unwrap();
    let before = bal(&s, &addr(5));
    // Not before the voting end time.
    end_block(&mut s, T0 + 99);
    assert_eq!(proposal(&s, id).status, keeper::VOTING_PERIOD);
    let ev = end_block(&mut s, T0 + 100);
    let p = proposal(&s, id);
    assert_eq!(p.status, keeper::PASSED, "{}", p.failed_reason);
    let t = p.final_tally_result.unwrap();
    // Validator 1 votes its 60 M and its delegator's 20 M.
    assert_eq!(t.yes_count, (80 * M).to_string());
    assert_eq!(t.no_count, "0");
    assert!(!s.bank_params().unwrap().default_send_enabled);
    assert_eq!(bal(&s, &addr(5)), before + 1000);
    assert_eq!(gov_bal(&s), 0);
    assert!(ev.iter().any(|e| e.kind == "active_proposal"
        && e.attributes
            .contains(&("proposal_result".into(), "proposal_passed".into()))));
    // Votes are gone; voting is closed.
    assert!(s.vote(id, &addr(1)).unwrap().is_none());
    assert_eq!(
        code(exec_at(&mut s, T0 + 101, vote(id, 2, pb::VoteOption::Yes))),
        ("gov", ERR_INACTIVE_PROPOSAL)
    );
}

#[test]
fn a_passed_proposal_with_a_failing_message_keeps_nothing() {
    let mut s = store();
    // The bank update would pass, but the send from gov's (refunded, empty) account fails.
    let send = any(bankpb::MsgSend {
        from_address: gov_account().to_bech32(),
        to_address: addr(6).to_bech32(),
        amount: vec![coin(1, "udeai")],
    });
    exec_at(
        &mut s,
        T0,
        submit(5, vec![bank_params_msg(false), send], 1000, false),
    )
    .unwrap();
    exec_at(&mut s, T0 + 1, vote(1, 1, pb::VoteOption::Yes)).unwrap();
    let ev = end_block(&mut s, T0 + 100);
    let p = proposal(&s, 1);
    assert_eq!(p.status, keeper::FAILED);
    assert!(p.failed_reason.contains("msg 1"), "{}", p.failed_reason);
    assert!(s.bank_params().unwrap().default_send_enabled);
    assert!(ev.iter().any(|e| e
        .attributes
        .contains(&("proposal_result".into(), "proposal_failed".into()))));
    assert_eq!(gov_bal(&s), 0);
}

#[test]
fn votes_are_weighted_inherited_and_overridden() {
    let mut s = store();
    let id = active_proposal(&mut s);
    exec_at(&mut s, T0 + 1, vote(id, 1, pb::VoteOption::Yes)).unwrap();
    // The delegator overrides its validator's vote with its own 20 M.
    exec_at(&mut s, T0 + 1, vote(id, 3, pb::VoteOption::No)).unwrap();
    let w = pb::MsgVoteWeighted {
        proposal_id: id,
        voter: addr(2).to_bech32(),
        options: vec![
            pb::WeightedVoteOption {
                option: pb::VoteOption::Yes as i32,
                weight: "0.25".into(),
            },
            pb::WeightedVoteOption {
                option: pb::VoteOption::NoWithVeto as i32,
                weight: "0.75".into(),
            },
        ],
        metadata: String::new(),
    };
    exec_at(&mut s, T0 + 1, w.clone()).unwrap();
    let t: pb::QueryTallyResultResponse = testing::query(
        &GovModule,
        &s,
        "/cosmos.gov.v1.Query/TallyResult",
        pb::QueryTallyResultRequest { proposal_id: id },
    )
    .unwrap();
    let t = t.tally.unwrap();
    assert_eq!(t.yes_count, (70 * M).to_string()); // 60 M + 40 M / 4
    assert_eq!(t.no_count, (20 * M).to_string());
    assert_eq!(t.no_with_veto_count, (30 * M).to_string());
    assert_eq!(t.abstain_count, "0");
    // Weights must sum to 1, be in (0, 1], and not repeat an option.
    for (a, b) in [("0.5", "0.4"), ("0.5", "0.6"), ("0", "1")] {
        let mut bad = w.clone();
        bad.options[0].weight = a.into();
        bad.options[1].weight = b.into();
        assert_eq!(
            code(exec_at(&mut s, T0 + 1, bad)),
            ("gov", ERR_INVALID_VOTE)
        );
    }
    let mut dup = w.clone();
    dup.options[1].option = pb::VoteOption::Yes as i32;
    assert_eq!(
        code(exec_at(&mut s, T0 + 1, dup)),
        ("gov", ERR_INVALID_VOTE)
    );
    let mut empty = w;
    empty.options.clear();
    assert_eq!(code(exec_at(&mut s, T0 + 1, empty)), ("sdk", 18));
    let r = exec_at(&mut s, T0 + 1, vote(id, 4, pb::VoteOption::Unspecified));
    assert_eq!(code(r), ("gov", ERR_INVALID_VOTE));
    // 30 M veto of 120 M voting is not above 1/3; yes 70 of 120 passes.
    end_block(&mut s, T0 + 100);
    assert_eq!(proposal(&s, id).status, keeper::PASSED);
}

#[test]
fn without_quorum_a_proposal_is_rejected_and_refunded() {
    let mut s = store();
    let id = active_proposal(&mut s);
    // 40 M of 120 M bonded is below the 0.334 quorum.
    exec_at(&mut s, T0 + 1, vote(id, 2, pb::VoteOption::Yes)).unwrap();
    let supply0 = supply(&s);
    end_block(&mut s, T0 + 100);
    let p = proposal(&s, id);
    assert_eq!(p.status, keeper::REJECTED);
    assert_eq!(p.failed_reason, "proposal did not get enough votes to pass");
    assert_eq!(gov_bal(&s), 0);
    assert_eq!(supply(&s), supply0);
    assert!(s.bank_params().unwrap().default_send_enabled);
}

#[test]
fn a_veto_burns_the_deposits() {
    let mut s = store();
    let id = active_proposal(&mut s);
    exec_at(&mut s, T0 + 2, deposit(id, 6, 500)).unwrap();
    exec_at(&mut s, T0 + 3, vote(id, 1, pb::VoteOption::NoWithVeto)).unwrap();
    exec_at(&mut s, T0 + 3, vote(id, 2, pb::VoteOption::Yes)).unwrap();
    let supply0 = supply(&s);
    let (b5, b6) = (bal(&s, &addr(5)), bal(&s, &addr(6)));
    end_block(&mut s, T0 + 100);
    assert_eq!(proposal(&s, id).status, keeper::REJECTED);
    assert_eq!(supply(&s), supply0 - 1500);
    assert_eq!((bal(&s, &addr(5)), bal(&s, &addr(6))), (b5, b6));
    assert_eq!(gov_bal(&s), 0);
    assert!(s.deposits_of(id).unwrap().is_empty());
}

#[test]
fn a_failed_expedited_proposal_becomes_a_regular_one() {
    let mut s = store();
    // Expedited needs 5000 to start voting.
    exec_at(
        &mut s,
        T0,
        submit(5, vec![bank_params_msg(false)], 1000, true),
    )
    .unwrap();
    assert_eq!(proposal(&s, 1).status, keeper::DEPOSIT_PERIOD);
    exec_at(&mut s, T0, deposit(1, 5, 4000)).unwrap();
    let p = proposal(&s, 1);
    assert_eq!(p.status, keeper::VOTING_PERIOD);
    assert_eq!(p.voting_end_time.unwrap().seconds, T0 + 50);
    // Validator 2 (40 M of 120 M) votes yes and validator 1 no: below 2/3.
    exec_at(&mut s, T0 + 1, vote(1, 2, pb::VoteOption::Yes)).unwrap();
    exec_at(&mut s, T0 + 1, vote(1, 1, pb::VoteOption::No)).unwrap();
    let ev = end_block(&mut s, T0 + 50);
    let p = proposal(&s, 1);
    assert_eq!(p.status, keeper::VOTING_PERIOD);
    assert!(!p.expedited);
    assert_eq!(p.voting_end_time.unwrap().seconds, T0 + 100);
    assert_eq!(gov_bal(&s), 5000, "deposits are kept");
    assert!(ev.iter().any(|e| e.attributes.contains(&(
        "proposal_result".into(),
        "expedited_proposal_rejected".into()
    ))));
    // Validator 1 changes its mind: 80 M + 40 M yes passes under the regular threshold.
    exec_at(&mut s, T0 + 60, vote(1, 1, pb::VoteOption::Yes)).unwrap();
    end_block(&mut s, T0 + 100);
    assert_eq!(proposal(&s, 1).status, keeper::PASSED);
    assert_eq!(gov_bal(&s), 0);
}

#[test]
fn an_unfunded_proposal_is_dropped_at_its_deposit_end() {
    for burn in [false, true] {
        let mut p = gov_params();
        p["burn_proposal_deposit_prevote"] = burn.into();
        let mut s = store_with(p);
        let b5 = bal(&s, &addr(5));
        exec_at(
            &mut s,
            T0,
            submit(5, vec![bank_params_msg(false)], 300, false),
        )
        .unwrap();
        let supply0 = supply(&s);
        end_block(&mut s, T0 + 99);
        assert!(s.proposal(1).unwrap().is_some());
        // A deposit after the deposit end (before its end block) is refused.
        let late = exec_at(&mut s, T0 + 101, deposit(1, 6, 800));
        assert_eq!(code(late), ("gov", ERR_INACTIVE_PROPOSAL));
        let ev = end_block(&mut s, T0 + 100);
        assert!(s.proposal(1).unwrap().is_none());
        assert!(ev.iter().any(|e| e.kind == "inactive_proposal"));
        assert_eq!(gov_bal(&s), 0);
        if burn {
            assert_eq!(supply(&s), supply0 - 300);
            assert_eq!(bal(&s, &addr(5)), b5 - 300);
        } else {
            assert_eq!(supply(&s), supply0);
            assert_eq!(bal(&s, &addr(5)), b5);
        }
    }
}
