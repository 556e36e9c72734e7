//! The ABCI socket server: adapts `App` to tendermint-abci's synchronous server.

use tendermint_abci::Application;
use tendermint_proto::v0_38::abci as pb;

use super::App;

/// Read buffer per connection; must hold the largest request (a block of txs).
const READ_BUF_SIZE: usize = 4 * 1024 * 1024;

#[derive(Clone)]
struct Adapter(App);

impl Application for Adapter {
    fn info(&self, r: pb::RequestInfo) -> pb::ResponseInfo {
        self.0.info(r)
    }
    fn init_chain(&self, r: pb::RequestInitChain) -> pb::ResponseInitChain {
        self.0.init_chain(r)
    }
    fn query(&self, r: pb::RequestQuery) -> pb::ResponseQuery {
        self.0.query(r)
    }
    fn check_tx(&self, r: pb::RequestCheckTx) -> pb::ResponseCheckTx {
        self.0.check_tx(r)
    }
    fn commit(&self) -> pb::ResponseCommit {
        self.0.commit()
    }
    fn prepare_proposal(&self, r: pb::RequestPrepareProposal) -> pb::ResponsePrepareProposal {
        self.0.prepare_proposal(r)
    }
    fn process_proposal(&self, r: pb::RequestProcessProposal) -> pb::ResponseProcessProposal {
        self.0.process_proposal(r)
    }
    fn finalize_block(&self, r: pb::RequestFinalizeBlock) -> pb::ResponseFinalizeBlock {
        self.0.finalize_block(r)
    }
}

/// Serves ABCI on `addr` (host:port) until the process ends.
pub fn serve(app: App, addr: &str) -> anyhow::Result<()> {
    let server = tendermint_abci::ServerBuilder::new(READ_BUF_SIZE)
        .bind(addr, Adapter(app))
        .map_err(|e| anyhow::anyhow!("cannot listen for ABCI on {addr}: {e}"))?;
    tracing::info!(addr, "ABCI server listening");
    server
        .listen()
        .map_err(|e| anyhow::anyhow!("ABCI server stopped: {e}"))
}
