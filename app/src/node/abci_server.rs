//! The ABCI socket server: CometBFT's length-delimited protobuf protocol over TCP, one thread
//! per connection (CometBFT opens four: consensus, mempool, query, snapshot).
//!
//! deai runs its own small server rather than tendermint-abci's because that one leaves
//! Nagle's algorithm on and writes every response by itself: CometBFT pipelines CheckTx
//! requests, and each response then waited on delayed ACKs, which capped the mempool at
//! ~1.8k tx/s. Here the socket has TCP_NODELAY, and responses are buffered and flushed
//! whenever no further request is already waiting, so a pipelined burst is answered in
//! one write.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};

use prost::Message;
use tendermint_proto::v0_38::abci::{
    request, response, Request, Response, ResponseEcho, ResponseException, ResponseFlush,
};

use super::App;

/// Largest request accepted: a full block (CometBFT's max block bytes are ~21 MiB) plus framing.
const MAX_REQUEST_BYTES: u64 = 64 * 1024 * 1024;
const IO_BUF: usize = 1024 * 1024;

/// Serves ABCI on `addr` (host:port) until the process ends.
pub fn serve(app: App, addr: &str) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| anyhow::anyhow!("cannot listen for ABCI on {addr}: {e}"))?;
    tracing::info!(addr, "ABCI server listening");
    for stream in listener.incoming() {
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("ABCI accept failed: {e}");
                continue;
            }
        };
        let app = app.clone();
        std::thread::spawn(move || {
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            tracing::info!(%peer, "ABCI connection opened");
            match handle(&app, stream) {
                Ok(()) => tracing::info!(%peer, "ABCI connection closed"),
                Err(e) => tracing::warn!(%peer, "ABCI connection failed: {e}"),
            }
        });
    }
    Ok(())
}

/// Reads a protobuf uvarint; Ok(None) on a clean end of stream before its first byte.
fn read_uvarint(r: &mut impl Read) -> io::Result<Option<u64>> {
    let mut value = 0u64;
    for i in 0..10 {
        let mut b = [0u8; 1];
        if r.read(&mut b)? == 0 {
            return if i == 0 {
                Ok(None)
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "truncated length prefix",
                ))
            };
        }
        value |= u64::from(b[0] & 0x7f) << (7 * i);
        if b[0] & 0x80 == 0 {
            return Ok(Some(value));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidData,
        "length prefix too long",
    ))
}

fn handle(app: &App, stream: TcpStream) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::with_capacity(IO_BUF, stream.try_clone()?);
    let mut writer = BufWriter::with_capacity(IO_BUF, stream);
    let mut body = Vec::new();
    let mut out = Vec::new();
    loop {
        // Answer everything already answered before blocking for more input.
        if reader.buffer().is_empty() {
            writer.flush()?;
        }
        let Some(len) = read_uvarint(&mut reader)? else {
            return Ok(());
        };
        if len > MAX_REQUEST_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("request of {len} bytes"),
            ));
        }
        body.resize(len as usize, 0);
        reader.read_exact(&mut body)?;
        let value = match Request::decode(body.as_slice()) {
            Ok(req) => dispatch(app, req),
            Err(e) => response::Value::Exception(ResponseException {
                error: format!("cannot decode ABCI request: {e}"),
            }),
        };
        out.clear();
        Response { value: Some(value) }
            .encode_length_delimited(&mut out)
            .map_err(io::Error::other)?;
        writer.write_all(&out)?;
    }
}

fn dispatch(app: &App, req: Request) -> response::Value {
    use request::Value as Q;
    use response::Value as R;
    match req.value {
        Some(Q::Echo(r)) => R::Echo(ResponseEcho { message: r.message }),
        Some(Q::Flush(_)) => R::Flush(ResponseFlush {}),
        Some(Q::Info(r)) => R::Info(app.info(r)),
        Some(Q::InitChain(r)) => R::InitChain(app.init_chain(r)),
        Some(Q::Query(r)) => R::Query(app.query(r)),
        Some(Q::CheckTx(r)) => R::CheckTx(app.check_tx(r)),
        Some(Q::Commit(_)) => R::Commit(app.commit()),
        Some(Q::PrepareProposal(r)) => R::PrepareProposal(app.prepare_proposal(r)),
        Some(Q::ProcessProposal(r)) => R::ProcessProposal(app.process_proposal(r)),
        Some(Q::FinalizeBlock(r)) => R::FinalizeBlock(app.finalize_block(r)),
        Some(Q::ExtendVote(r)) => R::ExtendVote(app.extend_vote(r)),
        Some(Q::VerifyVoteExtension(r)) => R::VerifyVoteExtension(app.verify_vote_extension(r)),
        // State sync is not offered yet: no snapshots, and offers are rejected.
        Some(Q::ListSnapshots(_)) => R::ListSnapshots(Default::default()),
        Some(Q::OfferSnapshot(_)) => {
            R::OfferSnapshot(tendermint_proto::v0_38::abci::ResponseOfferSnapshot {
                result: tendermint_proto::v0_38::abci::response_offer_snapshot::Result::Reject
                    as i32,
            })
        }
        Some(Q::LoadSnapshotChunk(_)) => R::LoadSnapshotChunk(Default::default()),
        Some(Q::ApplySnapshotChunk(_)) => {
            R::ApplySnapshotChunk(tendermint_proto::v0_38::abci::ResponseApplySnapshotChunk {
                result: tendermint_proto::v0_38::abci::response_apply_snapshot_chunk::Result::Abort
                    as i32,
                ..Default::default()
            })
        }
        None => R::Exception(ResponseException {
            error: "empty ABCI request".into(),
        }),
    }
}
