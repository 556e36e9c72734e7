//! Command lines of `deaid tx data …` parsed by clap and turned into messages, no node.

use clap::Parser;
use prost::Message;

use super::*;
use crate::cli::tx_cmd::{TxArgs, TxCommand};
use crate::cli::{Cli, Command};
use deai_client::txbuilder::to_any;

fn addr(b: u8) -> String {
    deai_framework::Address::from_bytes(&[b; 20])
        .unwrap()
        .to_bech32()
}

fn signer() -> String {
    addr(7)
}

fn hex(b: u8) -> String {
    hex::encode([b; 32])
}

fn udeai(n: u64) -> Option<ProtoCoin> {
    Some(deai_client::coin("udeai", n.into()))
}

/// `deaid tx data <args>`, the args given one by one (values may hold spaces).
fn parse_argv(args: &[&str]) -> Result<DataTx, clap::Error> {
    let argv = ["deaid", "tx", "data"].iter().chain(args);
    match Cli::try_parse_from(argv)?.command {
        Command::Tx(tx) => match *tx {
            TxCommand::Data(c) => Ok(c),
            _ => unreachable!("not a data tx"),
        },
        _ => unreachable!("not a tx"),
    }
}

/// `deaid tx data <args>`, the args split at spaces.
fn parse(args: &str) -> Result<DataTx, clap::Error> {
    parse_argv(&args.split_whitespace().collect::<Vec<_>>())
}

fn error(args: &str) -> String {
    parse(args).unwrap_err().to_string()
}

type Built = (cosmos_sdk_proto::Any, String, TxArgs);

/// The message a parsed command makes (or the error building it), as an Any, with the key and
/// flags it signs with.
fn build(cmd: DataTx) -> anyhow::Result<Built> {
    fn b<T: clap::Args + BuildMsg>(s: Signed<T>) -> anyhow::Result<Built> {
        Ok((to_any(&s.msg.build(&signer())?), s.from, s.tx))
    }
    match cmd {
        DataTx::Publish(s) => b(*s),
        DataTx::Update(s) => b(*s),
        DataTx::Buy(s) => b(s),
        DataTx::Redeem(s) => b(s),
        DataTx::DeliverKey(s) => b(s),
        DataTx::CreatePool(s) => b(s),
        DataTx::BondValidator(s) => b(s),
        DataTx::Contribute(s) => b(s),
        DataTx::Score(s) => b(s),
        DataTx::ClosePool(s) => b(s),
    }
}

fn try_any(args: &str) -> anyhow::Result<Built> {
    build(parse(args).unwrap_or_else(|e| panic!("{args}: {e}")))
}

fn decode<M: Message + prost::Name + Default>(b: anyhow::Result<Built>) -> M {
    let (any, _, _) = b.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(any.type_url, M::type_url());
    M::decode(any.value.as_slice()).unwrap()
}

fn msg<M: Message + prost::Name + Default>(args: &str) -> M {
    decode(try_any(args))
}

fn build_error(args: &str) -> String {
    try_any(args).unwrap_err().to_string()
}

fn publish_line(extra: &str) -> String {
    format!(
        "publish alice --content-sha256 {} --size 1024 --name iris --price 1000udeai \
         --host-uri http://127.0.0.1:8090 --access encrypted {extra}",
        hex(1)
    )
}

