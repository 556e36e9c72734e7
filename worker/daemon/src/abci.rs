//! A module's gRPC query methods, asked over the node's CometBFT RPC (ABCI queries on gRPC
//! paths, no key needed): one answer, "not found" as `None`, and paginated lists read to
//! the end (bounded).

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use deai_client::NodeClient;

/// Pages read at most by one list query.
pub const MAX_PAGES: usize = 100;
/// Items asked per page.
pub const PAGE_LIMIT: u64 = 100;

/// The queries of one service (`/deai.compute.v1.Query`) on one node.
pub struct Abci {
    client: NodeClient,
    service: &'static str,
}

/// The next page's key of a response (empty when it was the last).
pub fn next_key(p: Option<PageResponse>) -> Vec<u8> {
    p.map(|p| p.next_key).unwrap_or_default()
}

impl Abci {
    /// `service` is the gRPC service's full path without the method, e.g.
    /// `/deai.inference.v1.Query`.
    pub fn new(node_url: &str, service: &'static str) -> anyhow::Result<Self> {
        Ok(Abci {
            client: NodeClient::new(node_url)?,
            service,
        })
    }

    pub fn client(&self) -> &NodeClient {
        &self.client
    }

    /// The app's answer, or its error (`Err` outside: the node could not be asked).
    pub async fn ask<Req: prost::Message, Res: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> anyhow::Result<Result<Res, deai_client::QueryError>> {
        self.client
            .query(&format!("{}/{method}", self.service), req, 0)
            .await
    }

    /// An answer; any app error is an error.
    pub async fn one<Req: prost::Message, Res: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> anyhow::Result<Res> {
        self.ask(method, req)
            .await?
            .map_err(|e| anyhow::anyhow!("{method}: {e}"))
    }

    /// A query whose "not found" answer is `None`.
    pub async fn get<Req: prost::Message, Res: prost::Message + Default>(
        &self,
        method: &str,
        req: &Req,
    ) -> anyhow::Result<Option<Res>> {
        match self.ask(method, req).await? {
            Ok(r) => Ok(Some(r)),
            Err(e) if e.code == deai_framework::sdk::KEY_NOT_FOUND => Ok(None),
            Err(e) => Err(anyhow::anyhow!("{method}: {e}")),
        }
    }

    /// Every item of a paginated query (at most [`MAX_PAGES`] pages of [`PAGE_LIMIT`]).
    pub async fn list<Req, Res, T>(
        &self,
        method: &str,
        req: impl FnMut(PageRequest) -> Req,
        items: impl Fn(Res) -> (Vec<T>, Vec<u8>),
    ) -> anyhow::Result<Vec<T>>
    where
        Req: prost::Message,
        Res: prost::Message + Default,
    {
        self.list_until(method, req, items, |_| false).await
    }

    /// The items of a paginated query, page after page, until a page for which `done`
    /// holds (that page included) or the last page (at most [`MAX_PAGES`] pages). `req` may
    /// set `reverse` on the page request to read newest first.
    pub async fn list_until<Req, Res, T>(
        &self,
        method: &str,
        mut req: impl FnMut(PageRequest) -> Req,
        items: impl Fn(Res) -> (Vec<T>, Vec<u8>),
        done: impl Fn(&[T]) -> bool,
    ) -> anyhow::Result<Vec<T>>
    where
        Req: prost::Message,
        Res: prost::Message + Default,
    {
        let mut out = Vec::new();
        let mut key = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = PageRequest {
                key: key.clone(),
                offset: 0,
                limit: PAGE_LIMIT,
                count_total: false,
                reverse: false,
            };
            let res: Res = self.one(method, &req(page)).await?;
            let (mut got, next) = items(res);
            let stop = done(&got);
            out.append(&mut got);
            if next.is_empty() || stop {
                return Ok(out);
            }
            key = next;
        }
        tracing::warn!(
            method,
            pages = MAX_PAGES,
            "stopped reading after the page limit"
        );
        Ok(out)
    }
}
