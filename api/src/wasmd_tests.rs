//! wasmd's `cosmwasm.wasm.v1.Query` on the API: its LCD routes come from wasmd's
//! annotations, a REST path becomes the request wasmd's gateway would make, and the JSON has
//! wasmd's shapes (inline contract JSON, hex checksums, `AccessType` names), in query answers
//! and in txs alike.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use cosmos_sdk_proto::cosmwasm::wasm::v1 as wasm;
use cosmos_sdk_proto::Any;
use deai_framework::{sdk, TxError};
use prost::Message;
use tower::ServiceExt;

use crate::{rest, Backend, Shared};

/// Answers a few wasm queries with fixed data and records every query it is asked.
#[derive(Default)]
struct Wasm {
    asked: Mutex<Vec<(String, Vec<u8>)>>,
}

impl Backend for Wasm {
    fn query(&self, path: &str, data: &[u8], _height: u64) -> Result<Vec<u8>, TxError> {
        if let Ok(mut a) = self.asked.lock() {
            a.push((path.to_string(), data.to_vec()));
        }
        let permission = wasm::AccessConfig {
            permission: wasm::AccessType::Everybody as i32,
            addresses: vec![],
        };
        Ok(match path {
            "/cosmwasm.wasm.v1.Query/SmartContractState" => wasm::QuerySmartContractStateResponse {
                data: br#"{"count":3,"owner":"deai1owner"}"#.to_vec(),
            }
            .encode_to_vec(),
            "/cosmwasm.wasm.v1.Query/ContractHistory" => wasm::QueryContractHistoryResponse {
                entries: vec![wasm::ContractCodeHistoryEntry {
                    operation: wasm::ContractCodeHistoryOperationType::Init as i32,
                    code_id: 1,
                    updated: None,
                    msg: br#"{"count":0}"#.to_vec(),
                }],
                pagination: None,
            }
            .encode_to_vec(),
            "/cosmwasm.wasm.v1.Query/Params" => wasm::QueryParamsResponse {
                params: Some(wasm::Params {
                    code_upload_access: Some(permission),
                    instantiate_default_permission: wasm::AccessType::Nobody as i32,
                }),
            }
            .encode_to_vec(),
            "/cosmwasm.wasm.v1.Query/CodeInfo" => crate_code_info(permission),
            "/cosmwasm.wasm.v1.Query/AllContractState" => wasm::QueryAllContractStateResponse {
                models: vec![wasm::Model {
                    key: b"config".to_vec(),
                    value: br#"{"a":1}"#.to_vec(),
                }],
                pagination: None,
            }
            .encode_to_vec(),
            _ => {
                return Err(sdk::unknown_request(format!(
                    "no route for query path {path}"
                )))
            }
        })
    }
    fn simulate(&self, _request: &[u8]) -> Result<Vec<u8>, TxError> {
        Err(sdk::unknown_request("no simulate"))
    }
    fn latest_height(&self) -> u64 {
        9
    }
    fn chain_id(&self) -> String {
        "deai-test".into()
    }
}

/// `QueryCodeInfoResponse` (not in cosmos-sdk-proto 0.26), by wasmd's field numbers.
fn crate_code_info(permission: wasm::AccessConfig) -> Vec<u8> {
    #[derive(Clone, PartialEq, prost::Message)]
    struct QueryCodeInfoResponse {
        #[prost(uint64, tag = "1")]
        code_id: u64,
        #[prost(string, tag = "2")]
        creator: String,
        #[prost(bytes = "vec", tag = "3")]
        checksum: Vec<u8>,
        #[prost(message, optional, tag = "4")]
        instantiate_permission: Option<wasm::AccessConfig>,
    }
    QueryCodeInfoResponse {
        code_id: 4,
        creator: "deai1creator".into(),
        checksum: vec![0xab, 0x01, 0xff],
        instantiate_permission: Some(permission),
    }
    .encode_to_vec()
}

async fn get(backend: Arc<Wasm>, path: &str) -> (StatusCode, serde_json::Value) {
    let ctx = Shared::new(backend, "http://127.0.0.1:1").unwrap();
    let res = rest::router(ctx)
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&body).unwrap())
}

#[test]
fn rest_has_wasmds_lcd_routes() {
    let pool = crate::descriptors::pool().unwrap();
    let templates: Vec<String> = rest::routes(&pool)
        .iter()
        .map(|r| format!("{} {} {}", r.verb, r.method.name(), r.template()))
        .collect();
    for want in [
        "GET ContractInfo /cosmwasm/wasm/v1/contract/{address}",
        "GET ContractHistory /cosmwasm/wasm/v1/contract/{address}/history",
        "GET ContractsByCode /cosmwasm/wasm/v1/code/{code_id}/contracts",
        "GET AllContractState /cosmwasm/wasm/v1/contract/{address}/state",
        "GET RawContractState /cosmwasm/wasm/v1/contract/{address}/raw/{query_data}",
        "GET SmartContractState /cosmwasm/wasm/v1/contract/{address}/smart/{query_data}",
        "GET Code /cosmwasm/wasm/v1/code/{code_id}",
        "GET Codes /cosmwasm/wasm/v1/code",
        "GET CodeInfo /cosmwasm/wasm/v1/code-info/{code_id}",
        "GET PinnedCodes /cosmwasm/wasm/v1/codes/pinned",
        "GET Params /cosmwasm/wasm/v1/codes/params",
        "GET ContractsByCreator /cosmwasm/wasm/v1/contracts/creator/{creator_address}",
        "GET BuildAddress /cosmwasm/wasm/v1/contract/build_address",
    ] {
        assert!(
            templates.iter().any(|t| t == want),
            "{want} missing from {templates:#?}"
        );
    }
}