#[test]
fn publish() {
    let (any, from, tx) = try_any(&publish_line("-y --wait")).unwrap();
    assert_eq!((from.as_str(), tx.yes, tx.wait), ("alice", true, true));
    let m = pb::MsgPublishDataset::decode(any.value.as_slice()).unwrap();
    assert_eq!(m.publisher, signer());
    assert_eq!((m.content_sha256, m.size), (vec![1; 32], 1024));
    assert_eq!(m.metadata, r#"{"name":"iris"}"#);
    assert_eq!(m.price, udeai(1000));
    let p = m.provider.unwrap();
    assert_eq!(
        (p.address, p.host_uri.as_str()),
        (signer(), "http://127.0.0.1:8090")
    );
    assert_eq!(m.access, pb::Access::Encrypted as i32);

    let line = publish_line(&format!("--provider {}", addr(3)))
        .replace("encrypted", "compute-to-data")
        .replace("1000udeai", "0udeai");
    let m: pb::MsgPublishDataset = msg(&line);
    assert_eq!(m.provider.unwrap().address, addr(3));
    assert_eq!(m.access, pb::Access::ComputeToData as i32);
    assert_eq!(m.price, udeai(0), "a free dispenser");
    for (given, want) in [
        ("compute_to_data", pb::Access::ComputeToData),
        ("open", pb::Access::Open),
    ] {
        let m: pb::MsgPublishDataset = msg(&publish_line("").replace("encrypted", given));
        assert_eq!(m.access, want as i32, "{given}");
    }

    // Metadata is JSON written by serde_json: quotes, backslashes and newlines are escaped.
    let line = publish_line("");
    let mut argv: Vec<&str> = line.split_whitespace().collect();
    let weird = "a \"quoted\" \\ name\nwith a newline";
    argv.extend([
        "--description",
        weird,
        "--schema",
        "sepal_length,species",
        "--license",
        "CC-BY-4.0",
    ]);
    let m: pb::MsgPublishDataset = decode(build(parse_argv(&argv).unwrap()));
    let v: serde_json::Value = serde_json::from_str(&m.metadata).unwrap();
    let want = serde_json::json!({
        "name": "iris", "description": weird, "schema": "sepal_length,species",
        "license": "CC-BY-4.0",
    });
    assert_eq!(v, want);
    assert_chain_shape(&m.metadata);
}

/// The metadata has the shape the chain checks: an object of string values under its keys.
fn assert_chain_shape(json: &str) {
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let obj = v.as_object().unwrap();
    assert!(obj
        .keys()
        .all(|k| deai_data::METADATA_KEYS.contains(&k.as_str())));
    assert!(obj.values().all(|v| v.is_string()));
}

#[test]
fn publish_refusals() {
    let bad = |from: &str, to: &str| error(&publish_line("").replace(from, to));
    let e = bad(&hex(1), "abcd");
    assert!(
        e.contains("--content-sha256") && e.contains("got 2 bytes"),
        "{e}"
    );
    let e = bad(&hex(1), &"zz".repeat(32));
    assert!(e.contains("64 hex characters"), "{e}");
    assert!(bad("--size 1024", "--size 0").contains("--size"));
    assert!(bad("--size 1024", "--size -1").contains("--size"));
    for coin in ["1000", "udeai", "1udeai,2uatom", "-1udeai", "1000U!"] {
        let e = bad("1000udeai", coin);
        assert!(e.contains("--price"), "{coin}: {e}");
    }
    let e = bad("--access encrypted", "--access secret");
    assert!(
        e.contains("--access") && e.contains("compute-to-data"),
        "{e}"
    );
    assert!(bad("127.0.0.1:8090", &"h".repeat(600)).contains("--host-uri"));
    assert!(bad("--name iris", "--name").contains("--name"));
    let e = error(&publish_line("").replace("--name iris ", ""));
    assert!(e.contains("--name"), "{e}");
    let e = error(&publish_line("--provider deai1nope"));
    assert!(e.contains("--provider"), "{e}");
    let e = error(&publish_line("").replace(" --access encrypted", ""));
    assert!(e.contains("--access"), "{e}");
}

#[test]
fn update() {
    let m: pb::MsgUpdateDataset = msg("update alice 4 --price 5udeai --disable");
    assert_eq!((m.publisher, m.dataset_id), (signer(), 4));
    assert_eq!((m.price, m.disabled), (udeai(5), true));
    assert!(
        m.metadata.is_empty() && m.provider_host_uri.is_empty(),
        "unchanged"
    );
    let m: pb::MsgUpdateDataset =
        msg("update alice 4 --name iris2 --license MIT --host-uri http://127.0.0.1:8091");
    assert_eq!(m.metadata, r#"{"license":"MIT","name":"iris2"}"#);
    assert_eq!(m.provider_host_uri, "http://127.0.0.1:8091");
    assert_eq!(
        (m.price, m.disabled),
        (None, false),
        "no --disable enables it"
    );
    let e = error("update alice 4 --description new");
    assert!(e.contains("--name"), "metadata is replaced whole: {e}");
    assert!(error("update alice --price 5udeai").contains("DATASET_ID"));
    assert!(error("update alice 4 --price five").contains("--price"));
    assert!(error("update alice 4 --host-uri a\x01b").contains("--host-uri"));
}

#[test]
fn buy_redeem_and_keys() {
    let m: pb::MsgBuyAccess = msg("buy bob 4 --max-price 1000udeai");
    assert_eq!((m.buyer, m.dataset_id, m.count), (signer(), 4, 1));
    assert_eq!(m.max_price, udeai(1000));
    assert!(m.consume_market.is_empty() && m.consume_market_fee.is_empty());
    let m: pb::MsgBuyAccess = msg(&format!(
        "buy bob 4 --count 3 --max-price 0udeai --consume-market {} --consume-market-fee 0.01",
        addr(5)
    ));
    assert_eq!((m.count, m.max_price), (3, udeai(0)));
    assert_eq!(
        (m.consume_market, m.consume_market_fee.as_str()),
        (addr(5), "0.01")
    );
    let e = error("buy bob 4 --max-price 1udeai --consume-market-fee 0.01");
    assert!(e.contains("--consume-market"), "a fee needs a market: {e}");
    let m = format!("--consume-market {}", addr(5));
    assert!(parse(&format!(
        "buy bob 4 --max-price 1udeai {m} --consume-market-fee -0.1"
    ))
    .is_err());
    for fee in ["1.5", "0", ".5", "x"] {
        let e = error(&format!(
            "buy bob 4 --max-price 1udeai {m} --consume-market-fee {fee}"
        ));
        assert!(e.contains("--consume-market-fee"), "{fee}: {e}");
    }
    assert!(error("buy bob 4 --count 0 --max-price 1udeai").contains("--count"));
    assert!(error("buy bob 4").contains("--max-price"));
    assert!(error("buy bob 4 --max-price 1").contains("--max-price"));
    assert!(error("buy bob 4 --max-price 1udeai --consume-market x").contains("--consume-market"));

    let m: pb::MsgRedeemAccess = msg("redeem bob 4");
    assert_eq!((m.grantee, m.dataset_id), (signer(), 4));
    assert!(error("redeem bob").contains("DATASET_ID"));

    let m: pb::MsgDeliverKey = msg(&format!("deliver-key prov 9 --wrapped-key 0x{}", hex(2)));
    assert_eq!((m.provider, m.grant_id), (signer(), 9));
    assert_eq!(m.wrapped_key, vec![2; 32]);
    let e = error("deliver-key prov 9 --wrapped-key xyz");
    assert!(e.contains("--wrapped-key") && e.contains("in hex"), "{e}");
    let e = error(&format!(
        "deliver-key prov 9 --wrapped-key {}",
        "00".repeat(257)
    ));
    assert!(e.contains("got 257 bytes"), "{e}");
    assert!(error("deliver-key prov 9 --wrapped-key 0x").contains("got 0 bytes"));
}

fn pool_line(extra: &str) -> String {
    format!(
        "create-pool alice --schema {{\"columns\":[\"x\",\"y\"]}} --reward-per-epoch 100udeai \
         --epoch-length 50 --min-contributor-stake 10udeai --score-threshold 30000 \
         --validators {},{} --funds 10000udeai {extra}",
        addr(1),
        addr(2)
    )
}

#[test]
fn pools() {
    let m: pb::MsgCreatePool = msg(&pool_line(""));
    assert_eq!(m.owner, signer());
    assert_eq!(m.schema, r#"{"columns":["x","y"]}"#);
    assert_eq!((m.reward_per_epoch, m.epoch_length), (udeai(100), 50));
    assert_eq!(m.min_contributor_stake, udeai(10));
    assert_eq!(m.score_threshold_u16, 30000);
    assert_eq!(m.validators, vec![addr(1), addr(2)]);
    assert_eq!(m.funds, udeai(10000));

    let bad = |from: &str, to: &str| error(&pool_line("").replace(from, to));
    assert!(bad("{\"columns\"", "{columns").contains("--schema must be JSON"));
    assert!(bad("--score-threshold 30000", "--score-threshold 65536").contains("--score-threshold"));
    assert!(bad("--epoch-length 50", "--epoch-length 0").contains("--epoch-length"));
    assert!(bad("10000udeai", "0udeai").contains("--funds"));
    assert!(bad(&addr(2), "deai1nope").contains("--validators"));
    let e = build_error(&pool_line("").replace(&addr(2), &addr(1)));
    assert!(e.contains("given twice"), "{e}");
    let e = build_error(&pool_line("").replace("100udeai", "100uatom"));
    assert!(
        e.contains("--reward-per-epoch must be in the denom of --funds"),
        "{e}"
    );
    let e = build_error(&pool_line("").replace("10udeai", "10uatom"));
    assert!(e.contains("--min-contributor-stake"), "{e}");

    let m: pb::MsgBondPoolValidator = msg("bond-validator v 2 --amount 500udeai");
    assert_eq!((m.validator, m.pool_id, m.stake), (signer(), 2, udeai(500)));
    assert!(error("bond-validator v 2 --amount 0udeai").contains("--amount"));

    let m: pb::MsgContribute = msg(&format!(
        "contribute c 2 --content-sha256 {} --uri http://127.0.0.1:8092/blobs/x --stake 10udeai",
        hex(6)
    ));
    assert_eq!((m.contributor, m.pool_id), (signer(), 2));
    assert_eq!(m.content_sha256, vec![6; 32]);
    assert_eq!(
        (m.uri.as_str(), m.stake),
        ("http://127.0.0.1:8092/blobs/x", udeai(10))
    );
    let e = error("contribute c 2 --content-sha256 00 --uri http://h --stake 10udeai");
    assert!(e.contains("--content-sha256"), "{e}");

    let m: pb::MsgScoreContribution = msg("score v 8 --score 65535");
    assert_eq!(
        (m.validator, m.contribution_id, m.score_u16),
        (signer(), 8, 65535)
    );
    assert!(error("score v 8 --score 65536").contains("--score"));
    assert!(error("score v --score 1").contains("CONTRIBUTION_ID"));
}

#[test]
fn close_pool() {
    let (any, from, tx) = try_any("close-pool owner 4 -y").unwrap();
    assert_eq!((from.as_str(), tx.yes), ("owner", true));
    assert_eq!(any.type_url, <pb::MsgClosePool as prost::Name>::type_url());
    let m = pb::MsgClosePool::decode(any.value.as_slice()).unwrap();
    assert_eq!((m.owner, m.pool_id), (signer(), 4));
    assert!(error("close-pool owner").contains("POOL_ID"));
    assert!(error("close-pool owner x").contains("POOL_ID"));
}

#[test]
fn prices() {
    assert_eq!(Some(price("0udeai").unwrap()), udeai(0));
    assert_eq!(Some(price("7udeai").unwrap()), udeai(7));
    assert_eq!(price("3data/1").unwrap().denom, "data/1");
    for bad in ["", "udeai", "5", "1udeai,2uatom", " 5udeai", "5 udeai"] {
        assert!(price(bad).is_err(), "{bad:?}");
    }
}
