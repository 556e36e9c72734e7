//! Command lines of `deaid tx wasm …` parsed by clap and turned into messages, no node.

use std::io::Read;

use clap::Parser;
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

/// A contract address: 32 bytes, as wasmd's.
fn contract() -> String {
    deai_framework::Address::from_bytes(&[3; 32])
        .unwrap()
        .to_bech32()
}

fn signer() -> String {
    addr(7)
}

fn udeai(n: u64) -> ProtoCoin {
    deai_client::coin("udeai", n.into())
}

/// `deaid tx wasm <args>`, the args given one by one (JSON values hold spaces and quotes).
fn parse(args: &[&str]) -> Result<WasmTx, clap::Error> {
    let argv = ["deaid", "tx", "wasm"].iter().chain(args);
    match Cli::try_parse_from(argv)?.command {
        Command::Tx(tx) => match *tx {
            TxCommand::Wasm(c) => Ok(c),
            _ => unreachable!("not a wasm tx"),
        },
        _ => unreachable!("not a tx"),
    }
}

fn error(args: &[&str]) -> String {
    parse(args).unwrap_err().to_string()
}

/// The message a parsed command makes (or the error building it), as an Any, with its key.
fn build(cmd: WasmTx) -> anyhow::Result<(cosmos_sdk_proto::Any, String)> {
    fn b<T: clap::Args + BuildMsg>(
        s: Signed<T>,
    ) -> anyhow::Result<(cosmos_sdk_proto::Any, String)> {
        Ok((to_any(&s.msg.build(&signer())?), s.from))
    }
    match cmd {
        WasmTx::Store(s) => b(s),
        WasmTx::Instantiate(s) => b(s),
        WasmTx::Instantiate2(s) => b(s),
        WasmTx::Execute(s) => b(s),
        WasmTx::Migrate(s) => b(s),
        WasmTx::SetContractAdmin(s) => b(s),
        WasmTx::ClearContractAdmin(s) => b(s),
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

const WASM: &[u8] = b"\0asm\x01\0\0\0";

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn store_gzips_the_file_and_sets_the_permission() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("c.wasm");
    std::fs::write(&file, WASM).unwrap();
    let f = file.to_str().unwrap();

    let m: pb::MsgStoreCode = msg(&["store", "alice", f]);
    assert_eq!(m.sender, signer());
    assert_eq!(&m.wasm_byte_code[..3], &GZIP_MAGIC, "sent gzipped");
    assert_eq!(gunzip(&m.wasm_byte_code), WASM);
    assert_eq!(m.instantiate_permission, None, "the chain's default");

    let m: pb::MsgStoreCode = msg(&["store", "alice", f, "--instantiate-everybody"]);
    let p = m.instantiate_permission.unwrap();
    assert_eq!(
        (p.permission, p.addresses.len()),
        (pb::AccessType::Everybody as i32, 0)
    );
    let m: pb::MsgStoreCode = msg(&["store", "alice", f, "--instantiate-nobody"]);
    assert_eq!(
        m.instantiate_permission.unwrap().permission,
        pb::AccessType::Nobody as i32
    );
    let both = format!("{},{}", addr(1), addr(2));
    let m: pb::MsgStoreCode = msg(&["store", "alice", f, "--instantiate-anyof-addresses", &both]);
    let p = m.instantiate_permission.unwrap();
    assert_eq!(p.permission, pb::AccessType::AnyOfAddresses as i32);
    assert_eq!(p.addresses, vec![addr(1), addr(2)]);

    let twice = format!("{},{}", addr(1), addr(1));
    let e = try_msg::<pb::MsgStoreCode>(&[
        "store",
        "alice",
        f,
        "--instantiate-anyof-addresses",
        &twice,
    ]);
    assert!(e.unwrap_err().to_string().contains("given twice"));
    assert!(error(&[
        "store",
        "alice",
        f,
        "--instantiate-anyof-addresses",
        "deai1nope"
    ])
    .contains("--instantiate-anyof-addresses"));
    let e = error(&[
        "store",
        "alice",
        f,
        "--instantiate-everybody",
        "--instantiate-nobody",
    ]);
    assert!(e.contains("cannot be used with"), "{e}");
    assert!(error(&["store", "alice"]).contains("WASM_FILE"));

    // A gzip file is sent as it is.
    let gz = dir.path().join("c.wasm.gz");
    std::fs::write(&gz, read_wasm(&file).unwrap()).unwrap();
    let m: pb::MsgStoreCode = msg(&["store", "alice", gz.to_str().unwrap()]);
    assert_eq!(m.wasm_byte_code, std::fs::read(&gz).unwrap());
}

#[test]
fn store_refuses_missing_odd_and_huge_files() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("none.wasm");
    let e = read_wasm(&missing).unwrap_err().to_string();
    assert!(e.contains("cannot open") && e.contains("none.wasm"), "{e}");
    let text = dir.path().join("c.txt");
    std::fs::write(&text, "hello").unwrap();
    let e = read_wasm(&text).unwrap_err().to_string();
    assert!(e.contains("neither a wasm binary nor gzip"), "{e}");
    let huge = dir.path().join("huge.wasm");
    let mut bytes = WASM.to_vec();
    bytes.resize(MAX_WASM_FILE as usize + 1, 0);
    std::fs::write(&huge, &bytes).unwrap();
    let e = read_wasm(&huge).unwrap_err().to_string();
    assert!(e.contains("larger than 3 MiB"), "{e}");
    bytes.truncate(MAX_WASM_FILE as usize);
    std::fs::write(&huge, &bytes).unwrap();
    assert_eq!(
        gunzip(&read_wasm(&huge).unwrap()).len(),
        MAX_WASM_FILE as usize
    );
    // A directory is refused with the OS's reason, not a panic.
    assert!(read_wasm(dir.path()).is_err());
}

