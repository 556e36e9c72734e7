//! The module trait and the router from message type URLs and query paths to handlers.

use std::collections::BTreeMap;

use cosmos_sdk_proto::Any;
use prost::Name;

use crate::address::Address;
use crate::context::Ctx;
use crate::error::{sdk, TxError};
use crate::state::{StateRead, StateWrite};

/// A decoded, statelessly validated message, ready to execute.
pub trait Message: Send {
    /// The accounts that must sign the tx carrying this message, in order.
    fn signers(&self) -> Vec<Address>;
    /// The owning module's name, for the `message.module` event.
    fn module(&self) -> &'static str;
    /// Runs the message. On error the caller discards every write of the tx.
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError>;
}

type MsgDecoder = fn(&[u8]) -> Result<Box<dyn Message>, TxError>;
type QueryFn = Box<dyn Fn(&dyn StateRead, &[u8]) -> Result<Vec<u8>, TxError> + Send + Sync>;

/// Decodes a proto message and converts it into the domain message, which is where its
/// stateless validation (`validate_basic`) happens.
fn decode_msg<P, M>(bytes: &[u8]) -> Result<Box<dyn Message>, TxError>
where
    P: prost::Message + Default,
    M: Message + TryFrom<P, Error = TxError> + 'static,
{
    let proto = P::decode(bytes).map_err(|e| {
        sdk::tx_decode(format!("cannot decode {}: {e}", std::any::type_name::<P>()))
    })?;
    Ok(Box::new(M::try_from(proto)?))
}

/// Maps type URLs to message decoders and gRPC method paths to query handlers.
/// Built once at start-up; a duplicate registration is a programming error and panics there.
#[derive(Default)]
pub struct Router {
    msgs: BTreeMap<String, MsgDecoder>,
    queries: BTreeMap<String, QueryFn>,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_msg<P, M>(&mut self)
    where
        P: prost::Message + Name + Default,
        M: Message + TryFrom<P, Error = TxError> + 'static,
    {
        let url = P::type_url();
        assert!(
            self.msgs.insert(url.clone(), decode_msg::<P, M>).is_none(),
            "message {url} registered twice"
        );
    }

    /// Registers a query by its gRPC method path, e.g. `/cosmos.bank.v1beta1.Query/Balance`.
    pub fn add_query<Req, Res, F>(&mut self, path: &str, f: F)
    where
        Req: prost::Message + Default,
        Res: prost::Message,
        F: Fn(&dyn StateRead, Req) -> Result<Res, TxError> + Send + Sync + 'static,
    {
        let handler: QueryFn = Box::new(move |state, bytes| {
            let req = Req::decode(bytes)
                .map_err(|e| sdk::tx_decode(format!("cannot decode query request: {e}")))?;
            Ok(f(state, req)?.encode_to_vec())
        });
        assert!(
            self.queries.insert(path.to_string(), handler).is_none(),
            "query {path} registered twice"
        );
    }

    pub fn decode(&self, any: &Any) -> Result<Box<dyn Message>, TxError> {
        let decoder = self.msgs.get(&any.type_url).ok_or_else(|| {
            sdk::unknown_request(format!("unrecognized message type: {}", any.type_url))
        })?;
        decoder(&any.value)
    }

    pub fn query(&self, path: &str, state: &dyn StateRead, req: &[u8]) -> Result<Vec<u8>, TxError> {
        let handler = self
            .queries
            .get(path)
            .ok_or_else(|| sdk::unknown_request(format!("unknown query path {path}")))?;
        handler(state, req)
    }

    pub fn has_query(&self, path: &str) -> bool {
        self.queries.contains_key(path)
    }

    pub fn msg_type_urls(&self) -> impl Iterator<Item = &str> {
        self.msgs.keys().map(String::as_str)
    }
}

/// What every module provides. Genesis is JSON in the Cosmos shapes, so that import and
/// export round-trip exactly.
pub trait Module: Send + Sync {
    fn name(&self) -> &'static str;

    fn register(&self, router: &mut Router);

    fn init_genesis(
        &self,
        state: &mut dyn StateWrite,
        genesis: &serde_json::Value,
    ) -> Result<(), TxError>;

    fn export_genesis(&self, state: &dyn StateRead) -> Result<serde_json::Value, TxError>;

    fn begin_block(&self, _ctx: &mut Ctx) -> Result<(), TxError> {
        Ok(())
    }

    fn end_block(&self, _ctx: &mut Ctx) -> Result<(), TxError> {
        Ok(())
    }
}
