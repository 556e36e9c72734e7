//! The gRPC catch-all: any unary `/pkg.Service/Method` that no typed service claims is passed
//! as raw protobuf bytes to `Backend::query`, the same function that answers ABCI queries.
//! So every module's Query service (cosmos.auth, cosmos.bank and deai's own) is served over
//! gRPC without a second implementation.

use prost::bytes::{Buf, BufMut};
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::BoxFuture;
use tonic::{Request, Response, Status};

use crate::{error, parse_height, Ctx, HEIGHT_HEADER, MAX_REQUEST_BYTES};

#[derive(Clone, Copy, Default)]
pub struct RawCodec;
pub struct RawEncoder;
pub struct RawDecoder;

impl Encoder for RawEncoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawDecoder {
    type Item = Vec<u8>;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut v = vec![0; src.remaining()];
        src.copy_to_slice(&mut v);
        Ok(Some(v))
    }
}

impl Codec for RawCodec {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawEncoder;
    type Decoder = RawDecoder;
    fn encoder(&mut self) -> RawEncoder {
        RawEncoder
    }
    fn decoder(&mut self) -> RawDecoder {
        RawDecoder
    }
}

/// A module query at `requested` height (0: latest). Returns the response bytes and the
/// height it was answered at.
pub async fn backend_query(
    ctx: &Ctx,
    path: &str,
    data: &[u8],
    requested: u64,
) -> Result<(Vec<u8>, u64), Status> {
    if data.len() > MAX_REQUEST_BYTES {
        return Err(Status::invalid_argument("request too large"));
    }
    let height = ctx.resolve_height(requested);
    let latest = ctx.backend.latest_height();
    if height > latest {
        return Err(Status::invalid_argument(format!(
            "cannot query at height {height}: the latest height is {latest}"
        )));
    }
    let (path, data) = (path.to_string(), data.to_vec());
    let bytes = ctx
        .blocking(move |b| b.query(&path, &data, height))
        .await?
        .map_err(error::to_status)?;
    Ok((bytes, height))
}

pub fn height_of(md: &tonic::metadata::MetadataMap) -> Result<u64, Status> {
    match md.get(HEIGHT_HEADER) {
        None => Ok(0),
        Some(v) => parse_height(Some(v.to_str().map_err(|_| {
            Status::invalid_argument(format!("invalid {HEIGHT_HEADER}: not ASCII"))
        })?)),
    }
}

pub fn with_height<T>(msg: T, height: u64) -> Response<T> {
    let mut r = Response::new(msg);
    if let Ok(v) = height.to_string().parse() {
        r.metadata_mut().insert(HEIGHT_HEADER, v);
    }
    r
}

struct Unary {
    ctx: Ctx,
    path: String,
}

impl tonic::server::UnaryService<Vec<u8>> for Unary {
    type Response = Vec<u8>;
    type Future = BoxFuture<Response<Vec<u8>>, Status>;

    fn call(&mut self, req: Request<Vec<u8>>) -> Self::Future {
        let ctx = self.ctx.clone();
        let path = self.path.clone();
        Box::pin(async move {
            let h = height_of(req.metadata())?;
            let (bytes, height) = backend_query(&ctx, &path, req.get_ref(), h).await?;
            Ok(with_height(bytes, height))
        })
    }
}

/// Serves one gRPC call that no typed service claimed.
pub async fn handle(ctx: Ctx, req: axum::extract::Request) -> axum::response::Response {
    let path = req.uri().path().to_string();
    let mut grpc = tonic::server::Grpc::new(RawCodec)
        .apply_max_message_size_config(Some(MAX_REQUEST_BYTES), None);
    grpc.unary(Unary { ctx, path }, req)
        .await
        .map(axum::body::Body::new)
}