#[test]
fn instantiate_needs_a_label_and_an_admin_choice() {
    let init = r#"{"denom": "udeai", "min_bond": "100"}"#;
    let admin = addr(9);
    let m: pb::MsgInstantiateContract = msg(&[
        "instantiate",
        "alice",
        "1",
        init,
        "--label",
        "market",
        "--admin",
        &admin,
        "--amount",
        "5udeai",
    ]);
    assert_eq!(
        (
            m.sender.as_str(),
            m.code_id,
            m.label.as_str(),
            m.admin.as_str()
        ),
        (signer().as_str(), 1, "market", admin.as_str())
    );
    assert_eq!(m.msg, init.as_bytes(), "the JSON as written");
    assert_eq!(m.funds, vec![udeai(5)]);
    let m: pb::MsgInstantiateContract = msg(&[
        "instantiate",
        "alice",
        "1",
        "{}",
        "--label",
        "m",
        "--no-admin",
    ]);
    assert_eq!((m.admin.as_str(), m.funds.len()), ("", 0));
    let m: pb::MsgInstantiateContract = msg(&[
        "instantiate",
        "alice",
        "1",
        "{}",
        "--label",
        "m",
        "--no-admin",
        "--amount",
        "2data/1,5udeai",
    ]);
    assert_eq!(m.funds, vec![deai_client::coin("data/1", 2), udeai(5)]);

    let e = error(&["instantiate", "alice", "1", "{}", "--label", "m"]);
    assert!(e.contains("--admin") && e.contains("--no-admin"), "{e}");
    let e = error(&[
        "instantiate",
        "alice",
        "1",
        "{}",
        "--label",
        "m",
        "--no-admin",
        "--admin",
        &admin,
    ]);
    assert!(e.contains("cannot be used with"), "{e}");
    assert!(error(&["instantiate", "alice", "1", "{}", "--no-admin"]).contains("--label"));
    let e = error(&[
        "instantiate",
        "alice",
        "1",
        "{bad",
        "--label",
        "m",
        "--no-admin",
    ]);
    assert!(e.contains("not valid JSON"), "{e}");
    assert!(error(&[
        "instantiate",
        "alice",
        "x",
        "{}",
        "--label",
        "m",
        "--no-admin"
    ])
    .contains("CODE_ID"));
    for bad in ["", " m", &"l".repeat(129)] {
        let e = error(&[
            "instantiate",
            "alice",
            "1",
            "{}",
            "--label",
            bad,
            "--no-admin",
        ]);
        assert!(e.contains("label"), "{bad:?}: {e}");
    }
    let e = error(&[
        "instantiate",
        "alice",
        "1",
        "{}",
        "--label",
        "m",
        "--admin",
        "cosmos1x",
    ]);
    assert!(e.contains("--admin"), "{e}");
    for bad in ["5", "udeai", "-5udeai", "5udeai,5udeai"] {
        let flag = format!("--amount={bad}");
        let e = error(&[
            "instantiate",
            "alice",
            "1",
            "{}",
            "--label",
            "m",
            "--no-admin",
            &flag,
        ]);
        assert!(e.contains("--amount"), "{bad}: {e}");
    }
}

