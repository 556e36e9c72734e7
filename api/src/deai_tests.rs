//! deai's own services on the API: reflection lists them, REST derives their routes from the
//! same `google.api.http` annotations as the Cosmos ones, and a module the node does not
//! serve (yet) answers `Unimplemented` / 501, never a panic.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use deai_framework::{sdk, TxError};
use deai_proto::compute::v1 as compute;
use prost::Message;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tower::ServiceExt;

use crate::{rest, Backend, Shared};

/// Serves `deai.compute.v1.Query/Order` only; every other path is unknown, as in deaid.
struct OrdersOnly;

impl Backend for OrdersOnly {
    fn query(&self, path: &str, data: &[u8], _height: u64) -> Result<Vec<u8>, TxError> {
        if path != "/deai.compute.v1.Query/Order" {
            return Err(sdk::unknown_request(format!(
                "no route for query path {path}"
            )));
        }
        let req = compute::QueryOrderRequest::decode(data)
            .map_err(|e| sdk::invalid_request(e.to_string()))?;
        let order = compute::Order {
            id: req.id,
            owner: "deai1owner".into(),
            redundancy: 2,
            state: compute::OrderState::Open as i32,
            ..Default::default()
        };
        Ok(compute::QueryOrderResponse { order: Some(order) }.encode_to_vec())
    }
    fn simulate(&self, _request: &[u8]) -> Result<Vec<u8>, TxError> {
        Err(sdk::unknown_request("no simulate"))
    }
    fn latest_height(&self) -> u64 {
        7
    }
    fn chain_id(&self) -> String {
        "deai-test".into()
    }
}

fn ctx() -> crate::Ctx {
    Shared::new(Arc::new(OrdersOnly), "http://127.0.0.1:1").unwrap()
}

async fn get(path: &str) -> (StatusCode, serde_json::Value) {
    let res = rest::router(ctx())
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
fn rest_knows_the_deai_routes_from_their_annotations() {
    let pool = crate::descriptors::pool().unwrap();
    let templates: Vec<String> = rest::routes(&pool)
        .iter()
        .map(|r| format!("{} {}", r.method.full_name(), r.template()))
        .collect();
    for want in [
        "deai.compute.v1.Query.Params /deai/compute/v1/params",
        "deai.compute.v1.Query.Order /deai/compute/v1/orders/{id}",
        "deai.compute.v1.Query.Bids /deai/compute/v1/orders/{order_id}/bids",
        "deai.compute.v1.Query.LeasesByProvider /deai/compute/v1/providers/{provider}/leases",
        "deai.compute.v1.Query.Audits /deai/compute/v1/audits",
        "deai.compute.v1.Query.Audits /deai/compute/v1/orders/{order_id}/audits",
        // The Cosmos routes are still there.
        "cosmos.bank.v1beta1.Query.Balance /cosmos/bank/v1beta1/balances/{address}/by_denom",
    ] {
        assert!(
            templates.iter().any(|t| t == want),
            "{want} missing from {templates:#?}"
        );
    }
}

#[tokio::test]
async fn a_deai_route_answers_in_proto3_json() {
    let (status, j) = get("/deai/compute/v1/orders/42").await;
    assert_eq!(status, StatusCode::OK, "{j}");
    assert_eq!(j["order"]["id"], "42");
    assert_eq!(j["order"]["owner"], "deai1owner");
    assert_eq!(j["order"]["state"], "ORDER_STATE_OPEN");
    assert_eq!(j["order"]["redundancy"], 2);
}

#[tokio::test]
async fn a_deai_route_without_a_module_is_501_and_an_unknown_path_404() {
    let (status, j) = get("/deai/compute/v1/params").await;
    assert_eq!(status, StatusCode::NOT_IMPLEMENTED, "{j}");
    assert_eq!(j["code"], tonic::Code::Unimplemented as i32, "{j}");
    let (status, _) = get("/deai/compute/v1/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn grpc_reflection_lists_deai_services_and_a_deai_query_without_a_module_is_unimplemented() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(crate::services::serve_grpc(ctx(), listener));
    let url = format!("http://{addr}");
    let channel = loop {
        match tonic::transport::Endpoint::from_shared(url.clone())
            .unwrap()
            .connect()
            .await
        {
            Ok(c) => break c,
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(20)).await,
        }
    };

    let ask = |m: MessageRequest| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(m),
    };
    let mut client = ServerReflectionClient::new(channel.clone());
    let mut answers = client
        .server_reflection_info(tokio_stream::iter(vec![
            ask(MessageRequest::ListServices(String::new())),
            ask(MessageRequest::FileContainingSymbol(
                "deai.compute.v1.Query".into(),
            )),
            ask(MessageRequest::FileContainingSymbol(
                "cosmwasm.wasm.v1.Query".into(),
            )),
        ]))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    for want in [
        "deai.compute.v1.Query",
        "deai.compute.v1.Msg",
        "cosmos.bank.v1beta1.Query",
        "cosmwasm.wasm.v1.Query",
        "cosmwasm.wasm.v1.Msg",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} not in {names:?}");
    }
    let Some(MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("expected the file of deai.compute.v1.Query");
    };
    assert!(!files.file_descriptor_proto.is_empty());
    let Some(MessageResponse::FileDescriptorResponse(files)) =
        answers.message().await.unwrap().unwrap().message_response
    else {
        panic!("expected the file of cosmwasm.wasm.v1.Query");
    };
    let names: Vec<String> = files
        .file_descriptor_proto
        .iter()
        .map(|b| {
            prost_types::FileDescriptorProto::decode(b.as_slice())
                .unwrap()
                .name()
                .to_string()
        })
        .collect();
    assert!(
        names.iter().any(|n| n == "cosmwasm/wasm/v1/query.proto"),
        "{names:?}"
    );

    // wasmd's generated client reaches the backend too (which serves no wasm here).
    let mut w =
        cosmos_sdk_proto::cosmwasm::wasm::v1::query_client::QueryClient::new(channel.clone());
    let err = w
        .smart_contract_state(
            cosmos_sdk_proto::cosmwasm::wasm::v1::QuerySmartContractStateRequest {
                address: "deai1c".into(),
                query_data: b"{}".to_vec(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented, "{err:?}");

    // The generated tonic client talks to the catch-all, which forwards to the backend.
    let mut q = compute::query_client::QueryClient::new(channel);
    let order = q
        .order(compute::QueryOrderRequest { id: 5 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(order.order.unwrap().id, 5);
    let err = q.params(compute::QueryParamsRequest {}).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented, "{err:?}");
}
