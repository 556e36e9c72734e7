//! Command lines of `deaid tx compute …` parsed by clap and turned into messages, no node.

use clap::Parser;
use prost::Message;

use super::*;
use crate::cli::tx_cmd::{TxArgs, TxCommand};
use crate::cli::{Cli, Command};
use deai_client::txbuilder::to_any;

const SIGNER: &str = "deai1signer";

/// `deaid tx compute <args>`, the args split at spaces (an empty one is written `''`).
fn parse(args: &str) -> Result<ComputeTx, clap::Error> {
    let args = args
        .split_whitespace()
        .map(|a| if a == "''" { "" } else { a });
    let argv = ["deaid", "tx", "compute"].into_iter().chain(args);
    match Cli::try_parse_from(argv)?.command {
        Command::Tx(tx) => match *tx {
            TxCommand::Compute(c) => Ok(c),
            _ => unreachable!("not a compute tx"),
        },
        _ => unreachable!("not a tx"),
    }
}

fn error(args: &str) -> String {
    parse(args).unwrap_err().to_string()
}

/// The message a command line makes, as an Any, and the key and flags it signs with.
fn any_of(args: &str) -> (cosmos_sdk_proto::Any, String, TxArgs) {
    fn b<T: clap::Args + BuildMsg>(s: Signed<T>) -> (cosmos_sdk_proto::Any, String, TxArgs) {
        (to_any(&s.msg.build(SIGNER).unwrap()), s.from, s.tx)
    }
    match parse(args).unwrap_or_else(|e| panic!("{args}: {e}")) {
        ComputeTx::CreateProvider(s) => b(s),
        ComputeTx::UpdateProvider(s) => b(s),
        ComputeTx::DeleteProvider(s) => b(s),
        ComputeTx::SignAttributes(s) => b(s),
        ComputeTx::CreateOrder(_) => unreachable!("reads a file; see build_create_order"),
        ComputeTx::DepositOrder(s) => b(s),
        ComputeTx::CloseOrder(s) => b(s),
        ComputeTx::CreateBid(s) => b(s),
        ComputeTx::CloseBid(s) => b(s),
        ComputeTx::CreateLease(s) => b(s),
        ComputeTx::WithdrawLease(s) => b(s),
        ComputeTx::SubmitResult(s) => b(s),
        ComputeTx::SubmitAudit(s) => b(s),
    }
}

fn msg<M: Message + prost::Name + Default>(args: &str) -> M {
    let (any, _, _) = any_of(args);
    assert_eq!(any.type_url, M::type_url());
    M::decode(any.value.as_slice()).unwrap()
}

fn addr(b: u8) -> String {
    deai_framework::Address::from_bytes(&[b; 20])
        .unwrap()
        .to_bech32()
}

fn hex(b: u8) -> String {
    hex::encode([b; 32])
}

fn attr(k: &str, v: &str) -> pb::Attribute {
    pb::Attribute {
        key: k.into(),
        value: v.into(),
    }
}

fn udeai(n: u64) -> Option<ProtoCoin> {
    Some(deai_client::coin("udeai", n.into()))
}

#[test]
fn providers() {
    let m: pb::MsgCreateProvider = msg("create-provider alice --host-uri https://p.example:8443 \
         --attributes region=eu,gpu=a100 --attributes tier=1 --cpu-millis 4000 \
         --memory-bytes 17179869184 --gpus 2 --storage-bytes 100 --stake 10000000udeai");
    assert_eq!(m.owner, SIGNER);
    assert_eq!(m.host_uri, "https://p.example:8443");
    let attrs = vec![attr("region", "eu"), attr("gpu", "a100"), attr("tier", "1")];
    assert_eq!(m.attributes, attrs);
    let c = m.capacity.unwrap();
    let cap = (c.cpu_millis, c.memory_bytes, c.gpus, c.storage_bytes);
    assert_eq!(cap, (4000, 1 << 34, 2, 100));
    assert_eq!(m.stake, udeai(10_000_000));
    assert!(error("create-provider alice --host-uri http://h").contains("--stake"));

    let (any, from, tx) = any_of("update-provider bob --host-uri http://h -y --gas auto");
    assert_eq!(
        (from.as_str(), tx.yes, tx.gas.as_str()),
        ("bob", true, "auto")
    );
    let m = pb::MsgUpdateProvider::decode(any.value.as_slice()).unwrap();
    assert_eq!((m.attributes.len(), m.capacity.unwrap().gpus), (0, 0));

    let m: pb::MsgDeleteProvider = msg("delete-provider alice");
    assert_eq!(m.owner, SIGNER);

    let p = addr(3);
    let m: pb::MsgSignProviderAttributes =
        msg(&format!("sign-attributes aud {p} --attributes region=eu"));
    assert_eq!(
        (m.auditor.as_str(), m.provider.as_str()),
        (SIGNER, p.as_str())
    );
    assert_eq!(m.attributes, vec![attr("region", "eu")]);
    assert!(error("sign-attributes aud deai1nope --attributes a=b").contains("deai1nope"));
}

