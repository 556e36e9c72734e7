//! Queries at the v1 and v1beta1 paths, the v1beta1 messages cosmjs sends, and the genesis
//! round trip.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::cosmos::gov::v1beta1 as b1;
use prost::{Message, Name};

use deai_framework::MemStore;

use crate::tests::*;
use crate::*;

const V1: &str = "/cosmos.gov.v1.Query/";
const B1: &str = "/cosmos.gov.v1beta1.Query/";

fn q<Req: Message, Res: Message + Default>(s: &MemStore, path: &str, req: Req) -> Res {
    testing::query(&GovModule, s, path, req).unwrap()
}

fn qerr<Req: Message>(s: &MemStore, path: &str, req: Req) -> (&'static str, u32) {
    code(testing::query::<Req, pb::QueryProposalResponse>(
        &GovModule, s, path, req,
    ))
}

/// Proposal 1 voting (deposits by 5 and 6, votes by 1 and 3), proposal 2 in its deposit
/// period (deposit by 7), proposal 3 passed.
fn populated() -> MemStore {
    let mut s = store();
    exec_at(
        &mut s,
        T0,
        submit(5, vec![bank_params_msg(false)], 1000, false),
    )
    .unwrap();
    exec_at(&mut s, T0, deposit(1, 6, 200)).unwrap();
    exec_at(
        &mut s,
        T0,
        submit(7, vec![bank_params_msg(true)], 100, false),
    )
    .unwrap();
    exec_at(&mut s, T0 + 1, vote(1, 1, pb::VoteOption::Yes)).unwrap();
    exec_at(&mut s, T0 + 1, vote(1, 3, pb::VoteOption::Abstain)).unwrap();
    s
}

