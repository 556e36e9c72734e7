//! `deaid query wasm …`: wasmd's `wasmd query wasm …` commands, calling
//! `/cosmwasm.wasm.v1.Query/<Method>` over ABCI query (or `--grpc-addr`). The answers are
//! printed as wasmd's CLI prints them (Go's jsonpb with proto field names and defaults, and
//! wasmd's own encodings): u64s as strings, access types by wasmd's names (`"Everybody"`),
//! checksums and state keys as upper-case hex, other bytes as base64, and contract messages
//! and smart answers as inline JSON.

use std::path::PathBuf;

use clap::Subcommand;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::output::{print, OutputFormat};
use super::parse::{address, PageArgs};
use super::query_cmd::{page_json, querier};
use super::wasm_tx::{json_msg, Encoding, JsonMsg};
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum WasmQuery {
    /// A contract's storage: a smart query, one raw key, or all of it.
    #[command(subcommand)]
    ContractState(ContractState),
    /// Download a code's wasm to OUTPUT_FILE (its checksum is checked).
    Code {
        code_id: u64,
        output_file: PathBuf,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A code's info: creator, checksum (data_hash) and instantiate permission.
    CodeInfo {
        code_id: u64,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// Every code's info.
    ListCode {
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The contracts running a code.
    ListContractByCode {
        code_id: u64,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A contract's info: code, creator, admin, label, creation.
    Contract {
        #[arg(value_parser = address)]
        contract: String,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// A contract's code history: its instantiation and migrations.
    ContractHistory {
        #[arg(value_parser = address)]
        contract: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The contracts an address instantiated.
    ListContractsByCreator {
        #[arg(value_parser = address)]
        creator: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// The module's params: who may upload code, the default instantiate permission.
    Params {
        #[command(flatten)]
        node: NodeArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum ContractState {
    /// Ask the contract a JSON query; prints {"data": <its JSON answer>}.
    Smart {
        #[arg(value_parser = address)]
        contract: String,
        #[arg(value_parser = json_msg)]
        json: JsonMsg,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// One key of the contract's storage: hex (the default), or text with --ascii, base64
    /// with --b64; prints {"data": <base64 value, or null>}.
    Raw {
        #[arg(value_parser = address)]
        contract: String,
        key: String,
        #[command(flatten)]
        encoding: Encoding,
        #[command(flatten)]
        node: NodeArgs,
    },
    /// All of the contract's storage: keys (hex) and values (base64).
    All {
        #[arg(value_parser = address)]
        contract: String,
        #[command(flatten)]
        page: PageArgs,
        #[command(flatten)]
        node: NodeArgs,
    },
}

/// Calls method `method` of `cosmwasm.wasm.v1.Query`.
async fn ask<Req, Res>(node: &NodeArgs, method: &str, req: Req) -> anyhow::Result<Res>
where
    Req: prost::Message + Clone + 'static,
    Res: prost::Message + Default + 'static,
{
    let path = format!("/cosmwasm.wasm.v1.Query/{method}");
    querier(node).await?.query(&path, &req, node.height).await
}

pub async fn run(cmd: WasmQuery, out: OutputFormat) -> anyhow::Result<()> {
    use WasmQuery as Q;
    let v = match cmd {
        Q::ContractState(c) => contract_state(c).await?,
        Q::Code {
            code_id,
            output_file,
            node,
        } => {
            let req = pb::QueryCodeRequest { code_id };
            let r: pb::QueryCodeResponse = ask(&node, "Code", req).await?;
            save_code(code_id, &r, &output_file)?
        }
        Q::CodeInfo { code_id, node } => {
            let req = pb::QueryCodeRequest { code_id };
            let r: pb::QueryCodeResponse = ask(&node, "Code", req).await?;
            let info = r
                .code_info
                .ok_or_else(|| anyhow::anyhow!("the node answered no info for code {code_id}"))?;
            code_info_json(&info)
        }
        Q::ListCode { page, node } => {
            let req = pb::QueryCodesRequest {
                pagination: page.request()?,
            };
            let r: pb::QueryCodesResponse = ask(&node, "Codes", req).await?;
            json!({
                "code_infos": r.code_infos.iter().map(code_info_json).collect::<Vec<_>>(),
                "pagination": page_json(r.pagination),
            })
        }
        Q::ListContractByCode {
            code_id,
            page,
            node,
        } => {
            let req = pb::QueryContractsByCodeRequest {
                code_id,
                pagination: page.request()?,
            };
            let r: pb::QueryContractsByCodeResponse = ask(&node, "ContractsByCode", req).await?;
            json!({"contracts": r.contracts, "pagination": page_json(r.pagination)})
        }
        Q::Contract { contract, node } => {
            let req = pb::QueryContractInfoRequest { address: contract };
            let r: pb::QueryContractInfoResponse = ask(&node, "ContractInfo", req).await?;
            json!({
                "address": r.address,
                "contract_info": r.contract_info.as_ref().map_or(Value::Null, contract_info_json),
            })
        }
        Q::ContractHistory {
            contract,
            page,
            node,
        } => {
            let req = pb::QueryContractHistoryRequest {
                address: contract,
                pagination: page.request()?,
            };
            let r: pb::QueryContractHistoryResponse = ask(&node, "ContractHistory", req).await?;
            json!({
                "entries": r.entries.iter().map(history_json).collect::<Vec<_>>(),
                "pagination": page_json(r.pagination),
            })
        }
        Q::ListContractsByCreator {
            creator,
            page,
            node,
        } => {
            let req = pb::QueryContractsByCreatorRequest {
                creator_address: creator,
                pagination: page.request()?,
            };
            let r: pb::QueryContractsByCreatorResponse =
                ask(&node, "ContractsByCreator", req).await?;
            json!({"contract_addresses": r.contract_addresses, "pagination": page_json(r.pagination)})
        }
        Q::Params { node } => {
            let r: pb::QueryParamsResponse =
                ask(&node, "Params", pb::QueryParamsRequest {}).await?;
            json!({"params": r.params.as_ref().map_or(Value::Null, params_json)})
        }
    };
    print(&v, out);
    Ok(())
}

async fn contract_state(cmd: ContractState) -> anyhow::Result<Value> {
    Ok(match cmd {
        ContractState::Smart {
            contract,
            json,
            node,
        } => {
            let req = pb::QuerySmartContractStateRequest {
                address: contract,
                query_data: json.0,
            };
            let r: pb::QuerySmartContractStateResponse =
                ask(&node, "SmartContractState", req).await?;
            json!({"data": contract_json(&r.data).map_err(|b64| anyhow::anyhow!(
                "the contract's answer is not JSON (base64: {b64})"
            ))?})
        }
        ContractState::Raw {
            contract,
            key,
            encoding,
            node,
        } => {
            let req = pb::QueryRawContractStateRequest {
                address: contract,
                query_data: encoding.decode_or_hex("the key", &key)?,
            };
            let r: pb::QueryRawContractStateResponse = ask(&node, "RawContractState", req).await?;
            json!({"data": bytes_or_null(&r.data)})
        }
        ContractState::All {
            contract,
            page,
            node,
        } => {
            let req = pb::QueryAllContractStateRequest {
                address: contract,
                pagination: page.request()?,
            };
            let r: pb::QueryAllContractStateResponse = ask(&node, "AllContractState", req).await?;
            let models: Vec<Value> = r
                .models
                .iter()
                .map(|m| json!({"key": hex_upper(&m.key), "value": base64(&m.value)}))
                .collect();
            json!({"models": models, "pagination": page_json(r.pagination)})
        }
    })
}

/// Writes a code's bytes to `file` after checking them against its checksum; what is printed.
fn save_code(
    code_id: u64,
    r: &pb::QueryCodeResponse,
    file: &std::path::Path,
) -> anyhow::Result<Value> {
    anyhow::ensure!(
        !r.data.is_empty(),
        "the node answered no bytes for code {code_id}"
    );
    let checksum = Sha256::digest(&r.data);
    if let Some(info) = &r.code_info {
        anyhow::ensure!(
            info.data_hash[..] == checksum[..],
            "the bytes of code {code_id} do not match its checksum {}",
            hex_upper(&info.data_hash)
        );
    }
    std::fs::write(file, &r.data)
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
    Ok(json!({
        "code_id": code_id.to_string(),
        "file": file.display().to_string(),
        "size": r.data.len().to_string(),
        "checksum": hex_upper(&checksum),
    }))
}

fn base64(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(b)
}

/// Go's JSON of bytes: null when empty, else base64.
fn bytes_or_null(b: &[u8]) -> Value {
    if b.is_empty() {
        Value::Null
    } else {
        base64(b).into()
    }
}

/// wasmd's `HexBytes` (checksums, state keys): upper-case hex.
fn hex_upper(b: &[u8]) -> String {
    hex::encode_upper(b)
}

/// A contract message or answer (wasmd's `RawContractMessage`): its JSON inline, or the
/// bytes in base64 as the error when they are not JSON.
fn contract_json(b: &[u8]) -> Result<Value, String> {
    serde_json::from_slice(b).map_err(|_| base64(b))
}

/// wasmd's JSON names of access types.
fn access_type(t: i32) -> Value {
    match pb::AccessType::try_from(t) {
        Ok(pb::AccessType::Unspecified) => "Unspecified".into(),
        Ok(pb::AccessType::Nobody) => "Nobody".into(),
        Ok(pb::AccessType::Everybody) => "Everybody".into(),
        Ok(pb::AccessType::AnyOfAddresses) => "AnyOfAddresses".into(),
        Err(_) => t.into(),
    }
}

fn access_json(c: Option<&pb::AccessConfig>) -> Value {
    c.map_or(
        Value::Null,
        |c| json!({"permission": access_type(c.permission), "addresses": c.addresses}),
    )
}

fn position_json(p: Option<&pb::AbsoluteTxPosition>) -> Value {
    p.map_or(
        Value::Null,
        |p| json!({"block_height": p.block_height.to_string(), "tx_index": p.tx_index.to_string()}),
    )
}

fn code_info_json(c: &pb::CodeInfoResponse) -> Value {
    json!({
        "code_id": c.code_id.to_string(),
        "creator": c.creator,
        "data_hash": hex_upper(&c.data_hash),
        "instantiate_permission": access_json(c.instantiate_permission.as_ref()),
    })
}

fn contract_info_json(c: &pb::ContractInfo) -> Value {
    json!({
        "code_id": c.code_id.to_string(),
        "creator": c.creator,
        "admin": c.admin,
        "label": c.label,
        "created": position_json(c.created.as_ref()),
        "ibc_port_id": c.ibc_port_id,
        "extension": c.extension.as_ref().map_or(Value::Null, |a| json!({
            "@type": a.type_url, "value": base64(&a.value),
        })),
    })
}

fn history_json(e: &pb::ContractCodeHistoryEntry) -> Value {
    let operation = pb::ContractCodeHistoryOperationType::try_from(e.operation)
        .map_or_else(|_| Value::from(e.operation), |o| o.as_str_name().into());
    json!({
        "operation": operation,
        "code_id": e.code_id.to_string(),
        "updated": position_json(e.updated.as_ref()),
        "msg": contract_json(&e.msg).unwrap_or_else(Value::String),
    })
}

fn params_json(p: &pb::Params) -> Value {
    json!({
        "code_upload_access": access_json(p.code_upload_access.as_ref()),
        "instantiate_default_permission": access_type(p.instantiate_default_permission),
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> Result<WasmQuery, clap::Error> {
        let argv = ["deaid", "query", "wasm"].iter().chain(args);
        match Cli::try_parse_from(argv)?.command {
            Command::Query(super::super::query_cmd::QueryCommand::Wasm(c)) => Ok(c),
            _ => unreachable!("not a wasm query"),
        }
    }

    fn contract() -> String {
        deai_framework::Address::from_bytes(&[5; 32])
            .unwrap()
            .to_bech32()
    }

    #[test]
    fn arguments() {
        let c = contract();
        let q = parse(&[
            "contract-state",
            "smart",
            &c,
            r#"{"agent":{"address":"x"}}"#,
        ]);
        let Ok(WasmQuery::ContractState(ContractState::Smart { contract, json, .. })) = q else {
            panic!("{q:?}")
        };
        assert_eq!(contract, c);
        assert_eq!(json.0, br#"{"agent":{"address":"x"}}"#);
        let e = parse(&["contract-state", "smart", &c, "{agent}"]).unwrap_err();
        assert!(e.to_string().contains("not valid JSON"), "{e}");
        assert!(parse(&["contract-state", "smart", "deai1nope", "{}"]).is_err());

        let q = parse(&["contract-state", "raw", &c, "00ff"]);
        let Ok(WasmQuery::ContractState(ContractState::Raw { key, encoding, .. })) = q else {
            panic!("{q:?}")
        };
        assert_eq!(encoding.decode_or_hex("the key", &key).unwrap(), [0, 255]);
        let q = parse(&["contract-state", "raw", &c, "config", "--ascii"]);
        let Ok(WasmQuery::ContractState(ContractState::Raw { key, encoding, .. })) = q else {
            panic!("{q:?}")
        };
        assert_eq!(encoding.decode_or_hex("the key", &key).unwrap(), b"config");
        let q = parse(&["contract-state", "raw", &c, "config"]);
        let Ok(WasmQuery::ContractState(ContractState::Raw { key, encoding, .. })) = q else {
            panic!("{q:?}")
        };
        let e = encoding.decode_or_hex("the key", &key).unwrap_err();
        assert!(e.to_string().contains("must be hex"), "{e}");
        assert!(parse(&["contract-state", "raw", &c, "00", "--hex", "--ascii"]).is_err());

        let q = parse(&["contract-state", "all", &c, "--limit", "3"]);
        let Ok(WasmQuery::ContractState(ContractState::All { page, .. })) = q else {
            panic!("{q:?}")
        };
        assert_eq!(page.request().unwrap().unwrap().limit, 3);

        let q = parse(&["code", "1", "/tmp/x.wasm", "--height", "5"]);
        let Ok(WasmQuery::Code {
            code_id,
            output_file,
            node,
        }) = q
        else {
            panic!("{q:?}")
        };
        assert_eq!(
            (code_id, output_file, node.height),
            (1, "/tmp/x.wasm".into(), 5)
        );
        assert!(
            parse(&["code", "1"]).is_err(),
            "the output file is required"
        );
        assert!(parse(&["code-info", "x"]).is_err());
        assert!(parse(&["list-contracts-by-creator", "nobody"]).is_err());
        for ok in [
            &["code-info", "1"][..],
            &["list-code", "--reverse"],
            &["list-contract-by-code", "1", "--page-key", "AAE="],
            &["contract", &c],
            &["contract-history", &c],
            &["list-contracts-by-creator", &c],
            &["params", "--grpc-addr", "http://127.0.0.1:9090"],
        ] {
            assert!(parse(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn responses_in_wasmds_json() {
        let info = pb::CodeInfoResponse {
            code_id: 1,
            creator: "deai1c".into(),
            data_hash: vec![0xab; 32],
            instantiate_permission: Some(pb::AccessConfig {
                permission: pb::AccessType::AnyOfAddresses as i32,
                addresses: vec!["deai1a".into()],
            }),
        };
        assert_eq!(
            code_info_json(&info),
            json!({"code_id": "1", "creator": "deai1c", "data_hash": "AB".repeat(32),
                   "instantiate_permission": {"permission": "AnyOfAddresses", "addresses": ["deai1a"]}})
        );
        let c = pb::ContractInfo {
            code_id: 2,
            creator: "deai1c".into(),
            label: "l".into(),
            created: Some(pb::AbsoluteTxPosition {
                block_height: 7,
                tx_index: 0,
            }),
            ..Default::default()
        };
        assert_eq!(
            contract_info_json(&c),
            json!({"code_id": "2", "creator": "deai1c", "admin": "", "label": "l",
                   "created": {"block_height": "7", "tx_index": "0"}, "ibc_port_id": "",
                   "extension": null})
        );
        let h = pb::ContractCodeHistoryEntry {
            operation: pb::ContractCodeHistoryOperationType::Migrate as i32,
            code_id: 1,
            updated: None,
            msg: b"{}".to_vec(),
        };
        assert_eq!(
            history_json(&h),
            json!({"operation": "CONTRACT_CODE_HISTORY_OPERATION_TYPE_MIGRATE",
                   "code_id": "1", "updated": null, "msg": {}})
        );
        let odd = pb::ContractCodeHistoryEntry {
            msg: vec![0xff],
            ..h
        };
        assert_eq!(
            history_json(&odd)["msg"],
            "/w==",
            "non-JSON bytes as base64"
        );
        let p = pb::Params {
            code_upload_access: Some(pb::AccessConfig {
                permission: pb::AccessType::Everybody as i32,
                addresses: vec![],
            }),
            instantiate_default_permission: pb::AccessType::Nobody as i32,
        };
        assert_eq!(
            params_json(&p),
            json!({"code_upload_access": {"permission": "Everybody", "addresses": []},
                   "instantiate_default_permission": "Nobody"})
        );
        assert_eq!(access_type(9), json!(9));
        assert_eq!(bytes_or_null(&[]), Value::Null);
        assert_eq!(bytes_or_null(b"hi"), "aGk=");
        assert_eq!(contract_json(br#"{"a":1}"#), Ok(json!({"a": 1})));
    }

    #[test]
    fn code_is_saved_only_if_it_matches_its_checksum() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("c.wasm");
        let data = b"\0asm\x01\0\0\0".to_vec();
        let mut r = pb::QueryCodeResponse {
            code_info: Some(pb::CodeInfoResponse {
                code_id: 3,
                data_hash: Sha256::digest(&data).to_vec(),
                ..Default::default()
            }),
            data: data.clone(),
        };
        let v = save_code(3, &r, &file).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), data);
        assert_eq!(v["size"], "8");
        r.data.push(0);
        let e = save_code(3, &r, &dir.path().join("d.wasm")).unwrap_err();
        assert!(e.to_string().contains("do not match its checksum"), "{e}");
        assert!(!dir.path().join("d.wasm").exists());
        r.data.clear();
        assert!(save_code(3, &r, &file).is_err());
        let e = save_code(
            3,
            &pb::QueryCodeResponse {
                code_info: None,
                data,
            },
            &dir.path().join("no/such/dir"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("cannot write"), "{e}");
    }
}