fn order_args(extra: &str) -> Result<CreateOrder, clap::Error> {
    let args = format!(
        "create-order alice --spec job.json --max-price-per-block 10udeai \
         --deposit 100000udeai --bid-window 5 --max-blocks 500 {extra}"
    );
    match parse(&args)? {
        ComputeTx::CreateOrder(s) => Ok(s.msg),
        _ => unreachable!(),
    }
}

fn order(extra: &str) -> anyhow::Result<pb::MsgCreateOrder> {
    build_create_order(
        &order_args(extra).unwrap(),
        SIGNER,
        b"{\"steps\":3}".to_vec(),
    )
}

#[test]
fn orders() {
    let (a, b) = (addr(1), addr(2));
    let m = order(&format!(
        "--attributes region=eu --auditors {a},{b} --auditor-match any --gpus 1 \
         --redundancy 2 --verification spot_check --spot-check-rate 0.1"
    ))
    .unwrap();
    assert_eq!(m.owner, SIGNER);
    assert_eq!(m.spec, b"{\"steps\":3}");
    assert_eq!(m.spec_sha256, Sha256::digest(b"{\"steps\":3}").to_vec());
    assert_eq!(m.required_attributes, vec![attr("region", "eu")]);
    let auditors = m.auditors.unwrap();
    assert_eq!(auditors.auditors, vec![a, b]);
    assert_eq!(auditors.r#match, pb::AuditorMatch::AnyOf as i32);
    assert_eq!(m.resources.unwrap().gpus, 1);
    assert_eq!(
        (m.max_price_per_block, m.deposit),
        (udeai(10), udeai(100_000))
    );
    assert_eq!((m.redundancy, m.bid_window, m.max_blocks), (2, 5, 500));
    let v = m.verification.unwrap();
    let spot = pb::VerificationMode::SpotCheck as i32;
    assert_eq!((v.mode, v.spot_check_rate.as_str()), (spot, "0.1"));

    // Defaults: one provider, no verification, every auditor (of none).
    let m = order("").unwrap();
    assert_eq!(m.redundancy, 1);
    assert_eq!(m.verification.unwrap(), pb::Verification::default());
    assert_eq!(m.auditors.unwrap(), pb::AuditorRequirement::default());
    let v = order("--verification redundant")
        .unwrap()
        .verification
        .unwrap();
    assert_eq!(v.mode, pb::VerificationMode::Redundant as i32);

    // The file is read and hashed by the command itself.
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("job.json");
    std::fs::write(&spec, b"spec bytes").unwrap();
    let mut args = order_args("").unwrap();
    args.spec = spec;
    let digest = Sha256::digest(b"spec bytes").to_vec();
    assert_eq!(args.build(SIGNER).unwrap().spec_sha256, digest);
    args.spec = dir.path().join("missing.json");
    let e = args.build(SIGNER).unwrap_err().to_string();
    assert!(e.contains("cannot read --spec"), "{e}");
}

#[test]
fn compute_to_data_orders_name_their_dataset() {
    assert_eq!(order("").unwrap().dataset_id, 0);
    let c2d = order("--dataset 7 --max-access-fee 300udeai").unwrap();
    assert_eq!(c2d.dataset_id, 7);
    assert_eq!(c2d.max_access_fee.unwrap().amount, "300");
    // The ceiling is required with a dataset, and only with one.
    let e = order("--dataset 7").unwrap_err().to_string();
    assert!(e.contains("--max-access-fee"), "{e}");
    assert!(order_args("--max-access-fee 300udeai").is_err());
    for extra in [
        "--dataset 7 --max-access-fee 300udeai --redundancy 2",
        "--dataset 7 --max-access-fee 300udeai --verification redundant",
    ] {
        let e = order(extra).unwrap_err().to_string();
        assert!(
            e.contains("--redundancy 1 and --verification none"),
            "{extra}: {e}"
        );
    }
    for (extra, why) in [("--dataset 0", "0"), ("--dataset x", "x")] {
        let e = order_args(extra).unwrap_err().to_string();
        assert!(e.contains(why) && e.contains("--dataset"), "{extra}: {e}");
    }
}

#[test]
fn order_errors() {
    for (extra, why) in [
        ("--verification spot_check", "needs --spot-check-rate"),
        (
            "--spot-check-rate 0.5",
            "only for --verification spot_check",
        ),
        ("--attributes a=1,a=2", "\"a\" is given twice"),
    ] {
        let e = order(extra).unwrap_err().to_string();
        assert!(e.contains(why), "{extra}: {e}");
    }
    for (extra, why) in [
        ("--spot-check-rate 2", "(0, 1]"),
        ("--verification majority", "majority"),
        ("--auditors nobody", "nobody"),
        ("--attributes region", "key=value"),
        ("--redundancy -1", "-1"),
    ] {
        let e = order_args(extra).unwrap_err().to_string();
        assert!(e.contains(why), "{extra}: {e}");
    }
    assert!(error("create-order alice --spec f --deposit 1udeai").contains("--bid-window"));
    for (price, why) in [("lots", "lots"), ("1udeai,2uatom", "one positive coin")] {
        let e = error(&format!("create-bid p 7 --price {price} --deposit 1udeai"));
        assert!(e.contains(why), "{price}: {e}");
    }
}

#[test]
fn bids_leases_and_deposits() {
    let m: pb::MsgDepositOrder = msg("deposit-order alice 7 50000udeai");
    let got = (m.depositor.as_str(), m.order_id, m.amount);
    assert_eq!(got, (SIGNER, 7, udeai(50_000)));
    let m: pb::MsgCloseOrder = msg("close-order alice 7");
    assert_eq!((m.owner.as_str(), m.order_id), (SIGNER, 7));
    let m: pb::MsgCreateBid = msg("create-bid p 7 --price 8udeai --deposit 1000000udeai");
    assert_eq!((m.provider.as_str(), m.order_id), (SIGNER, 7));
    assert_eq!((m.price, m.deposit), (udeai(8), udeai(1_000_000)));
    let m: pb::MsgCloseBid = msg("close-bid p 9");
    assert_eq!((m.provider.as_str(), m.bid_id), (SIGNER, 9));
    let m: pb::MsgCreateLease = msg("create-lease alice 7 --bids 3,4");
    assert_eq!(
        (m.owner.as_str(), m.order_id, m.bid_ids),
        (SIGNER, 7, vec![3, 4])
    );
    let m: pb::MsgWithdrawLease = msg("withdraw-lease p 11");
    assert_eq!((m.provider.as_str(), m.lease_id), (SIGNER, 11));
    assert!(error("create-lease alice 7").contains("--bids"));
    assert!(error("create-lease alice 7 --bids 3,x").contains("'x'"));
    assert!(error("create-bid p seven --price 8udeai --deposit 1udeai").contains("seven"));
    assert!(error("close-order alice").contains("ORDER_ID"));
}

#[test]
fn results_and_audits() {
    let (h1, h2, h3, h4) = (hex(1), hex(2), hex(3), hex(4));
    let m: pb::MsgSubmitResult = msg(&format!(
        "submit-result p 11 --result-hash {h1} --weights-sha256 {h2} \
         --checkpoint-hashes {h3},{h4} --artifact-uri https://p.example/a/11"
    ));
    assert_eq!((m.provider.as_str(), m.lease_id), (SIGNER, 11));
    assert_eq!(
        (m.result_hash, m.weights_sha256),
        (vec![1; 32], vec![2; 32])
    );
    assert_eq!(m.checkpoint_hashes, vec![vec![3; 32], vec![4; 32]]);
    assert_eq!(m.artifact_uri, "https://p.example/a/11");
    let e = error(&format!(
        "submit-result p 11 --result-hash abcd --weights-sha256 {h2} --artifact-uri https://x"
    ));
    assert!(e.contains("32-byte hash"), "{e}");

    let m: pb::MsgSubmitAudit = msg(&format!(
        "submit-audit v 7 --segment 2 --checkpoint-hash {h1}"
    ));
    assert_eq!((m.verifier.as_str(), m.order_id, m.segment), (SIGNER, 7, 2));
    assert_eq!(m.checkpoint_hash, vec![1; 32]);
    let m: pb::MsgSubmitAudit = msg("submit-audit v 7 --segment 0 --checkpoint-hash ''");
    assert!(m.checkpoint_hash.is_empty());
    let e = error("submit-audit v 7 --segment 0 --checkpoint-hash zz");
    assert!(e.contains("64 hex characters"), "{e}");
}
