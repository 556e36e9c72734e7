//! Command lines of `deaid tx gov …` parsed by clap and turned into messages, no node: the
//! proposal file's messages become the right Anys, weighted votes, clear errors.

use clap::Parser;
use cosmos_sdk_proto::cosmos::bank::v1beta1 as bank_pb;
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as distr_pb;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking_pb;
use prost::Message;

use super::*;
use crate::cli::tx_cmd::TxCommand;
use crate::cli::{Cli, Command};
use deai_client::txbuilder::to_any;

fn addr(b: u8) -> String {
    deai_framework::Address::from_bytes(&[b; 20])
        .unwrap()
        .to_bech32()
}

fn gov() -> String {
    deai_framework::authority::default_authority().to_bech32()
}

fn signer() -> String {
    addr(7)
}

fn parse(args: &[&str]) -> Result<GovTx, clap::Error> {
    let argv = ["deaid", "tx", "gov"].iter().chain(args);
    match Cli::try_parse_from(argv)?.command {
        Command::Tx(tx) => match *tx {
            TxCommand::Gov(c) => Ok(c),
            _ => unreachable!("not a gov tx"),
        },
        _ => unreachable!("not a tx"),
    }
}

fn error(args: &[&str]) -> String {
    parse(args).unwrap_err().to_string()
}

fn build(cmd: GovTx) -> anyhow::Result<(Any, String)> {
    fn b<T: clap::Args + BuildMsg>(s: Signed<T>) -> anyhow::Result<(Any, String)> {
        Ok((to_any(&s.msg.build(&signer())?), s.from))
    }
    match cmd {
        GovTx::SubmitProposal(s) => b(s),
        GovTx::Deposit(s) => b(s),
        GovTx::Vote(s) => b(s),
        GovTx::WeightedVote(s) => b(s),
        GovTx::CancelProposal(s) => b(s),
    }
}

fn try_msg<M: Message + prost::Name + Default>(args: &[&str]) -> anyhow::Result<M> {
    let (any, from) = build(parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}")))?;
    assert_eq!(from, "alice", "the key comes first");
    assert_eq!(any.type_url, M::type_url());
    Ok(M::decode(any.value.as_slice()).unwrap())
}

fn msg<M: Message + prost::Name + Default>(args: &[&str]) -> M {
    try_msg(args).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn unpack<M: Message + prost::Name + Default>(any: &Any) -> M {
    assert_eq!(any.type_url, M::type_url());
    M::decode(any.value.as_slice()).unwrap()
}

/// A proposal file holding `messages`, submitted by `alice`: the MsgSubmitProposal.
fn submit(messages: serde_json::Value) -> anyhow::Result<pb::MsgSubmitProposal> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("proposal.json");
    let p = serde_json::json!({
        "messages": messages, "metadata": "ipfs://meta", "deposit": "10000000udeai",
        "title": "Change params", "summary": "Why", "expedited": false
    });
    std::fs::write(&file, p.to_string()).unwrap();
    try_msg(&["submit-proposal", "alice", file.to_str().unwrap()])
}

#[test]
#[allow(deprecated)] // bank Params.send_enabled: deprecated in the SDK, still on the wire
fn a_bank_param_change_becomes_the_right_any() {
    let m = submit(serde_json::json!([{
        "@type": "/cosmos.bank.v1beta1.MsgUpdateParams",
        "authority": gov(),
        "params": {"send_enabled": [{"denom": "uatom", "enabled": false}],
                   "default_send_enabled": true}
    }]))
    .unwrap();
    assert_eq!(m.proposer, signer());
    assert_eq!(
        (m.title.as_str(), m.summary.as_str(), m.metadata.as_str()),
        ("Change params", "Why", "ipfs://meta")
    );
    assert!(!m.expedited);
    assert_eq!(
        m.initial_deposit,
        vec![deai_client::coin("udeai", 10_000_000)]
    );
    assert_eq!(m.messages.len(), 1);
    let u: bank_pb::MsgUpdateParams = unpack(&m.messages[0]);
    assert_eq!(
        u,
        bank_pb::MsgUpdateParams {
            authority: gov(),
            params: Some(bank_pb::Params {
                send_enabled: vec![bank_pb::SendEnabled {
                    denom: "uatom".into(),
                    enabled: false
                }],
                default_send_enabled: true,
            }),
        }
    );
}