#[test]
fn v1_queries_answer_at_the_sdk_paths() {
    let s = populated();
    let r: pb::QueryProposalResponse = q(
        &s,
        &format!("{V1}Proposal"),
        pb::QueryProposalRequest { proposal_id: 1 },
    );
    let p = r.proposal.unwrap();
    assert_eq!((p.id, p.status), (1, keeper::VOTING_PERIOD));
    assert_eq!(p.total_deposit, vec![coin(1200, "udeai")]);
    assert_eq!(
        qerr(
            &s,
            &format!("{V1}Proposal"),
            pb::QueryProposalRequest { proposal_id: 0 }
        ),
        ("sdk", 18)
    );
    assert_eq!(
        qerr(
            &s,
            &format!("{V1}Proposal"),
            pb::QueryProposalRequest { proposal_id: 9 }
        ),
        ("sdk", 22)
    );
    let all: pb::QueryProposalsResponse = q(
        &s,
        &format!("{V1}Proposals"),
        pb::QueryProposalsRequest::default(),
    );
    assert_eq!(all.proposals.len(), 2);
    let by = |status: i32, voter: &str, depositor: &str, limit: u64| pb::QueryProposalsRequest {
        proposal_status: status,
        voter: voter.into(),
        depositor: depositor.into(),
        pagination: Some(PageRequest {
            limit,
            count_total: true,
            ..Default::default()
        }),
    };
    let ids = |r: pb::QueryProposalsResponse| r.proposals.iter().map(|p| p.id).collect::<Vec<_>>();
    let r: pb::QueryProposalsResponse = q(
        &s,
        &format!("{V1}Proposals"),
        by(keeper::DEPOSIT_PERIOD, "", "", 0),
    );
    assert_eq!(ids(r), vec![2]);
    let r: pb::QueryProposalsResponse = q(
        &s,
        &format!("{V1}Proposals"),
        by(0, "", &addr(7).to_bech32(), 0),
    );
    assert_eq!(ids(r), vec![2]);
    let r: pb::QueryProposalsResponse = q(
        &s,
        &format!("{V1}Proposals"),
        by(0, &addr(3).to_bech32(), "", 0),
    );
    assert_eq!(ids(r), vec![1]);
    // A filtered page of one with a next key and the filtered total.
    let r: pb::QueryProposalsResponse = q(
        &s,
        &format!("{V1}Proposals"),
        by(0, "", &addr(7).to_bech32(), 1),
    );
    assert_eq!(r.pagination.unwrap().total, 1);
    let r: pb::QueryProposalsResponse = q(&s, &format!("{V1}Proposals"), by(0, "", "", 1));
    let page = r.pagination.clone().unwrap();
    assert_eq!((ids(r), page.total), (vec![1], 2));
    assert!(!page.next_key.is_empty());

    let v: pb::QueryVoteResponse = q(
        &s,
        &format!("{V1}Vote"),
        pb::QueryVoteRequest {
            proposal_id: 1,
            voter: addr(3).to_bech32(),
        },
    );
    let v = v.vote.unwrap();
    assert_eq!(v.options[0].option, pb::VoteOption::Abstain as i32);
    assert_eq!(v.options[0].weight, "1.000000000000000000");
    let missing = pb::QueryVoteRequest {
        proposal_id: 1,
        voter: addr(8).to_bech32(),
    };
    assert_eq!(qerr(&s, &format!("{V1}Vote"), missing), ("sdk", 18));
    let vs: pb::QueryVotesResponse = q(
        &s,
        &format!("{V1}Votes"),
        pb::QueryVotesRequest {
            proposal_id: 1,
            pagination: None,
        },
    );
    assert_eq!(vs.votes.len(), 2);
    let d: pb::QueryDepositResponse = q(
        &s,
        &format!("{V1}Deposit"),
        pb::QueryDepositRequest {
            proposal_id: 1,
            depositor: addr(6).to_bech32(),
        },
    );
    assert_eq!(d.deposit.unwrap().amount, vec![coin(200, "udeai")]);
    let ds: pb::QueryDepositsResponse = q(
        &s,
        &format!("{V1}Deposits"),
        pb::QueryDepositsRequest {
            proposal_id: 1,
            pagination: None,
        },
    );
    assert_eq!(ds.deposits.len(), 2);
    let p: pb::QueryParamsResponse = q(
        &s,
        &format!("{V1}Params"),
        pb::QueryParamsRequest {
            params_type: "tallying".into(),
        },
    );
    assert_eq!(p.params.unwrap().quorum, "0.334000000000000000");
    #[allow(deprecated)]
    let tally = p.tally_params.unwrap();
    assert_eq!(tally.veto_threshold, "0.334000000000000000");
    let bad = pb::QueryParamsRequest {
        params_type: "nope".into(),
    };
    assert_eq!(qerr(&s, &format!("{V1}Params"), bad), ("sdk", 18));
    let c: pb::QueryConstitutionResponse = q(
        &s,
        &format!("{V1}Constitution"),
        pb::QueryConstitutionRequest {},
    );
    assert_eq!(c.constitution, "be kind");
    // Live tally: validator 1's 60 M yes, delegator 3's 20 M abstain; zeros in deposit period.
    let t: pb::QueryTallyResultResponse = q(
        &s,
        &format!("{V1}TallyResult"),
        pb::QueryTallyResultRequest { proposal_id: 1 },
    );
    let t = t.tally.unwrap();
    assert_eq!(
        (t.yes_count, t.abstain_count),
        ((60 * M).to_string(), (20 * M).to_string())
    );
    let t: pb::QueryTallyResultResponse = q(
        &s,
        &format!("{V1}TallyResult"),
        pb::QueryTallyResultRequest { proposal_id: 2 },
    );
    assert_eq!(t.tally.unwrap().yes_count, "0");
}

