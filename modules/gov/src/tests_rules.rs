//! Unit tests: cancellation, gov's own params, and deai's bounds (proposals per end block,
//! voters and depositors per proposal), and proposals without a router.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;

use deai_framework::{Ctx, GasMeter};

use crate::tests::*;
use crate::*;

#[test]
fn the_proposer_can_cancel_for_the_cancel_ratio() {
    let mut s = store();
    let id = active_proposal(&mut s);
    exec_at(&mut s, T0 + 1, deposit(id, 6, 301)).unwrap();
    exec_at(&mut s, T0 + 1, vote(id, 1, pb::VoteOption::Yes)).unwrap();
    let cancel = |who: u8| pb::MsgCancelProposal {
        proposal_id: id,
        proposer: addr(who).to_bech32(),
    };
    assert_eq!(
        code(exec_at(&mut s, T0 + 2, cancel(6))),
        ("gov", ERR_INVALID_PROPOSER)
    );
    let supply0 = supply(&s);
    let (b5, b6) = (bal(&s, &addr(5)), bal(&s, &addr(6)));
    exec_at(&mut s, T0 + 2, cancel(5)).unwrap();
    // Half of each deposit (truncated) is burned: 500 + 150.
    assert_eq!(supply(&s), supply0 - 650);
    assert_eq!(bal(&s, &addr(5)), b5 + 500);
    assert_eq!(bal(&s, &addr(6)), b6 + 151);
    assert!(s.proposal(id).unwrap().is_none());
    assert!(s.vote(id, &addr(1)).unwrap().is_none());
    assert_eq!(gov_bal(&s), 0);
    assert_eq!(
        code(exec_at(&mut s, T0 + 3, cancel(5))),
        ("gov", ERR_UNKNOWN_PROPOSAL)
    );
}

#[test]
fn gov_params_change_only_through_the_authority() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.quorum = "0.5".into();
    let m = pb::MsgUpdateParams {
        authority: addr(9).to_bech32(),
        params: Some(p.clone()),
    };
    assert_eq!(code(exec_at(&mut s, T0, m)), ("gov", 13));
    // Through a proposal.
    let m = pb::MsgUpdateParams {
        authority: gov_account().to_bech32(),
        params: Some(p),
    };
    exec_at(&mut s, T0, submit(5, vec![any(m)], 1000, false)).unwrap();
    exec_at(&mut s, T0 + 1, vote(1, 1, pb::VoteOption::Yes)).unwrap();
    end_block(&mut s, T0 + 100);
    assert_eq!(
        proposal(&s, 1).status,
        keeper::PASSED,
        "{}",
        proposal(&s, 1).failed_reason
    );
    assert_eq!(s.gov_params().unwrap().quorum, Dec::parse("0.5").unwrap());
    // Invalid params are refused statelessly.
    let mut bad = Params::default().to_proto();
    bad.expedited_threshold = "0.4".into();
    let m = pb::MsgUpdateParams {
        authority: gov_account().to_bech32(),
        params: Some(bad),
    };
    assert_eq!(code(exec_at(&mut s, T0, m)), ("gov", ERR_INVALID_PARAMS));
}

#[test]
fn end_blocks_process_a_bounded_number_of_proposals() {
    let mut s = store();
    let n = MAX_PROPOSALS_PER_BLOCK as u64 + 3;
    for _ in 0..n {
        exec_at(
            &mut s,
            T0,
            submit(5, vec![bank_params_msg(false)], 100, false),
        )
        .unwrap();
    }
    end_block(&mut s, T0 + 100);
    let left = (1..=n)
        .filter(|i| s.proposal(*i).unwrap().is_some())
        .count();
    assert_eq!(left, 3);
    end_block(&mut s, T0 + 101);
    assert_eq!(gov_bal(&s), 0);
    assert!((1..=n).all(|i| s.proposal(i).unwrap().is_none()));
}

#[test]
fn voters_and_depositors_per_proposal_are_bounded() {
    let mut s = store();
    let id = active_proposal(&mut s);
    exec_at(&mut s, T0 + 1, vote(id, 1, pb::VoteOption::Yes)).unwrap();
    // Pretend the proposal is full of voters and depositors.
    s.set_counts(id, MAX_VOTERS, MAX_DEPOSITORS).unwrap();
    let r = exec_at(&mut s, T0 + 1, vote(id, 2, pb::VoteOption::Yes));
    assert_eq!(code(r), ("gov", ERR_LIMIT_EXCEEDED));
    let r = exec_at(&mut s, T0 + 1, deposit(id, 6, 100));
    assert_eq!(code(r), ("gov", ERR_LIMIT_EXCEEDED));
    // Those already in may change their vote or add to their deposit.
    exec_at(&mut s, T0 + 1, vote(id, 1, pb::VoteOption::No)).unwrap();
    exec_at(&mut s, T0 + 1, deposit(id, 5, 100)).unwrap();
    // Once final, the counters are gone.
    end_block(&mut s, T0 + 100);
    assert_eq!(s.counts(id).unwrap(), (0, 0));
}

#[test]
fn a_text_proposal_needs_no_router() {
    let s = store();
    let gas = GasMeter::new(100_000_000);
    let b = blk(1, T0);
    let mut ctx = Ctx::new(&s, &gas, &b);
    let mut m = submit(5, vec![], 1000, false);
    m.metadata = "ipfs://Qm".into();
    use deai_framework::Message;
    SubmitProposal::try_from(m)
        .unwrap()
        .execute(&mut ctx)
        .unwrap();
}