#[test]
fn decimals_and_several_modules_messages_decode() {
    let m = submit(serde_json::json!([
        {"@type": "/cosmos.staking.v1beta1.MsgUpdateParams", "authority": gov(),
         "params": {"unbonding_time": "1814400s", "max_validators": 50, "max_entries": 9,
                    "historical_entries": 1000, "bond_denom": "udeai",
                    "min_commission_rate": "0.05"}},
        {"@type": "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend", "authority": gov(),
         "recipient": addr(3), "amount": [{"denom": "udeai", "amount": "123"}]},
        {"@type": "/cosmos.slashing.v1beta1.MsgUpdateParams", "authority": gov(),
         "params": {"signed_blocks_window": "100", "min_signed_per_window": "0.5",
                    "downtime_jail_duration": "600s", "slash_fraction_double_sign": "0.05",
                    "slash_fraction_downtime": "0.01"}},
        {"@type": "/cosmos.distribution.v1beta1.MsgUpdateParams", "authority": gov(),
         "params": {"community_tax": "0.02", "base_proposer_reward": "0",
                    "bonus_proposer_reward": "0", "withdraw_addr_enabled": true}},
        {"@type": "/cosmos.mint.v1beta1.MsgUpdateParams", "authority": gov(),
         "params": {"mint_denom": "udeai", "inflation_rate_change": "0.13",
                    "inflation_max": "0.2", "inflation_min": "0.07", "goal_bonded": "0.67",
                    "blocks_per_year": "6311520"}},
        {"@type": "/cosmos.gov.v1.MsgUpdateParams", "authority": gov(),
         "params": {"min_deposit": [{"denom": "udeai", "amount": "1000"}],
                    "voting_period": "8s", "quorum": "0.334"}}
    ]))
    .unwrap();
    assert_eq!(m.messages.len(), 6);
    let s: staking_pb::MsgUpdateParams = unpack(&m.messages[0]);
    let p = s.params.unwrap();
    assert_eq!((p.max_validators, p.max_entries), (50, 9));
    assert_eq!(p.unbonding_time.unwrap().seconds, 1_814_400);
    // A LegacyDec travels as its 10^-18 units.
    assert_eq!(p.min_commission_rate, "50000000000000000");
    let spend: distr_pb::MsgCommunityPoolSpend = unpack(&m.messages[1]);
    assert_eq!(
        (spend.authority, spend.recipient, spend.amount),
        (gov(), addr(3), vec![deai_client::coin("udeai", 123)])
    );
    use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing_pb;
    let sl: slashing_pb::MsgUpdateParams = unpack(&m.messages[2]);
    let sp = sl.params.unwrap();
    assert_eq!(sp.signed_blocks_window, 100);
    assert_eq!(sp.min_signed_per_window, b"500000000000000000".to_vec());
    let d: distr_pb::MsgUpdateParams = unpack(&m.messages[3]);
    assert_eq!(d.params.unwrap().community_tax, "20000000000000000");
    use cosmos_sdk_proto::cosmos::mint::v1beta1 as mint_pb;
    let mi: mint_pb::MsgUpdateParams = unpack(&m.messages[4]);
    let mp = mi.params.unwrap();
    assert_eq!(
        (mp.goal_bonded.as_str(), mp.blocks_per_year),
        ("670000000000000000", 6_311_520)
    );
    let g: pb::MsgUpdateParams = unpack(&m.messages[5]);
    let gp = g.params.unwrap();
    assert_eq!(gp.voting_period.unwrap().seconds, 8);
    assert_eq!(gp.quorum, "0.334", "gov v1's decimals are plain strings");
}

#[test]
fn an_auth_param_change_becomes_the_right_any() {
    use cosmos_sdk_proto::cosmos::auth::v1beta1 as auth_pb;
    let m = submit(serde_json::json!([{
        "@type": "/cosmos.auth.v1beta1.MsgUpdateParams", "authority": gov(),
        "params": {"max_memo_characters": "512", "tx_sig_limit": "7",
                   "tx_size_cost_per_byte": "10", "sig_verify_cost_ed25519": "590",
                   "sig_verify_cost_secp256k1": "1000"}
    }]))
    .unwrap();
    let a: auth_pb::MsgUpdateParams = unpack(&m.messages[0]);
    assert_eq!(a.authority, gov());
    let p = a.params.unwrap();
    assert_eq!(
        (
            p.max_memo_characters,
            p.tx_sig_limit,
            p.sig_verify_cost_secp256k1
        ),
        (512, 7, 1000)
    );
}

#[test]
fn a_text_proposal_has_no_messages_and_an_empty_deposit_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(
        &file,
        r#"{"title": "t", "summary": "s", "expedited": true}"#,
    )
    .unwrap();
    let m: pb::MsgSubmitProposal = msg(&["submit-proposal", "alice", file.to_str().unwrap()]);
    assert!(m.messages.is_empty() && m.initial_deposit.is_empty() && m.expedited);
}