#[tokio::test]
async fn a_smart_query_path_becomes_wasmds_request_and_answers_inline_json() {
    let backend = Arc::new(Wasm::default());
    // {"get_count":{}} in standard base64; a `/` of base64 may come as %2F.
    let (status, j) = get(
        backend.clone(),
        "/cosmwasm/wasm/v1/contract/deai1contract/smart/eyJnZXRfY291bnQiOnt9fQ==",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{j}");
    assert_eq!(
        j,
        serde_json::json!({"data": {"count": 3, "owner": "deai1owner"}})
    );
    let (status, _) = get(
        backend.clone(),
        "/cosmwasm/wasm/v1/contract/deai1contract/smart/eyJhIjoiPz8%2FIn0=",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let asked = backend.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].0, "/cosmwasm.wasm.v1.Query/SmartContractState");
    let req = wasm::QuerySmartContractStateRequest::decode(asked[0].1.as_slice()).unwrap();
    assert_eq!(req.address, "deai1contract");
    assert_eq!(req.query_data, br#"{"get_count":{}}"#);
    let req = wasm::QuerySmartContractStateRequest::decode(asked[1].1.as_slice()).unwrap();
    assert_eq!(req.query_data, br#"{"a":"???"}"#);

    let (status, j) = get(
        backend.clone(),
        "/cosmwasm/wasm/v1/contract/deai1contract/smart/not-base64!",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{j}");

    // `code/{code_id}/contracts` is not `code/{code_id}`.
    let (status, _) = get(backend.clone(), "/cosmwasm/wasm/v1/code/7/contracts").await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
    let asked = backend.asked.lock().unwrap().clone();
    let (path, data) = asked.last().unwrap();
    assert_eq!(path, "/cosmwasm.wasm.v1.Query/ContractsByCode");
    let req = wasm::QueryContractsByCodeRequest::decode(data.as_slice()).unwrap();
    assert_eq!(req.code_id, 7);
}

#[tokio::test]
async fn wasm_json_has_wasmds_shapes() {
    let backend = Arc::new(Wasm::default());
    let (status, j) = get(backend.clone(), "/cosmwasm/wasm/v1/contract/deai1c/history").await;
    assert_eq!(status, StatusCode::OK, "{j}");
    let e = &j["entries"][0];
    assert_eq!(e["msg"], serde_json::json!({"count": 0}));
    assert_eq!(e["operation"], "CONTRACT_CODE_HISTORY_OPERATION_TYPE_INIT");
    assert_eq!(e["code_id"], "1");

    let (_, j) = get(backend.clone(), "/cosmwasm/wasm/v1/codes/params").await;
    assert_eq!(
        j,
        serde_json::json!({"params": {
            "code_upload_access": {"permission": "Everybody", "addresses": []},
            "instantiate_default_permission": "Nobody",
        }})
    );

    let (status, j) = get(backend.clone(), "/cosmwasm/wasm/v1/code-info/4").await;
    assert_eq!(status, StatusCode::OK, "{j}");
    assert_eq!(j["code_id"], "4");
    assert_eq!(j["checksum"], "AB01FF");
    assert_eq!(j["instantiate_permission"]["permission"], "Everybody");
    let asked = backend.asked.lock().unwrap().clone();
    let (path, data) = asked.last().unwrap();
    assert_eq!(path, "/cosmwasm.wasm.v1.Query/CodeInfo");
    assert_eq!(data, &wasm::QueryCodeRequest { code_id: 4 }.encode_to_vec());

    let (_, j) = get(backend.clone(), "/cosmwasm/wasm/v1/contract/deai1c/state").await;
    assert_eq!(j["models"][0]["key"], "636F6E666967");
    assert_eq!(j["models"][0]["value"], "eyJhIjoxfQ==");

    // What the node does not answer is 501, as for deai's modules.
    let (status, _) = get(backend, "/cosmwasm/wasm/v1/wasm-limits-config").await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED);
}

/// GetTx / TxDecode JSON: a MsgExecuteContract in a tx body renders with its `@type` and
/// its `msg` inline, and that JSON reads back into the same bytes.
#[test]
fn a_tx_with_a_wasm_message_renders_and_reads_back() {
    use cosmos_sdk_proto::cosmos::tx::v1beta1 as txpb;
    let pool = crate::descriptors::pool().unwrap();
    let exec = wasm::MsgExecuteContract {
        sender: "deai1sender".into(),
        contract: "deai1contract".into(),
        msg: br#"{"increment":{"by":2}}"#.to_vec(),
        funds: vec![cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: "udeai".into(),
            amount: "5".into(),
        }],
    };
    let res = txpb::GetTxResponse {
        tx: Some(txpb::Tx {
            body: Some(txpb::TxBody {
                messages: vec![Any {
                    type_url: "/cosmwasm.wasm.v1.MsgExecuteContract".into(),
                    value: exec.encode_to_vec(),
                }],
                memo: "m".into(),
                ..Default::default()
            }),
            auth_info: None,
            signatures: vec![],
        }),
        tx_response: None,
    };
    let desc = pool
        .get_message_by_name("cosmos.tx.v1beta1.GetTxResponse")
        .unwrap();
    let j = rest::to_json(desc.clone(), &res.encode_to_vec()).unwrap();
    let m = &j["tx"]["body"]["messages"][0];
    assert_eq!(m["@type"], "/cosmwasm.wasm.v1.MsgExecuteContract");
    assert_eq!(m["sender"], "deai1sender");
    assert_eq!(m["msg"], serde_json::json!({"increment": {"by": 2}}));
    assert_eq!(m["funds"][0]["amount"], "5");
    let back = rest::from_json(desc, serde_json::to_vec(&j).unwrap().as_slice()).unwrap();
    assert_eq!(back.encode_to_vec(), res.encode_to_vec());
}
