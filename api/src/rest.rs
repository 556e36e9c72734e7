//! The LCD REST server: the routes of the `google.api.http` annotations of the served Cosmos
//! services (exactly the Cosmos SDK's LCD routes) and of deai's module queries
//! (`/deai/<module>/v1/...`), in proto3 JSON as grpc-gateway writes it
//! (proto field names, default values included, 64-bit integers as strings, `Any` with
//! `@type`). A request becomes the method's protobuf request and goes through the same
//! dispatch as gRPC, so no query is implemented twice.

use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message as _;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, MethodDescriptor, ReflectMessage,
    SerializeOptions, Value,
};
use tonic::Status;

use crate::descriptors::{method_path, rest_services};
use crate::{error, parse_height, services, Ctx, HEIGHT_HEADER};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{field}`: one path segment into a (possibly nested) request field.
    Var(String),
    /// `{field=**}`: the rest of the path.
    Rest(String),
}

#[derive(Clone, Debug)]
pub struct Route {
    verb: Method,
    segments: Vec<Segment>,
    /// `*`: the whole body is the request; empty: no body.
    body: String,
    pub method: MethodDescriptor,
}

impl Route {
    pub fn template(&self) -> String {
        self.segments
            .iter()
            .map(|s| match s {
                Segment::Literal(l) => format!("/{l}"),
                Segment::Var(v) => format!("/{{{v}}}"),
                Segment::Rest(v) => format!("/{{{v}=**}}"),
            })
            .collect()
    }
}

fn parse_template(t: &str) -> Option<Vec<Segment>> {
    let mut out = Vec::new();
    for part in t.trim_start_matches('/').split('/') {
        if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            match inner.split_once('=') {
                Some((name, "**")) => out.push(Segment::Rest(name.to_string())),
                Some((name, "*")) => out.push(Segment::Var(name.to_string())),
                Some(_) => return None,
                None => out.push(Segment::Var(inner.to_string())),
            }
        } else if part.contains('{') || part.contains('}') {
            return None;
        } else {
            out.push(Segment::Literal(part.to_string()));
        }
    }
    Some(out)
}

fn rules_of(rule: &DynamicMessage) -> Vec<(Method, String, String)> {
    let s = |name: &str| match rule.get_field_by_name(name).as_deref() {
        Some(Value::String(v)) => v.clone(),
        _ => String::new(),
    };
    let body = s("body");
    let mut out = Vec::new();
    for (verb, m) in [
        ("get", Method::GET),
        ("post", Method::POST),
        ("put", Method::PUT),
        ("delete", Method::DELETE),
        ("patch", Method::PATCH),
    ] {
        let t = s(verb);
        if !t.is_empty() {
            out.push((m, t, body.clone()));
        }
    }
    if let Some(Value::List(more)) = rule.get_field_by_name("additional_bindings").as_deref() {
        for r in more {
            if let Value::Message(m) = r {
                out.extend(rules_of(m));
            }
        }
    }
    out
}

/// Every LCD route of the served services, from their `google.api.http` options.
pub fn routes(pool: &prost_reflect::DescriptorPool) -> Vec<Route> {
    let Some(http) = pool.get_extension_by_name("google.api.http") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for name in rest_services() {
        let Some(svc) = pool.get_service_by_name(name) else {
            continue;
        };
        for m in svc.methods() {
            let opts = m.options();
            if !opts.has_extension(&http) {
                continue;
            }
            if let Value::Message(rule) = opts.get_extension(&http).as_ref() {
                for (verb, t, body) in rules_of(rule) {
                    if let Some(segments) = parse_template(&t) {
                        out.push(Route {
                            verb,
                            segments,
                            body,
                            method: m.clone(),
                        });
                    }
                }
            }
        }
    }
    out
}

/// A matched route, its path variables and its number of literal segments.
type Match<'a> = (&'a Route, Vec<(String, String)>, usize);

/// Matches a path against the routes; literal segments beat variables.
fn find<'a>(
    routes: &'a [Route],
    verb: &Method,
    path: &str,
) -> Option<(&'a Route, Vec<(String, String)>)> {
    let parts: Vec<&str> = path
        .trim_start_matches('/')
        .trim_end_matches('/')
        .split('/')
        .collect();
    // The best match so far: its route, path variables and number of literal segments.
    let mut best: Option<Match<'a>> = None;
    'routes: for r in routes.iter().filter(|r| r.verb == *verb) {
        let mut vars = Vec::new();
        let mut literals = 0;
        let mut i = 0;
        for (k, seg) in r.segments.iter().enumerate() {
            match seg {
                Segment::Literal(l) => {
                    if parts.get(i) != Some(&l.as_str()) {
                        continue 'routes;
                    }
                    literals += 1;
                    i += 1;
                }
                Segment::Var(v) => {
                    match parts.get(i) {
                        Some(p) if !p.is_empty() => vars.push((v.clone(), percent_decode(p))),
                        _ => continue 'routes,
                    }
                    i += 1;
                }
                Segment::Rest(v) => {
                    if k + 1 != r.segments.len() || i >= parts.len() {
                        continue 'routes;
                    }
                    vars.push((v.clone(), percent_decode(&parts[i..].join("/"))));
                    i = parts.len();
                }
            }
        }
        if i != parts.len() {
            continue;
        }
        if best.as_ref().is_none_or(|(_, _, l)| literals > *l) {
            best = Some((r, vars, literals));
        }
    }
    best.map(|(r, v, _)| (r, v))
}

fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn bad(msg: impl Into<String>) -> Status {
    Status::invalid_argument(msg.into())
}

fn parse_scalar(kind: &Kind, raw: &str, name: &str) -> Result<Value, Status> {
    let err = || bad(format!("invalid value {raw:?} for {name}"));
    Ok(match kind {
        Kind::String => Value::String(raw.to_string()),
        Kind::Bool => Value::Bool(match raw {
            "true" | "1" => true,
            "false" | "0" | "" => false,
            _ => return Err(err()),
        }),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Value::I32(raw.parse().map_err(|_| err())?),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => Value::I64(raw.parse().map_err(|_| err())?),
        Kind::Uint32 | Kind::Fixed32 => Value::U32(raw.parse().map_err(|_| err())?),
        Kind::Uint64 | Kind::Fixed64 => Value::U64(raw.parse().map_err(|_| err())?),
        Kind::Float => Value::F32(raw.parse().map_err(|_| err())?),
        Kind::Double => Value::F64(raw.parse().map_err(|_| err())?),
        Kind::Bytes => {
            use base64::Engine;
            let e = base64::engine::general_purpose::STANDARD;
            let u = base64::engine::general_purpose::URL_SAFE;
            let trimmed = raw.trim_end_matches('=');
            let v = e
                .decode(raw)
                .or_else(|_| u.decode(raw))
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(trimmed))
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(trimmed))
                .map_err(|_| err())?;
            Value::Bytes(v.into())
        }
        Kind::Enum(e) => match e.get_value_by_name(raw) {
            Some(v) => Value::EnumNumber(v.number()),
            None => Value::EnumNumber(raw.parse().map_err(|_| err())?),
        },
        Kind::Message(_) => {
            return Err(bad(format!(
                "{name} is a message; set its fields as {name}.<field>"
            )))
        }
    })
}

/// Sets `a.b.c` = raw in the request, as grpc-gateway does for path and query parameters.
fn set_param(msg: &mut DynamicMessage, path: &str, raw: &str) -> Result<(), Status> {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let desc = msg.descriptor();
    let field = desc
        .get_field_by_name(head)
        .or_else(|| desc.get_field_by_json_name(head))
        .ok_or_else(|| bad(format!("unknown parameter {path:?}")))?;
    match (rest, field.kind()) {
        (Some(rest), Kind::Message(_)) if !field.is_list() && !field.is_map() => {
            match msg.get_field_mut(&field) {
                Value::Message(inner) => set_param(inner, rest, raw),
                _ => Err(bad(format!("unknown parameter {path:?}"))),
            }
        }
        (Some(_), _) => Err(bad(format!("unknown parameter {path:?}"))),
        (None, kind) => {
            let v = parse_scalar(&kind, raw, path)?;
            if field.is_list() {
                if let Value::List(l) = msg.get_field_mut(&field) {
                    if l.len() >= 100 {
                        return Err(bad(format!("too many values for {path}")));
                    }
                    l.push(v);
                }
            } else if field.is_map() {
                return Err(bad(format!("parameter {path:?} is a map")));
            } else {
                msg.set_field(&field, v);
            }
            Ok(())
        }
    }
}

/// prost-reflect knows `Any` type URLs only as `type.googleapis.com/<name>`; Cosmos writes
/// `/<name>`. These rewrite every Any in a message, payloads included, between the two.
const GOOGLE_PREFIX: &str = "type.googleapis.com/";
const MAX_ANY_DEPTH: usize = 16;

fn rewrite_any(m: &mut DynamicMessage, to_google: bool, depth: usize) {
    if depth > MAX_ANY_DEPTH {
        return;
    }
    if m.descriptor().full_name() == "google.protobuf.Any" {
        let url = match m.get_field_by_number(1).as_deref() {
            Some(Value::String(u)) => u.clone(),
            _ => return,
        };
        let name = url
            .strip_prefix(GOOGLE_PREFIX)
            .or_else(|| url.strip_prefix('/'))
            .unwrap_or(&url)
            .to_string();
        let new_url = if to_google {
            format!("{GOOGLE_PREFIX}{name}")
        } else {
            format!("/{name}")
        };
        let pool = m.descriptor().parent_pool().clone();
        if let (Some(desc), Some(Value::Bytes(b))) = (
            pool.get_message_by_name(&name),
            m.get_field_by_number(2).as_deref(),
        ) {
            if let Ok(mut inner) = DynamicMessage::decode(desc, b.clone()) {
                rewrite_any(&mut inner, to_google, depth + 1);
                m.set_field_by_number(2, Value::Bytes(inner.encode_to_vec().into()));
            }
        }
        m.set_field_by_number(1, Value::String(new_url));
        return;
    }
    for (_, v) in m.fields_mut() {
        match v {
            Value::Message(inner) => rewrite_any(inner, to_google, depth + 1),
            Value::List(items) => {
                for i in items {
                    if let Value::Message(inner) = i {
                        rewrite_any(inner, to_google, depth + 1);
                    }
                }
            }
            Value::Map(entries) => {
                for i in entries.values_mut() {
                    if let Value::Message(inner) = i {
                        rewrite_any(inner, to_google, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Rewrites `@type` values in JSON between the two URL forms.
fn rewrite_json_types(v: &mut serde_json::Value, to_google: bool, depth: usize) {
    if depth > MAX_ANY_DEPTH * 4 {
        return;
    }
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "@type" {
                    if let serde_json::Value::String(s) = x {
                        if to_google {
                            if let Some(rest) = s.strip_prefix('/') {
                                *s = format!("{GOOGLE_PREFIX}{rest}");
                            }
                        } else if let Some(rest) = s.strip_prefix(GOOGLE_PREFIX) {
                            *s = format!("/{rest}");
                        }
                    }
                } else {
                    rewrite_json_types(x, to_google, depth + 1);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for x in items {
                rewrite_json_types(x, to_google, depth + 1);
            }
        }
        _ => {}
    }
}

/// LCD JSON into the protobuf request of `desc`.
pub fn from_json(desc: MessageDescriptor, body: &[u8]) -> Result<DynamicMessage, Status> {
    let mut v: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    rewrite_json_types(&mut v, true, 0);
    let mut m = DynamicMessage::deserialize_with_options(desc, v, &DeserializeOptions::new())
        .map_err(|e| bad(format!("invalid JSON body: {e}")))?;
    rewrite_any(&mut m, false, 0);
    Ok(m)
}

fn json_options() -> SerializeOptions {
    SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false)
}

/// Protobuf bytes of `desc` as LCD JSON.
pub fn to_json(desc: MessageDescriptor, bytes: &[u8]) -> Result<serde_json::Value, Status> {
    let mut m = DynamicMessage::decode(desc, bytes)
        .map_err(|e| Status::internal(format!("cannot decode response: {e}")))?;
    rewrite_any(&mut m, true, 0);
    let mut v = m
        .serialize_with_options(serde_json::value::Serializer, &json_options())
        .map_err(|e| Status::internal(format!("cannot write JSON: {e}")))?;
    rewrite_json_types(&mut v, false, 0);
    Ok(v)
}

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
