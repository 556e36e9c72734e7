//! The LCD REST server: the routes of the `google.api.http` annotations of the served Cosmos
//! services (exactly the Cosmos SDK's LCD routes) and of deai's module queries
//! (`/deai/<module>/v1/...`), in proto3 JSON as grpc-gateway writes it
//! (proto field names, default values included, 64-bit integers as strings, `Any` with
//! `@type`). A request becomes the method's protobuf request and goes through the same
//! dispatch as gRPC, so no query is implemented twice.
//!
//! wasmd's `cosmwasm.wasm.v1.Query` is served the same way (`/cosmwasm/wasm/v1/...`, wasmd
//! v0.54.9's annotations): `.../contract/{address}/smart/{query_data}` takes the query as
//! base64 (standard or URL-safe, `/` as `%2F`), as wasmd's gateway does. Its JSON follows
//! wasmd's gateway, not plain proto3 JSON, where wasmd's Go types differ (`wasmd_json`):
//! contract messages and answers inline (`{"data": {...}}`), code checksums and state keys
//! in upper-case hex, `AccessType` as `Everybody`; this holds for wasm messages inside txs
//! (GetTx, GetTxsEvent, TxDecode) too.

use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message as _;
use prost_reflect::DynamicMessage;
use tonic::Status;

use crate::descriptors::method_path;
use crate::{error, parse_height, services, Ctx, HEIGHT_HEADER};

mod json;
mod routing;
mod wasmd_json;

use json::{bad, set_param};
pub use json::{from_json, to_json};
use routing::find;
#[cfg(test)]
use routing::percent_decode;
pub use routing::{routes, Route};

fn lcd_error(s: &Status) -> Response {
    let code = StatusCode::from_u16(error::http_status(s.code()))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(error::lcd_body(s))).into_response()
}

struct RestState {
    ctx: Ctx,
    routes: Vec<Route>,
}

async fn handle(
    State(st): State<std::sync::Arc<RestState>>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let verb = req.method().clone();
    let path = req.uri().path().to_string();
    let body = match axum::body::to_bytes(req.into_body(), crate::MAX_REQUEST_BYTES * 2).await {
        Ok(b) => b,
        Err(_) => return lcd_error(&bad("request body too large")),
    };
    match answer(&st, &verb, &path, params, &headers, body).await {
        Ok((json, height)) => {
            let mut r = axum::Json(json).into_response();
            if let Ok(v) = HeaderValue::from_str(&height.to_string()) {
                r.headers_mut().insert(HEIGHT_HEADER, v);
            }
            r
        }
        Err(s) => lcd_error(&s),
    }
}

async fn answer(
    st: &RestState,
    verb: &Method,
    path: &str,
    params: Vec<(String, String)>,
    headers: &HeaderMap,
    body: Bytes,
) -> Result<(serde_json::Value, u64), Status> {
    let (route, vars) =
        find(&st.routes, verb, path).ok_or_else(|| Status::not_found("Not Found"))?;
    let input = route.method.input();
    let mut msg = if route.body == "*" && !body.is_empty() {
        from_json(input.clone(), &body)?
    } else {
        DynamicMessage::new(input.clone())
    };
    for (k, v) in &vars {
        set_param(&mut msg, k, v)?;
    }
    if route.body.is_empty() {
        if params.len() > 200 {
            return Err(bad("too many query parameters"));
        }
        for (k, v) in &params {
            set_param(&mut msg, k, v)?;
        }
    }
    let height = parse_height(headers.get(HEIGHT_HEADER).and_then(|v| v.to_str().ok()))?;
    let (bytes, height) = services::dispatch(
        &st.ctx,
        &method_path(&route.method),
        &msg.encode_to_vec(),
        height,
    )
    .await?;
    Ok((to_json(route.method.output(), &bytes)?, height))
}

pub fn router(ctx: Ctx) -> axum::Router {
    let routes = routes(&ctx.pool);
    let st = std::sync::Arc::new(RestState { ctx, routes });
    axum::Router::new().fallback(handle).with_state(st)
}

