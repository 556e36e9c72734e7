//! Command lines of `deaid tx distribution …` parsed by clap and turned into messages, no
//! node.

use clap::Parser;
use prost::Message;

use super::*;
use crate::cli::tx_cmd::TxCommand;
use crate::cli::{Cli, Command};

fn addr(b: u8) -> String {
    deai_framework::Address::from_bytes(&[b; 20])
        .unwrap()
        .to_bech32()
}

fn val(b: u8) -> String {
    deai_staking::address::val_to_bech32(&deai_framework::Address::from_bytes(&[b; 20]).unwrap())
}

fn signer() -> String {
    addr(7)
}

fn parse(args: &[&str]) -> Result<DistributionTx, clap::Error> {
    let argv = ["deaid", "tx", "distribution"].iter().chain(args);
    match Cli::try_parse_from(argv)?.command {
        Command::Tx(tx) => match *tx {
            TxCommand::Distribution(c) => Ok(c),
            _ => unreachable!("not a distribution tx"),
        },
        _ => unreachable!("not a tx"),
    }
}

fn error(args: &[&str]) -> String {
    parse(args).unwrap_err().to_string()
}

/// The messages a parsed command makes (withdraw-all-rewards needs a node: not here).
fn build(args: &[&str]) -> Vec<Any> {
    fn one<T: clap::Args + BuildMsg>(s: Signed<T>) -> Vec<Any> {
        assert_eq!(s.from, "alice", "the key comes first");
        vec![to_any(&s.msg.build(&signer()).unwrap())]
    }
    match parse(args).unwrap_or_else(|e| panic!("{args:?}: {e}")) {
        DistributionTx::WithdrawRewards(s) => {
            assert_eq!(s.from, "alice");
            s.msg.build_msgs(&signer()).unwrap()
        }
        DistributionTx::WithdrawAllRewards(_) => unreachable!("needs a node"),
        DistributionTx::SetWithdrawAddr(s) => one(s),
        DistributionTx::FundCommunityPool(s) => one(s),
        DistributionTx::FundValidatorRewardsPool(s) => one(s),
    }
}

fn unpack<M: Message + prost::Name + Default>(any: &Any) -> M {
    assert_eq!(any.type_url, M::type_url());
    M::decode(any.value.as_slice()).unwrap()
}

#[test]
fn withdraw_rewards_with_and_without_commission() {
    let v = val(1);
    let msgs = build(&["withdraw-rewards", "alice", &v]);
    assert_eq!(msgs.len(), 1);
    let m: pb::MsgWithdrawDelegatorReward = unpack(&msgs[0]);
    assert_eq!(
        (m.delegator_address, m.validator_address),
        (signer(), v.clone())
    );

    let msgs = build(&["withdraw-rewards", "alice", &v, "--commission"]);
    assert_eq!(msgs.len(), 2, "both in one tx, as simd");
    let _: pb::MsgWithdrawDelegatorReward = unpack(&msgs[0]);
    let c: pb::MsgWithdrawValidatorCommission = unpack(&msgs[1]);
    assert_eq!(c.validator_address, v);

    let e = error(&["withdraw-rewards", "alice", &addr(1)]);
    assert!(
        e.contains("VALIDATOR"),
        "an account address is not a validator's: {e}"
    );
}

#[test]
fn withdraw_all_is_one_message_per_delegation_and_bounded() {
    let vals: Vec<String> = (1..=3).map(val).collect();
    let msgs = withdraw_all_msgs(&signer(), &vals).unwrap();
    let got: Vec<String> = msgs
        .iter()
        .map(|a| unpack::<pb::MsgWithdrawDelegatorReward>(a).validator_address)
        .collect();
    assert_eq!(got, vals);
    let e = withdraw_all_msgs(&signer(), &[]).unwrap_err().to_string();
    assert!(e.contains("no delegations"), "{e}");
    let many = vec![val(1); MAX_WITHDRAW_MSGS + 1];
    let e = withdraw_all_msgs(&signer(), &many).unwrap_err().to_string();
    assert!(
        e.contains("more than 100") && e.contains("withdraw-rewards"),
        "{e}"
    );
    assert_eq!(withdraw_all_msgs(&signer(), &many[1..]).unwrap().len(), 100);
    assert!(parse(&["withdraw-all-rewards", "alice"]).is_ok());
}

#[test]
fn withdraw_address_and_funding() {
    let m: pb::MsgSetWithdrawAddress = unpack(&build(&["set-withdraw-addr", "alice", &addr(2)])[0]);
    assert_eq!(
        (m.delegator_address, m.withdraw_address),
        (signer(), addr(2))
    );
    assert!(error(&["set-withdraw-addr", "alice", "deai1nope"]).contains("ADDRESS"));

    let m: pb::MsgFundCommunityPool =
        unpack(&build(&["fund-community-pool", "alice", "5udeai,2uatom"])[0]);
    assert_eq!(m.depositor, signer());
    assert_eq!(
        m.amount,
        vec![deai_client::coin("uatom", 2), deai_client::coin("udeai", 5)]
    );
    for bad in ["", "0udeai", "udeai", "5"] {
        assert!(
            error(&["fund-community-pool", "alice", bad]).contains("AMOUNT"),
            "{bad}"
        );
    }

    let v = val(4);
    let m: pb::MsgDepositValidatorRewardsPool =
        unpack(&build(&["fund-validator-rewards-pool", "alice", &v, "9udeai"])[0]);
    assert_eq!(
        (m.depositor, m.validator_address, m.amount),
        (signer(), v, vec![deai_client::coin("udeai", 9)])
    );
}