#[test]
fn v1beta1_queries_convert_the_v1_records() {
    let s = populated();
    let r: b1::QueryProposalResponse = q(
        &s,
        &format!("{B1}Proposal"),
        b1::QueryProposalRequest { proposal_id: 1 },
    );
    let p = r.proposal.unwrap();
    assert_eq!(p.status, b1::ProposalStatus::VotingPeriod as i32);
    // The first message stands in for the content (cosmos-sdk#14334).
    assert_eq!(
        p.content.unwrap().type_url,
        cosmos_sdk_proto::cosmos::bank::v1beta1::MsgUpdateParams::type_url()
    );
    assert_eq!(p.final_tally_result.unwrap().yes, "0");
    let r: b1::QueryProposalsResponse = q(
        &s,
        &format!("{B1}Proposals"),
        b1::QueryProposalsRequest {
            proposal_status: b1::ProposalStatus::DepositPeriod as i32,
            ..Default::default()
        },
    );
    assert_eq!(r.proposals.len(), 1);
    let v: b1::QueryVoteResponse = q(
        &s,
        &format!("{B1}Vote"),
        b1::QueryVoteRequest {
            proposal_id: 1,
            voter: addr(1).to_bech32(),
        },
    );
    let v = v.vote.unwrap();
    // LegacyDec on the wire: 10^-18 units.
    assert_eq!(v.options[0].weight, "1000000000000000000");
    let vs: b1::QueryVotesResponse = q(
        &s,
        &format!("{B1}Votes"),
        b1::QueryVotesRequest {
            proposal_id: 1,
            pagination: None,
        },
    );
    assert_eq!(vs.votes.len(), 2);
    let p: b1::QueryParamsResponse = q(
        &s,
        &format!("{B1}Params"),
        b1::QueryParamsRequest {
            params_type: "tallying".into(),
        },
    );
    assert_eq!(
        p.tally_params.unwrap().quorum,
        b"334000000000000000".to_vec()
    );
    let p: b1::QueryParamsResponse = q(
        &s,
        &format!("{B1}Params"),
        b1::QueryParamsRequest {
            params_type: "deposit".into(),
        },
    );
    assert_eq!(
        p.deposit_params.unwrap().min_deposit,
        vec![coin(1000, "udeai")]
    );
    let bad = b1::QueryParamsRequest {
        params_type: String::new(),
    };
    assert_eq!(qerr(&s, &format!("{B1}Params"), bad), ("sdk", 18));
    let d: b1::QueryDepositResponse = q(
        &s,
        &format!("{B1}Deposit"),
        b1::QueryDepositRequest {
            proposal_id: 2,
            depositor: addr(7).to_bech32(),
        },
    );
    assert_eq!(d.deposit.unwrap().amount, vec![coin(100, "udeai")]);
    let ds: b1::QueryDepositsResponse = q(
        &s,
        &format!("{B1}Deposits"),
        b1::QueryDepositsRequest {
            proposal_id: 1,
            pagination: None,
        },
    );
    assert_eq!(ds.deposits.len(), 2);
    let t: b1::QueryTallyResultResponse = q(
        &s,
        &format!("{B1}TallyResult"),
        b1::QueryTallyResultRequest { proposal_id: 1 },
    );
    assert_eq!(t.tally.unwrap().yes, (60 * M).to_string());
}