#[test]
fn params_defaults_round_trip_and_checks() {
    let p = Params::default();
    assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
    assert_eq!(p.to_proto().quorum, "0.334000000000000000");
    let bad = |f: &dyn Fn(&mut pb::Params)| {
        let mut q = Params::default().to_proto();
        f(&mut q);
        code(Params::from_proto(&q).map_err(deai_framework::TxError::from))
    };
    let invalid = ("gov", ERR_INVALID_PARAMS);
    assert_eq!(bad(&|q| q.min_deposit.clear()), invalid);
    assert_eq!(
        bad(&|q| q.expedited_min_deposit = q.min_deposit.clone()),
        invalid
    );
    assert_eq!(bad(&|q| q.threshold = "0".into()), invalid);
    assert_eq!(bad(&|q| q.quorum = "1.1".into()), invalid);
    assert_eq!(bad(&|q| q.veto_threshold = "0".into()), invalid);
    assert_eq!(bad(&|q| q.expedited_threshold = "0.5".into()), invalid);
    assert_eq!(
        bad(&|q| q.expedited_voting_period = q.voting_period),
        invalid
    );
    assert_eq!(bad(&|q| q.voting_period = None), invalid);
    assert_eq!(
        bad(&|q| q.proposal_cancel_dest = "cosmos1xyz".into()),
        invalid
    );
    assert_eq!(bad(&|q| q.min_deposit_ratio = "-1".into()), invalid);
    // Half-to-even rounding of the initial deposit ratio (LegacyDec's RoundInt).
    let half = Dec::parse("0.5").unwrap();
    assert_eq!(params::mul_round(5, half), Some(2));
    assert_eq!(params::mul_round(7, half), Some(4));
    assert_eq!(params::mul_round(9, Dec::parse("0.55").unwrap()), Some(5));
}

#[test]
fn proposals_cannot_spend_escrowed_deposits_and_gov_cannot_deposit() {
    use cosmos_sdk_proto::cosmos::bank::v1beta1 as bankpb;
    let mut s = store();
    let send = tests::any(bankpb::MsgSend {
        from_address: gov_account().to_bech32(),
        to_address: addr(6).to_bech32(),
        amount: vec![coin(200, "udeai")],
    });
    exec_at(&mut s, T0, submit(5, vec![send], 1000, false)).unwrap();
    exec_at(&mut s, T0 + 1, vote(1, 1, pb::VoteOption::Yes)).unwrap();
    // Proposal 2's 300 stay escrowed while proposal 1 executes.
    exec_at(
        &mut s,
        T0 + 50,
        submit(7, vec![bank_params_msg(false)], 300, false),
    )
    .unwrap();
    let b6 = bal(&s, &addr(6));
    end_block(&mut s, T0 + 100);
    let p = s.proposal(1).unwrap().unwrap();
    assert_eq!(p.status, keeper::FAILED);
    assert!(p.failed_reason.contains("escrows"), "{}", p.failed_reason);
    assert_eq!((gov_bal(&s), bal(&s, &addr(6))), (300, b6));
    // The gov account (through a proposal) cannot deposit: it could not be refunded.
    let r = exec_at(
        &mut s,
        T0 + 60,
        pb::MsgDeposit {
            proposal_id: 2,
            depositor: gov_account().to_bech32(),
            amount: vec![coin(100, "udeai")],
        },
    );
    assert_eq!(code(r), ("sdk", 4));
}

#[test]
fn a_staking_param_change_passes_and_unbonded_validators_do_not_vote() {
    use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
    use deai_staking::{StakingModule, StakingRead};
    let mut s = store();
    let mut p = s.staking_params().unwrap().to_proto();
    p.max_validators = 1;
    let m = spb::MsgUpdateParams {
        authority: gov_account().to_bech32(),
        params: Some(p),
    };
    exec_at(&mut s, T0, submit(5, vec![tests::any(m)], 1000, false)).unwrap();
    exec_at(&mut s, T0 + 1, vote(1, 1, pb::VoteOption::Yes)).unwrap();
    end_block(&mut s, T0 + 100);
    assert_eq!(s.proposal(1).unwrap().unwrap().status, keeper::PASSED);
    assert_eq!(s.staking_params().unwrap().max_validators, 1);
    // Staking's end block (after gov's) drops validator 2 from the bonded set.
    testing::end_block(&StakingModule::default(), &mut s, &blk(3, T0 + 100));
    exec_at(
        &mut s,
        T0 + 101,
        submit(5, vec![bank_params_msg(false)], 1000, false),
    )
    .unwrap();
    exec_at(&mut s, T0 + 102, vote(2, 2, pb::VoteOption::Yes)).unwrap();
    exec_at(&mut s, T0 + 102, vote(2, 1, pb::VoteOption::No)).unwrap();
    end_block(&mut s, T0 + 201);
    let p = s.proposal(2).unwrap().unwrap();
    let t = p.final_tally_result.unwrap();
    assert_eq!(
        (t.yes_count.as_str(), t.no_count),
        ("0", (80 * M).to_string())
    );
    assert_eq!(p.status, keeper::REJECTED);
}
