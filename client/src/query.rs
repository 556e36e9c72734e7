//! Queries of a node's gRPC methods, over CometBFT RPC (ABCI query, whose path is the gRPC
//! method) or over the node's gRPC server. Both reach the same query implementation in the
//! node; `x-cosmos-block-height` selects a past height over gRPC, as in the Cosmos SDK.

use crate::rpc::NodeClient;

/// Where queries go.
pub enum Querier {
    Rpc(NodeClient),
    Grpc(tonic::transport::Channel),
}

impl Querier {
    /// Over CometBFT RPC.
    pub fn rpc(client: NodeClient) -> Self {
        Self::Rpc(client)
    }

    /// Over gRPC at `addr` (`host:port` or a URL); connects now, so an unreachable server is
    /// reported here.
    pub async fn grpc(addr: &str) -> anyhow::Result<Self> {
        let url = if addr.contains("://") {
            addr.to_string()
        } else {
            format!("http://{addr}")
        };
        let channel = tonic::transport::Endpoint::from_shared(url.clone())
            .map_err(|e| anyhow::anyhow!("invalid gRPC address {addr:?}: {e}"))?
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot reach gRPC at {url}: {e}"))?;
        Ok(Self::Grpc(channel))
    }

    /// Calls gRPC method `path` (`/deai.compute.v1.Query/Order`) at `height` (0: latest). An
    /// error answer from the app is an error with its code.
    pub async fn query<Req, Res>(&self, path: &str, req: &Req, height: u64) -> anyhow::Result<Res>
    where
        Req: prost::Message + Clone + 'static,
        Res: prost::Message + Default + 'static,
    {
        match self {
            Self::Rpc(c) => Ok(c.query(path, req, height).await??),
            Self::Grpc(channel) => {
                let mut grpc = tonic::client::Grpc::new(channel.clone());
                grpc.ready()
                    .await
                    .map_err(|e| anyhow::anyhow!("gRPC not ready: {e}"))?;
                let mut request = tonic::Request::new(req.clone());
                if height > 0 {
                    request.metadata_mut().insert(
                        "x-cosmos-block-height",
                        height
                            .to_string()
                            .parse()
                            .map_err(|_| anyhow::anyhow!("bad height"))?,
                    );
                }
                let path = tonic::codegen::http::uri::PathAndQuery::try_from(path)
                    .map_err(|e| anyhow::anyhow!("bad method path {path}: {e}"))?;
                let codec = tonic::codec::ProstCodec::<Req, Res>::default();
                let res = grpc
                    .unary(request, path, codec)
                    .await
                    .map_err(|s| anyhow::anyhow!("{} ({:?})", s.message(), s.code()))?;
                Ok(res.into_inner())
            }
        }
    }
}
