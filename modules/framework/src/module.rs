//! The module trait and the router from message type URLs and query paths to handlers.

use std::collections::BTreeMap;

use cosmos_sdk_proto::Any;
use prost::Name;

use crate::address::Address;
use crate::context::{BlockInfo, Ctx};
use crate::error::{sdk, TxError};
use crate::gas::GasMeter;
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

type MsgDecoder = Box<dyn Fn(&[u8]) -> Result<Box<dyn Message>, TxError> + Send + Sync>;
type QueryFn =
    Box<dyn Fn(&dyn StateRead, &BlockInfo, &[u8]) -> Result<Vec<u8>, TxError> + Send + Sync>;

fn decode_proto<P: prost::Message + Default>(bytes: &[u8]) -> Result<P, TxError> {
    P::decode(bytes)
        .map_err(|e| sdk::tx_decode(format!("cannot decode {}: {e}", std::any::type_name::<P>())))
}

fn decode_request<Req: prost::Message + Default>(bytes: &[u8]) -> Result<Req, TxError> {
    Req::decode(bytes).map_err(|e| sdk::tx_decode(format!("cannot decode query request: {e}")))
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

    /// Registers a message: the proto `P` decoded, then converted into the domain message,
    /// which is where its stateless validation (`validate_basic`) happens.
    pub fn add_msg<P, M>(&mut self)
    where
        P: prost::Message + Name + Default + 'static,
        M: Message + TryFrom<P, Error = TxError> + 'static,
    {
        self.add_msg_with::<P, M, _>(M::try_from);
    }

    /// Registers a message whose domain type `convert` builds, for a module whose messages
    /// hold something of the node's (the wasm module's vm).
    pub fn add_msg_with<P, M, F>(&mut self, convert: F)
    where
        P: prost::Message + Name + Default + 'static,
        M: Message + 'static,
        F: Fn(P) -> Result<M, TxError> + Send + Sync + 'static,
    {
        let url = P::type_url();
        let decoder: MsgDecoder = Box::new(move |bytes| {
            let proto = decode_proto::<P>(bytes)?;
            Ok(Box::new(convert(proto)?) as Box<dyn Message>)
        });
        assert!(
            self.msgs.insert(url.clone(), decoder).is_none(),
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
        self.insert_query(
            path,
            Box::new(move |state, _block, bytes| {
                Ok(f(state, decode_request(bytes)?)?.encode_to_vec())
            }),
        );
    }

    /// Registers a query that runs code on a metered, throw-away context (a CosmWasm smart
    /// query): `f` gets a [`Ctx`] over the queried state with at most `gas_limit` gas and the
    /// queried block's facts; whatever it writes is dropped.
    pub fn add_metered_query<Req, Res, F>(&mut self, path: &str, gas_limit: u64, f: F)
    where
        Req: prost::Message + Default,
        Res: prost::Message,
        F: Fn(&mut Ctx, Req) -> Result<Res, TxError> + Send + Sync + 'static,
    {
        self.insert_query(
            path,
            Box::new(move |state, block, bytes| {
                let req = decode_request(bytes)?;
                let gas = GasMeter::new(gas_limit);
                let mut ctx = Ctx::new(state, &gas, block);
                Ok(f(&mut ctx, req)?.encode_to_vec())
            }),
        );
    }

    fn insert_query(&mut self, path: &str, handler: QueryFn) {
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

    /// Answers a query on `state`, the state after the block `block` describes (its height,
    /// time and chain id; what a metered query's code sees).
    pub fn query(
        &self,
        path: &str,
        state: &dyn StateRead,
        block: &BlockInfo,
        req: &[u8],
    ) -> Result<Vec<u8>, TxError> {
        let handler = self
            .queries
            .get(path)
            .ok_or_else(|| sdk::unknown_request(format!("unknown query path {path}")))?;
        handler(state, block, req)
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