#[test]
fn instantiate2_decodes_its_salt() {
    let base = ["instantiate2", "alice", "4", r#"{"a":1}"#];
    let with = |salt: &str, extra: &[&str]| -> anyhow::Result<pb::MsgInstantiateContract2> {
        let mut args = base.to_vec();
        args.push(salt);
        args.extend(["--label", "m", "--no-admin"]);
        args.extend(extra);
        try_msg(&args)
    };
    let m = with("my salt", &[]).unwrap();
    assert_eq!(
        (m.code_id, m.salt.as_slice(), m.fix_msg),
        (4, &b"my salt"[..], false)
    );
    assert_eq!(m.msg, br#"{"a":1}"#);
    assert_eq!(
        with("00ff", &["--hex", "--fix-msg"]).unwrap().salt,
        [0, 255]
    );
    assert!(with("00ff", &["--fix-msg"]).unwrap().fix_msg);
    assert_eq!(with("AAE=", &["--b64"]).unwrap().salt, [0, 1]);
    assert_eq!(with("00ff", &["--ascii"]).unwrap().salt, b"00ff");
    let e = with("zz", &["--hex"]).unwrap_err().to_string();
    assert!(e.contains("must be hex"), "{e}");
    let e = with("!", &["--b64"]).unwrap_err().to_string();
    assert!(e.contains("must be base64"), "{e}");
    let e = with(&"s".repeat(65), &[]).unwrap_err().to_string();
    assert!(e.contains("65 bytes"), "{e}");
    assert!(with("", &["--hex"]).is_err(), "an empty salt");
    let e = error(&[
        "instantiate2",
        "alice",
        "4",
        "{}",
        "s",
        "--label",
        "m",
        "--no-admin",
        "--hex",
        "--b64",
    ]);
    assert!(e.contains("cannot be used with"), "{e}");
    assert!(error(&[
        "instantiate2",
        "alice",
        "4",
        "{}",
        "--label",
        "m",
        "--no-admin"
    ])
    .contains("SALT"));
}

#[test]
fn execute_migrate_and_admin_commands() {
    let c = contract();
    let exec = r#"{"register_agent":{"name":"a","capabilities":[],"endpoint":"e","price":"1"}}"#;
    let m: pb::MsgExecuteContract = msg(&["execute", "alice", &c, exec, "--amount", "100udeai"]);
    assert_eq!((m.sender, m.contract.as_str()), (signer(), c.as_str()));
    assert_eq!(
        (m.msg.as_slice(), m.funds),
        (exec.as_bytes(), vec![udeai(100)])
    );
    let m: pb::MsgExecuteContract = msg(&["execute", "alice", &c, "{}"]);
    assert!(m.funds.is_empty());
    assert!(error(&["execute", "alice", &c, "nope"]).contains("not valid JSON"));
    assert!(error(&["execute", "alice", "deai1xyz", "{}"]).contains("CONTRACT"));
    assert!(error(&["execute", "alice", &c]).contains("JSON"));

    let m: pb::MsgMigrateContract = msg(&["migrate", "alice", &c, "2", "{}"]);
    assert_eq!(
        (m.contract.as_str(), m.code_id, m.msg.as_slice()),
        (c.as_str(), 2, &b"{}"[..])
    );
    assert!(error(&["migrate", "alice", &c, "{}", "2"]).contains("NEW_CODE_ID"));
    assert!(error(&["migrate", "alice", &c, "2", "{"]).contains("not valid JSON"));

    let m: pb::MsgUpdateAdmin = msg(&["set-contract-admin", "alice", &c, &addr(8)]);
    assert_eq!(
        (m.sender, m.contract, m.new_admin),
        (signer(), c.clone(), addr(8))
    );
    assert!(error(&["set-contract-admin", "alice", &c, "bob"]).contains("NEW_ADMIN"));
    let m: pb::MsgClearAdmin = msg(&["clear-contract-admin", "alice", &c]);
    assert_eq!((m.sender, m.contract), (signer(), c.clone()));
    assert!(error(&["clear-contract-admin", "alice"]).contains("CONTRACT"));
}

#[test]
fn committed_events_give_the_code_id_and_the_contract() {
    let resp = |events: serde_json::Value| TxResponse {
        height: "5".into(),
        txhash: String::new(),
        codespace: String::new(),
        code: 0,
        raw_log: String::new(),
        gas_wanted: "0".into(),
        gas_used: "0".into(),
        events,
    };
    let r = resp(serde_json::json!([
        {"type": "message", "attributes": [{"key": "code_id", "value": "9"}]},
        {"type": "store_code", "attributes": [
            {"key": "code_checksum", "value": "ab"}, {"key": "code_id", "value": "3"}]},
        {"type": "instantiate", "attributes": [{"key": "_contract_address", "value": "deai1a"}]},
        {"type": "instantiate", "attributes": [{"key": "_contract_address", "value": "deai1b"}]},
    ]));
    assert_eq!(stored_code_id(&r), vec![("code_id", "3".into())]);
    assert_eq!(
        new_contract(&r),
        vec![("contract_address", "deai1a".into())]
    );
    let empty = resp(serde_json::json!([]));
    assert!(stored_code_id(&empty).is_empty() && new_contract(&empty).is_empty());
    assert_eq!(
        event_attribute(&resp(serde_json::Value::Null), "store_code", "code_id"),
        None
    );
}