pub async fn serve(ctx: Ctx, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    axum::serve(listener, router(ctx)).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> prost_reflect::DescriptorPool {
        crate::descriptors::pool().unwrap()
    }

    #[test]
    fn lcd_routes_come_from_the_http_annotations() {
        let p = pool();
        let rs = routes(&p);
        let templates: Vec<String> = rs
            .iter()
            .map(|r| format!("{} {}", r.verb, r.template()))
            .collect();
        for want in [
            "GET /cosmos/bank/v1beta1/balances/{address}",
            "GET /cosmos/auth/v1beta1/accounts/{address}",
            "POST /cosmos/tx/v1beta1/simulate",
            "POST /cosmos/tx/v1beta1/txs",
            "GET /cosmos/tx/v1beta1/txs/{hash}",
            "GET /cosmos/base/tendermint/v1beta1/blocks/latest",
            "GET /cosmos/base/tendermint/v1beta1/node_info",
        ] {
            assert!(
                templates.iter().any(|t| t == want),
                "{want} missing from {templates:#?}"
            );
        }
        let (r, vars) = find(
            &rs,
            &Method::GET,
            "/cosmos/base/tendermint/v1beta1/blocks/latest",
        )
        .unwrap();
        assert_eq!(r.method.name(), "GetLatestBlock");
        assert!(vars.is_empty());
        let (r, vars) = find(
            &rs,
            &Method::GET,
            "/cosmos/base/tendermint/v1beta1/blocks/12",
        )
        .unwrap();
        assert_eq!(r.method.name(), "GetBlockByHeight");
        assert_eq!(vars, vec![("height".to_string(), "12".to_string())]);
        let (r, _) = find(
            &rs,
            &Method::GET,
            "/cosmos/bank/v1beta1/balances/deai1xyz/by_denom",
        )
        .unwrap();
        assert_eq!(r.method.name(), "Balance");
        assert!(find(&rs, &Method::GET, "/cosmos/bank/v1beta1/nope/x/y/z").is_none());
        assert!(find(&rs, &Method::DELETE, "/cosmos/bank/v1beta1/balances/x").is_none());
    }

    #[test]
    fn query_parameters_fill_nested_fields_and_reject_bad_ones() {
        let p = pool();
        let desc = p
            .get_message_by_name("cosmos.bank.v1beta1.QueryAllBalancesRequest")
            .unwrap();
        let mut m = DynamicMessage::new(desc);
        set_param(&mut m, "address", "deai1abc").unwrap();
        set_param(&mut m, "pagination.limit", "7").unwrap();
        set_param(&mut m, "pagination.count_total", "true").unwrap();
        set_param(&mut m, "pagination.key", "AQI=").unwrap();
        let typed = cosmos_sdk_proto::cosmos::bank::v1beta1::QueryAllBalancesRequest::decode(
            m.encode_to_vec().as_slice(),
        )
        .unwrap();
        let page = typed.pagination.unwrap();
        assert_eq!(typed.address, "deai1abc");
        assert_eq!(
            (page.limit, page.count_total, page.key),
            (7, true, vec![1, 2])
        );
        assert_eq!(
            set_param(&mut m, "pagination.limit", "-1")
                .unwrap_err()
                .code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            set_param(&mut m, "nope", "1").unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
        assert_eq!(
            set_param(&mut m, "address.x", "1").unwrap_err().code(),
            tonic::Code::InvalidArgument
        );
    }

    #[test]
    fn json_has_proto_names_defaults_and_typed_any() {
        use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, QueryAccountResponse};
        let p = pool();
        let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey { key: vec![2; 33] };
        let pub_key = Some(cosmos_sdk_proto::Any {
            type_url: "/cosmos.crypto.secp256k1.PubKey".into(),
            value: pk.encode_to_vec(),
        });
        let acc = BaseAccount {
            address: "deai1abc".into(),
            pub_key,
            account_number: 3,
            sequence: 0,
        };
        let res = QueryAccountResponse {
            account: Some(cosmos_sdk_proto::Any {
                type_url: "/cosmos.auth.v1beta1.BaseAccount".into(),
                value: acc.encode_to_vec(),
            }),
        };
        let j = to_json(
            p.get_message_by_name("cosmos.auth.v1beta1.QueryAccountResponse")
                .unwrap(),
            &res.encode_to_vec(),
        )
        .unwrap();
        assert_eq!(j["account"]["@type"], "/cosmos.auth.v1beta1.BaseAccount");
        assert_eq!(j["account"]["account_number"], "3");
        assert_eq!(j["account"]["sequence"], "0");
        assert_eq!(
            j["account"]["pub_key"]["@type"],
            "/cosmos.crypto.secp256k1.PubKey"
        );
        assert_eq!(
            j["account"]["pub_key"]["key"],
            "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIC"
        );
        // And back: the JSON body parses into the same bytes.
        let back = from_json(
            p.get_message_by_name("cosmos.auth.v1beta1.QueryAccountResponse")
                .unwrap(),
            serde_json::to_vec(&j).unwrap().as_slice(),
        )
        .unwrap();
        assert_eq!(back.encode_to_vec(), res.encode_to_vec());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb"), "a/b");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
