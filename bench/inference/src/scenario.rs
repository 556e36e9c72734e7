//! The bench state, built with the module's own messages from genesis: each model registered
//! by its owner at height 5 with its real verifying key, one server staked on it at 6 (the
//! only candidate, so every request is assigned to it), and `batch` zk requests with
//! distinct inputs at height 10, all pending; then, per request, the server's real proof
//! bound to that request, as a MsgSubmitInference and as a signed tx.

use std::time::{Duration, Instant};

use cosmos_sdk_proto::Any;

use deai_client::keys::AccountKey;
use deai_client::txbuilder::{sign_tx, TxParams};
use deai_framework::{Coins, MemStore, Router};
use deai_proto::inference::v1 as pb;

use crate::fixture::{self, Prepared};
use crate::world::{self, any, coin, CHAIN_ID};

pub const REGISTER_HEIGHT: u64 = 5;
pub const REQUEST_HEIGHT: u64 = 10;
/// The first block after the requests' (see `latency`).
pub const SUBMIT_HEIGHT: u64 = REQUEST_HEIGHT + 1;
pub const DEADLINE_BLOCKS: u64 = 100;
pub const PRICE: u128 = 1_000;
/// The default `server_min_stake`.
pub const STAKE: u128 = 10_000_000;
/// Gas limit of the bench's signed submissions, and their fee at 0.025udeai a gas unit.
pub const TX_GAS_LIMIT: u64 = 20_000_000;
pub const TX_FEE: &str = "50000udeai";

/// One model in the state.
pub struct ModelState {
    pub prep: Prepared,
    pub model_id: u64,
    pub register_gas: u64,
    pub server: AccountKey,
    pub server_account_number: u64,
    /// Pending requests, all assigned to `server`, and their answers in the same order.
    pub requests: Vec<u64>,
    pub submissions: Vec<Any>,
    /// The same answers as signed txs (sequences 0, 1, …), the server paying the fee.
    pub txs: Vec<Vec<u8>>,
    /// Median proving time of one answer.
    pub prove_time: Duration,
}

pub struct Scenario {
    pub state: MemStore,
    pub models: Vec<ModelState>,
}

/// The context a request's proof is bound to (the module's `zk::request_context`).
pub fn context(request_id: u64, server: &AccountKey) -> String {
    deai_inference::zk::request_context(CHAIN_ID, request_id, &server.address().to_bech32())
}

/// Builds the state and every answer; `batch` requests per model.
pub fn build(router: &Router, preps: Vec<Prepared>, batch: usize) -> Scenario {
    assert!(batch > 0, "at least one request per model");
    let (owner, requester) = (world::owner(), world::requester());
    let servers: Vec<AccountKey> = (0..preps.len()).map(world::server).collect();
    let mut accounts = vec![owner.address(), requester.address()];
    accounts.extend(servers.iter().map(|k| k.address()));
    let mut state = world::genesis(&accounts);
    let mut models = Vec::new();
    for (i, (prep, server)) in preps.into_iter().zip(servers).enumerate() {
        let reg = prep.register_msg(&owner.address().to_bech32(), Some(coin(PRICE)));
        let (r, register_gas): (pb::MsgRegisterModelResponse, u64) =
            world::apply(router, &mut state, REGISTER_HEIGHT, &reg);
        let model_id = r.model_id;
        let _: (pb::MsgRegisterServerResponse, u64) = world::apply(
            router,
            &mut state,
            REGISTER_HEIGHT + 1,
            &pb::MsgRegisterServer {
                server: server.address().to_bech32(),
                model_id,
                stake: Some(coin(STAKE)),
            },
        );
        let l = &prep.keys.layout;
        let mut requests = Vec::with_capacity(batch);
        let mut inputs = Vec::with_capacity(batch);
        for j in 0..batch {
            let input = fixture::input(
                l.n_inputs,
                l.input_min,
                l.input_max,
                (i as u64) << 32 | j as u64,
            );
            let msg = pb::MsgRequestInference {
                requester: requester.address().to_bech32(),
                model_id,
                input: input.clone(),
                fee: Some(coin(PRICE)),
                mode: pb::VerificationMode::Zk as i32,
                k: 1,
                deadline_blocks: DEADLINE_BLOCKS,
            };
            let (r, _): (pb::MsgRequestInferenceResponse, u64) =
                world::apply(router, &mut state, REQUEST_HEIGHT, &msg);
            assert_eq!(r.servers, vec![server.address().to_bech32()], "assigned");
            requests.push(r.request_id);
            inputs.push(input);
        }
        let mut prove_times = Vec::with_capacity(batch);
        let mut submissions = Vec::with_capacity(batch);
        let mut txs = Vec::with_capacity(batch);
        let server_account_number = 2 + i as u64;
        for (seq, (id, input)) in requests.iter().zip(&inputs).enumerate() {
            let t = Instant::now();
            let (output, proof) = prep.prove(input, &context(*id, &server));
            prove_times.push(t.elapsed());
            let msg = any(&pb::MsgSubmitInference {
                server: server.address().to_bech32(),
                request_id: *id,
                output,
                proof,
            });
            txs.push(sign_tx(
                &server,
                vec![msg.clone()],
                &TxParams {
                    chain_id: CHAIN_ID.into(),
                    account_number: server_account_number,
                    sequence: seq as u64,
                    fee: Coins::parse(TX_FEE).expect("fee"),
                    gas_limit: TX_GAS_LIMIT,
                    memo: String::new(),
                    timeout_height: 0,
                },
            ));
            submissions.push(msg);
        }
        let prove_time = crate::stats::Summary::of(&prove_times)
            .expect("one proof at least")
            .median;
        models.push(ModelState {
            prep,
            model_id,
            register_gas,
            server,
            server_account_number,
            requests,
            submissions,
            txs,
            prove_time,
        });
    }
    Scenario { state, models }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::ModelCase;
    use crate::{dispute, measure};

    /// The whole path on a tiny model: state, batches as messages and as signed txs, the
    /// latency window and an adjudication, every answer accepted.
    #[test]
    fn a_tiny_model_goes_through_every_measurement() {
        let router = world::router();
        let tiny = ModelCase {
            name: "4-3-2",
            dims: &[4, 3, 2],
            spec: deai_zk::circuit::CircuitSpec::default(),
        };
        let sc = build(&router, vec![Prepared::new(tiny)], 3);
        let m = &sc.models[0];
        assert_eq!(m.requests.len(), 3);
        let msgs = measure::batch_msgs(&router, m, 0, &sc.state, "MemStore", 1);
        let txs = measure::batch_txs(&router, m, 0, &sc.state, "MemStore", 1);
        assert_eq!((msgs.n, txs.n), (3, 3));
        // The tx adds the ante's gas (tx bytes, signature, fee) to the message's.
        assert!(txs.max_gas > msgs.max_gas + 10 * 200);
        let rows = measure::submissions(&router, &sc.models, &sc.state, "MemStore", 1);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].gas, rows[1].gas,
            "cold and cached cost the same gas"
        );
        let window: Vec<bool> = measure::latency(&router, m, &sc.state)
            .into_iter()
            .map(|(_, r)| r.is_ok())
            .collect();
        assert_eq!(window, vec![true, true, true, false]);
        let cases = dispute::build(&router, &sc.state, &sc.models, &[0]);
        let adj = dispute::measure(&router, &sc.models, &cases, 1);
        assert!(adj[0].resolution.ends_with("server wins"));
        assert!(adj[1].resolution.ends_with("challenger wins"));
        assert!(adj[0].tx_gas > adj[0].gas);
    }
}
