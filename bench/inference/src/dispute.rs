//! Adjudication: the optimistic dispute's on-chain re-execution. For a model, on a clone of
//! the bench state: an optimistic request at height 10, the server's answer (honest, or
//! with its first logit off by one) at 11 with its bond, the requester's challenge at 12,
//! and then MsgAdjudicate at 13 carrying the model's canonical quantized weights
//! (`QuantizedModel::canonical_bytes`, whose sha256 the model registered).

use cosmos_sdk_proto::Any;

use deai_bench_common::exec::repeat;
use deai_client::txbuilder::{sign_tx, TxParams};
use deai_framework::{Coins, MemStore, Router, StateRead};
use deai_proto::inference::v1 as pb;
use deaid::tx::ante::AnteEnv;
use deaid::tx::exec::{run_tx, ExecMode};
use deaid::tx::fee::GasPrice;
use deaid::tx::sigcache::SigCache;

use crate::measure::WARM_UP;
use crate::scenario::{ModelState, DEADLINE_BLOCKS, PRICE, REQUEST_HEIGHT, SUBMIT_HEIGHT};
use crate::stats::Summary;
use crate::world::{self, any, coin, CHAIN_ID};

pub const CHALLENGE_HEIGHT: u64 = SUBMIT_HEIGHT + 1;
pub const ADJUDICATE_HEIGHT: u64 = SUBMIT_HEIGHT + 2;

/// A disputed request, ready to adjudicate.
pub struct DisputeCase {
    pub model: usize,
    pub server_lied: bool,
    /// The output the server posted.
    pub posted: Vec<i64>,
    pub state: MemStore,
    pub msg: Any,
    /// The same message as a tx signed by the requester (its first).
    pub tx: Vec<u8>,
}

/// One dispute per (model, honest or lying server).
pub fn build(
    router: &Router,
    base: &MemStore,
    models: &[ModelState],
    which: &[usize],
) -> Vec<DisputeCase> {
    let params = deai_inference::Params::default();
    let requester = world::requester();
    let mut out = Vec::new();
    for &i in which {
        let m = &models[i];
        for server_lied in [false, true] {
            let mut s = base.clone();
            let input =
                crate::fixture::input(m.prep.keys.layout.n_inputs, 0, 255, 7_000 + i as u64);
            let (r, _): (pb::MsgRequestInferenceResponse, u64) = world::apply(
                router,
                &mut s,
                REQUEST_HEIGHT,
                &pb::MsgRequestInference {
                    requester: requester.address().to_bech32(),
                    model_id: m.model_id,
                    input: input.clone(),
                    fee: Some(coin(PRICE)),
                    mode: pb::VerificationMode::Optimistic as i32,
                    k: 1,
                    deadline_blocks: DEADLINE_BLOCKS,
                },
            );
            let mut output = m.prep.model.infer(&input).expect("reference output");
            if server_lied {
                output[0] += 1;
            }
            let _: (pb::MsgSubmitInferenceResponse, u64) = world::apply(
                router,
                &mut s,
                SUBMIT_HEIGHT,
                &pb::MsgSubmitInference {
                    server: m.server.address().to_bech32(),
                    request_id: r.request_id,
                    output: output.clone(),
                    proof: Vec::new(),
                },
            );
            let _: (pb::MsgChallengeResponse, u64) = world::apply(
                router,
                &mut s,
                CHALLENGE_HEIGHT,
                &pb::MsgChallenge {
                    challenger: requester.address().to_bech32(),
                    request_id: r.request_id,
                    bond: Some(params.challenge_bond.to_proto()),
                },
            );
            let msg = any(&pb::MsgAdjudicate {
                sender: requester.address().to_bech32(),
                request_id: r.request_id,
                quantized_weights: m.prep.model.canonical_bytes(),
            });
            let tx = sign_tx(
                &requester,
                vec![msg.clone()],
                &TxParams {
                    chain_id: CHAIN_ID.into(),
                    account_number: 1,
                    sequence: 0,
                    fee: Coins::parse("250000udeai").expect("fee"),
                    gas_limit: 10_000_000,
                    memo: String::new(),
                    timeout_height: 0,
                },
            );
            out.push(DisputeCase {
                model: i,
                server_lied,
                posted: output,
                state: s,
                msg,
                tx,
            });
        }
    }
    out
}