#[test]
fn v1beta1_messages_work_as_cosmjs_sends_them() {
    let mut s = store();
    let text = b1::TextProposal {
        title: "hello".into(),
        description: "world".into(),
    };
    let submit = b1::MsgSubmitProposal {
        content: Some(tests::any(text.clone())),
        initial_deposit: vec![coin(700, "udeai")],
        proposer: addr(5).to_bech32(),
    };
    let (res, _) = exec_any(&mut s, T0, tests::any(submit.clone())).unwrap();
    assert_eq!(res.type_url, b1::MsgSubmitProposalResponse::type_url());
    assert_eq!(
        b1::MsgSubmitProposalResponse::decode(res.value.as_slice())
            .unwrap()
            .proposal_id,
        1
    );
    let p = proposal(&s, 1);
    assert_eq!((p.title.as_str(), p.summary.as_str()), ("hello", "world"));
    exec_at(
        &mut s,
        T0 + 1,
        b1::MsgDeposit {
            proposal_id: 1,
            depositor: addr(6).to_bech32(),
            amount: vec![coin(300, "udeai")],
        },
    )
    .unwrap();
    assert_eq!(proposal(&s, 1).status, keeper::VOTING_PERIOD);
    exec_at(
        &mut s,
        T0 + 2,
        b1::MsgVote {
            proposal_id: 1,
            voter: addr(1).to_bech32(),
            option: b1::VoteOption::Yes as i32,
        },
    )
    .unwrap();
    let weighted = b1::MsgVoteWeighted {
        proposal_id: 1,
        voter: addr(2).to_bech32(),
        options: vec![
            b1::WeightedVoteOption {
                option: b1::VoteOption::Yes as i32,
                weight: "500000000000000000".into(),
            },
            b1::WeightedVoteOption {
                option: b1::VoteOption::No as i32,
                weight: "500000000000000000".into(),
            },
        ],
    };
    exec_at(&mut s, T0 + 2, weighted).unwrap();
    let v = s.vote(1, &addr(2)).unwrap().unwrap();
    assert_eq!(v.options[0].weight, "0.500000000000000000");
    // Content the SDK's text handler would refuse.
    let mut bad = submit.clone();
    bad.content = Some(tests::any(b1::TextProposal {
        title: " ".into(),
        description: "x".into(),
    }));
    assert_eq!(code(exec_any(&mut s, T0, tests::any(bad))), ("gov", 5));
    let mut other = submit;
    other.content = Some(tests::any(pb::MsgVote::default()));
    assert_eq!(code(exec_any(&mut s, T0, tests::any(other))), ("gov", 6));
    end_block(&mut s, T0 + 101);
    assert_eq!(
        proposal(&s, 1).status,
        keeper::PASSED,
        "{}",
        proposal(&s, 1).failed_reason
    );
    // The v1beta1 view shows the text proposal as the content.
    let r: b1::QueryProposalResponse = q(
        &s,
        &format!("{B1}Proposal"),
        b1::QueryProposalRequest { proposal_id: 1 },
    );
    let p = r.proposal.unwrap();
    let c = p.content.unwrap();
    assert_eq!(c.type_url, b1::TextProposal::type_url());
    assert_eq!(b1::TextProposal::decode(c.value.as_slice()).unwrap(), text);
    assert_eq!(p.final_tally_result.unwrap().yes, (100 * M).to_string());
}

#[test]
fn genesis_round_trips_exactly() {
    let mut s = populated();
    // A passed proposal, a weighted vote and a converted expedited proposal too.
    exec_at(&mut s, T0 + 2, vote(1, 2, pb::VoteOption::NoWithVeto)).unwrap();
    exec_at(
        &mut s,
        T0 + 3,
        submit(6, vec![bank_params_msg(false)], 5000, true),
    )
    .unwrap();
    end_block(&mut s, T0 + 60);
    let mods = modules();
    let export = testing::export_all(&mods, &s);
    let g = &export[MODULE_NAME];
    assert_eq!(g["starting_proposal_id"], "4");
    assert_eq!(g["proposals"].as_array().unwrap().len(), 3);
    assert_eq!(g["params"]["voting_period"], "100s");
    assert!(g["deposit_params"].is_null());
    let s2 = testing::try_init_all(&mods, &export).unwrap();
    assert_eq!(testing::export_all(&mods, &s2), export);
    // The queues come back: the voting proposal is tallied at its end.
    let mut s2 = s2;
    end_block(&mut s2, T0 + 200);
    assert_eq!(proposal(&s2, 1).status, keeper::PASSED);
    assert_eq!(gov_bal(&s2), 0);
    // The gov account must hold exactly the deposits.
    let mut bad = export.clone();
    bad[MODULE_NAME]["deposits"][0]["amount"][0]["amount"] = "1".into();
    let e = testing::try_init_all(&mods, &bad).unwrap_err();
    assert_eq!((e.codespace, e.code), ("gov", ERR_INVALID_GENESIS));
    let mut bad = export;
    bad[MODULE_NAME]["starting_proposal_id"] = "2".into();
    assert!(testing::try_init_all(&mods, &bad).is_err());
}