#[test]
fn bad_proposal_files_give_clear_errors() {
    let err = |messages: serde_json::Value| submit(messages).unwrap_err().to_string();
    let e = err(serde_json::json!([{"authority": gov()}]));
    assert!(
        e.contains("messages[0]") && e.contains("no \"@type\""),
        "{e}"
    );
    let e = err(serde_json::json!([{"@type": "/cosmos.nope.MsgNope"}]));
    assert!(
        e.contains("unknown message type /cosmos.nope.MsgNope"),
        "{e}"
    );
    let e = err(serde_json::json!([{"@type": "cosmos.bank.v1beta1.MsgSend"}]));
    assert!(e.contains("must start with '/'"), "{e}");
    let e = err(serde_json::json!([
        {"@type": "/cosmos.bank.v1beta1.MsgSend", "from_address": addr(1), "to_address": addr(2),
         "amount": []},
        {"@type": "/cosmos.bank.v1beta1.MsgSend", "colour": "red"}
    ]));
    assert!(e.contains("messages[1]") && e.contains("colour"), "{e}");
    let e = err(serde_json::json!(["text"]));
    assert!(e.contains("not a JSON object"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    let f = file.to_str().unwrap();
    let e = try_msg::<pb::MsgSubmitProposal>(&["submit-proposal", "alice", f]).unwrap_err();
    assert!(e.to_string().contains("cannot read"), "{e}");
    for (text, want) in [
        (r#"{"summary": "s"}"#, "non-empty \"title\""),
        (r#"{"title": "t"}"#, "non-empty \"summary\""),
        (
            r#"{"title": "t", "summary": "s", "deposit": "ten"}"#,
            "deposit",
        ),
        (
            r#"{"title": "t", "summary": "s", "msgs": []}"#,
            "unknown field `msgs`",
        ),
        ("not json", "p.json"),
    ] {
        std::fs::write(&file, text).unwrap();
        let e = try_msg::<pb::MsgSubmitProposal>(&["submit-proposal", "alice", f]).unwrap_err();
        assert!(e.to_string().contains(want), "{text}: {e}");
    }
}

#[test]
fn deposit_vote_and_cancel() {
    let m: pb::MsgDeposit = msg(&["deposit", "alice", "4", "5udeai,7uatom"]);
    assert_eq!(
        (m.proposal_id, m.depositor.as_str()),
        (4, signer().as_str())
    );
    assert_eq!(
        m.amount,
        vec![deai_client::coin("uatom", 7), deai_client::coin("udeai", 5)]
    );
    assert!(error(&["deposit", "alice", "4", "five"]).contains("AMOUNT"));
    assert!(error(&["deposit", "alice", "x", "5udeai"]).contains("PROPOSAL_ID"));

    let m: pb::MsgVote = msg(&["vote", "alice", "4", "yes", "--metadata", "because"]);
    assert_eq!(
        (m.proposal_id, m.option, m.metadata.as_str(), m.voter),
        (4, pb::VoteOption::Yes as i32, "because", signer())
    );
    for (o, want) in [
        ("no", pb::VoteOption::No),
        ("abstain", pb::VoteOption::Abstain),
        ("no_with_veto", pb::VoteOption::NoWithVeto),
        ("VOTE_OPTION_NO_WITH_VETO", pb::VoteOption::NoWithVeto),
    ] {
        let m: pb::MsgVote = msg(&["vote", "alice", "1", o]);
        assert_eq!(m.option, want as i32, "{o}");
    }
    let e = error(&["vote", "alice", "1", "maybe"]);
    assert!(e.contains("unknown vote option \"maybe\""), "{e}");

    let m: pb::MsgCancelProposal = msg(&["cancel-proposal", "alice", "9"]);
    assert_eq!((m.proposal_id, m.proposer), (9, signer()));
}

#[test]
fn weighted_votes() {
    let m: pb::MsgVoteWeighted = msg(&["weighted-vote", "alice", "3", "yes=0.6,no=0.4"]);
    assert_eq!((m.proposal_id, m.voter.as_str()), (3, signer().as_str()));
    let opts: Vec<(i32, &str)> = m
        .options
        .iter()
        .map(|o| (o.option, o.weight.as_str()))
        .collect();
    assert_eq!(
        opts,
        vec![
            (pb::VoteOption::Yes as i32, "0.600000000000000000"),
            (pb::VoteOption::No as i32, "0.400000000000000000"),
        ]
    );
    let w = weighted_options(" yes=0.5, abstain = 0.25,no_with_veto=0.25").unwrap();
    assert_eq!(w.0.len(), 3);
    assert_eq!(
        weighted_options("no=1").unwrap().0[0].weight,
        "1.000000000000000000"
    );
    for (bad, want) in [
        ("yes=0.6,no=0.3", "sum to 1"),
        ("yes=0.6,no=0.6", "sum to 1"),
        ("yes=0.5,yes=0.5", "given twice"),
        ("yes=0,no=1", "(0, 1]"),
        ("yes=1.5", "(0, 1]"),
        ("yes", "option=weight"),
        ("maybe=1", "unknown vote option"),
        ("yes=-1", "weight of \"yes\""),
        ("", "option=weight"),
    ] {
        let e = weighted_options(bad).unwrap_err().to_string();
        assert!(e.contains(want), "{bad}: {e}");
    }
    assert!(error(&["weighted-vote", "alice", "3", "yes=0.6"]).contains("sum to 1"));
}