/// What one adjudication costs.
#[derive(Clone, Debug)]
pub struct AdjudicateRow {
    pub model: usize,
    pub server_lied: bool,
    pub resolution: String,
    pub weights_bytes: usize,
    pub macs: u64,
    /// The message's gas (the MAC schedule plus the store's).
    pub gas: u64,
    /// The signed tx's gas used: ante (10 gas per tx byte, the signature, the fee) included.
    pub tx_gas: u64,
    pub tx_bytes: usize,
    pub time: Summary,
    /// deai-zk's integer reference inference alone.
    pub infer: Summary,
}

pub fn measure(
    router: &Router,
    models: &[ModelState],
    cases: &[DisputeCase],
    iterations: usize,
) -> Vec<AdjudicateRow> {
    cases
        .iter()
        .map(|c| {
            let m = &models[c.model];
            let what = format!("adjudicate {} (lied: {})", m.prep.case.name, c.server_lied);
            let (first, time) = repeat(&what, WARM_UP, iterations, || {
                world::run_msg(router, &c.state, ADJUDICATE_HEIGHT, &c.msg)
                    .map_err(|e| format!("{e:?}"))
            });
            let resp = <pb::MsgAdjudicateResponse as prost::Message>::decode(
                first.response.value.as_slice(),
            )
            .expect("response");
            let resolution = pb::Resolution::try_from(resp.resolution)
                .map_or("?".into(), |r| r.as_str_name().to_string());
            AdjudicateRow {
                model: c.model,
                server_lied: c.server_lied,
                resolution: format!(
                    "{resolution}: {} wins",
                    winner(&resp.recomputed_output, &c.posted)
                ),
                weights_bytes: m.prep.model.canonical_bytes().len(),
                macs: crate::fixture::macs(&m.prep.model),
                gas: first.gas,
                tx_gas: tx_gas(router, &c.state, &c.tx),
                tx_bytes: c.tx.len(),
                time,
                infer: infer(m, iterations),
            }
        })
        .collect()
}

/// Who wins a re-execution: the server if the chain recomputed what it posted.
pub fn winner(recomputed: &[i64], posted: &[i64]) -> &'static str {
    if recomputed == posted {
        "server"
    } else {
        "challenger"
    }
}

/// The gas used by the signed MsgAdjudicate through deaid's FinalizeBlock path.
fn tx_gas(router: &Router, state: &dyn StateRead, tx: &[u8]) -> u64 {
    let price = GasPrice::default_price();
    let cache = SigCache::new(1);
    let env = AnteEnv {
        chain_id: CHAIN_ID,
        min_gas_price: &price,
        sig_cache: &cache,
        simulate_gas_limit: deaid::tx::ante::SIMULATE_GAS_CAP,
        router: None,
    };
    let out = run_tx(
        router,
        &env,
        state,
        tx,
        ExecMode::Finalize,
        &world::block(ADJUDICATE_HEIGHT),
    );
    assert!(
        out.is_ok(),
        "adjudication tx: code {} ({}): {}",
        out.code,
        out.codespace,
        out.log
    );
    out.gas_used
}

/// The integer reference inference alone, timed.
fn infer(m: &ModelState, iterations: usize) -> Summary {
    let x = crate::fixture::input(m.prep.keys.layout.n_inputs, 0, 255, 99);
    let mut times = Vec::with_capacity(iterations);
    for k in 0..iterations.max(1) + WARM_UP {
        let t = std::time::Instant::now();
        std::hint::black_box(m.prep.model.infer(&x).expect("infer"));
        if k >= WARM_UP {
            times.push(t.elapsed());
        }
    }
    Summary::of(&times).expect("runs")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_server_wins_only_with_the_recomputed_output() {
        assert_eq!(super::winner(&[1, 2], &[1, 2]), "server");
        assert_eq!(super::winner(&[1, 2], &[1, 3]), "challenger");
        assert_eq!(super::winner(&[], &[1]), "challenger");
    }
}
