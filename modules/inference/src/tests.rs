//! Test helpers: a store with funded users, the module run the way the app runs it, real
//! Groth16 keys and proofs from deai-zk's prover (a dev-dependency only).

use std::sync::OnceLock;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use prost::Name;

use deai_bank::BankRead;
use deai_framework::context::BlockInfo;
use deai_framework::{Event, MemStore, Module, TxError};
use deai_proto::inference::v1 as pb;
use deai_zk::circuit::CircuitSpec;
use deai_zk::prover::{self, Keys};
use deai_zk::{IoEncoding, Mode, OutputKind, QuantLayer, QuantizedModel};

use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code, proto_coin as coin};

pub(crate) const USERS: [u8; 6] = [1, 2, 3, 4, 5, 6];
pub(crate) const FUNDS: u128 = 1_000_000_000;
pub(crate) const CHAIN_ID: &str = "deai-test";
pub(crate) const STAKE: u128 = 10_000_000;

pub(crate) fn udeai(amount: u128) -> Option<ProtoCoin> {
    Some(coin(amount, "udeai"))
}

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(InferenceModule),
    ]
}

pub(crate) fn store() -> MemStore {
    init_all(&testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, 9))
}

pub(crate) fn init_all(app: &serde_json::Value) -> MemStore {
    try_init_all(app).unwrap()
}

pub(crate) fn try_init_all(app: &serde_json::Value) -> Result<MemStore, TxError> {
    testing::try_init_all(&modules(), app)
}

pub(crate) fn export_all(s: &MemStore) -> serde_json::Value {
    testing::export_all(&modules(), s)
}

pub(crate) fn block(height: u64) -> BlockInfo {
    BlockInfo {
        chain_id: CHAIN_ID.into(),
        ..testing::block(height)
    }
}

/// Decodes a proto message through the router and runs it the way the app does: on an
/// overlay applied only on success. Returns the response, the events and the gas used.
pub(crate) fn exec_full<P: prost::Message + Name>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<(Any, Vec<Event>, u64), TxError> {
    testing::exec(&InferenceModule, s, &block(height), 50_000_000, p)
}

pub(crate) fn exec_at<P: prost::Message + Name>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_full(s, height, p).map(|(_, e, _)| e)
}

pub(crate) fn exec<P: prost::Message + Name>(
    s: &mut MemStore,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_at(s, 10, p)
}

/// The decoded response of a successful message.
pub(crate) fn exec_response<P: prost::Message + Name, R: prost::Message + Default>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<R, TxError> {
    let (any, _, _) = exec_full(s, height, p)?;
    Ok(R::decode(any.value.as_slice()).unwrap())
}

/// Runs inference's `end_block` at `height`, as the app does.
pub(crate) fn end_block_at(s: &mut MemStore, height: u64) -> Vec<Event> {
    testing::end_block(&InferenceModule, s, &block(height))
}

pub(crate) fn query<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    path: &str,
    req: Req,
) -> Result<Res, TxError> {
    testing::query(&InferenceModule, s, path, req)
}

pub(crate) fn inference(c: u32) -> (&'static str, u32) {
    ("inference", c)
}

pub(crate) fn has_event(events: &[Event], kind: &str) -> bool {
    events.iter().any(|e| e.kind == kind)
}

pub(crate) fn balance(s: &MemStore, who: u8, denom: &str) -> u128 {
    s.balance(&addr(who), denom).unwrap()
}

pub(crate) fn pool(s: &MemStore) -> u128 {
    s.module_balance(COMMUNITY_POOL, "udeai").unwrap()
}

/// sha256 of a model's canonical quantized encoding (its `quantized_weights_sha256`).
pub(crate) fn weights_sha256(m: &QuantizedModel) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(m.canonical_bytes()).into()
}

/// The module account holds exactly Σ server stakes + Σ fees of unsettled requests + Σ
/// bonds of unsettled optimistic answers and of open challenges + Σ topic pools + Σ topic
/// worker and reputer stakes.
pub(crate) fn assert_reconciles(s: &MemStore) {
    let g = import_proto(&InferenceModule.export_genesis(s).unwrap()).unwrap();
    let unsettled = |id: u64| {
        g.requests.iter().any(|r| {
            r.id == id
                && [
                    pb::RequestState::Pending as i32,
                    pb::RequestState::ChallengeWindow as i32,
                    pb::RequestState::Disputed as i32,
                ]
                .contains(&r.state)
        })
    };
    let coins = g
        .servers
        .iter()
        .filter_map(|x| x.stake.clone())
        .chain(
            g.requests
                .iter()
                .filter(|r| unsettled(r.id))
                .filter_map(|r| r.fee.clone()),
        )
        .chain(
            g.submissions
                .iter()
                .filter(|x| unsettled(x.request_id))
                .filter_map(|x| x.bond.clone()),
        )
        .chain(
            g.challenges
                .iter()
                .filter(|c| c.state == pb::ChallengeState::Open as i32)
                .filter_map(|c| c.bond.clone()),
        )
        .chain(g.topics.iter().filter_map(|t| t.pool.clone()))
        .chain(g.topic_workers.iter().filter_map(|w| w.stake.clone()))
        .chain(g.reputers.iter().filter_map(|r| r.stake.clone()));
    testing::assert_holds(coins, |denom| {
        s.module_balance(MODULE_ACCOUNT, denom).unwrap()
    });
}

/// A deterministic quantized MLP with int8 weights (SplitMix64), activations kept small.
pub(crate) fn qmodel(dims: &[usize], seed: u64) -> QuantizedModel {
    let mut state = seed;
    let mut next = move |lo: i64, hi: i64| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        lo + ((z ^ (z >> 31)) % ((hi - lo + 1) as u64)) as i64
    };
    let mut layers = Vec::new();
    for (l, w) in dims.windows(2).enumerate() {
        let (n_in, n_out) = (w[0], w[1]);
        let last = l + 2 == dims.len();
        layers.push(QuantLayer {
            n_in,
            n_out,
            weight: (0..n_in * n_out).map(|_| next(-127, 127)).collect(),
            bias: (0..n_out).map(|_| next(-2000, 2000)).collect(),
            shift: if last { 0 } else { 8 },
        });
    }
    QuantizedModel {
        layers,
        input_min: 0,
        input_max: 15,
        weight_bits: 8,
        input_frac_bits: 0,
        output_frac_bits: 0,
    }
}

/// A model and its keys (set up once per process).
pub(crate) struct Fixture {
    pub model: QuantizedModel,
    pub keys: Keys,
}

fn setup(dims: &[usize], seed: u64, spec: CircuitSpec) -> Fixture {
    let model = qmodel(dims, seed);
    let keys = prover::setup(&model, spec).unwrap();
    Fixture { model, keys }
}

/// Public mode, 4-3-2, logits.
pub(crate) fn fx_a() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| setup(&[4, 3, 2], 1, CircuitSpec::default()))
}

/// Another public model with the same architecture: fx_a's with one bias of the last layer
/// changed by 1, so another key, and outputs that differ from fx_a's by 1 in one logit
/// (inside fx_a's declared ranges: only the pairing tells them apart).
pub(crate) fn fx_b() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let mut model = qmodel(&[4, 3, 2], 1);
        if let Some(last) = model.layers.last_mut() {
            last.bias[1] += 1;
        }
        let keys = prover::setup(&model, CircuitSpec::default()).unwrap();
        Fixture { model, keys }
    })
}

/// Private mode, 4-3-2, argmax, packed.
pub(crate) fn fx_private() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        setup(
            &[4, 3, 2],
            3,
            CircuitSpec {
                mode: Mode::Private,
                output: OutputKind::Argmax,
                encoding: IoEncoding::Packed,
            },
        )
    })
}

fn to_pb_output(o: OutputKind) -> i32 {
    match o {
        OutputKind::Logits => pb::OutputKind::Logits as i32,
        OutputKind::Argmax => pb::OutputKind::Argmax as i32,
    }
}

fn to_pb_encoding(e: IoEncoding) -> i32 {
    match e {
        IoEncoding::Plain => pb::IoEncoding::Plain as i32,
        IoEncoding::Packed => pb::IoEncoding::Packed as i32,
    }
}

/// MsgRegisterModel of a fixture, as `deai-worker zk-setup`'s key directory describes it.
pub(crate) fn register_msg(owner: u8, fx: &Fixture, price: u128) -> pb::MsgRegisterModel {
    let l = &fx.keys.layout;
    let mut arch: Vec<u32> = vec![fx.model.n_inputs() as u32];
    arch.extend(fx.model.layers.iter().map(|x| x.n_out as u32));
    let (zk_mode, commitment) = match l.mode {
        Mode::Public => (pb::ZkMode::Public as i32, Vec::new()),
        Mode::Private => (
            pb::ZkMode::Private as i32,
            hex::decode(l.commitment.as_ref().unwrap()).unwrap(),
        ),
    };
    pb::MsgRegisterModel {
        owner: addr(owner).to_bech32(),
        name: "mlp-4-3-2".into(),
        architecture: arch,
        weights_sha256: vec![1; 32],
        quantized_weights_sha256: weights_sha256(&fx.model).to_vec(),
        zk_mode,
        verifying_key: fx.keys.vk_bytes().unwrap(),
        weight_commitment: commitment,
        input_min: l.input_min,
        input_max: l.input_max,
        input_frac_bits: l.input_frac_bits,
        circuit: Some(pb::CircuitLayout {
            output: to_pb_output(l.output),
            encoding: to_pb_encoding(l.encoding),
            logit_bounds: l
                .logit_bounds
                .iter()
                .map(|(lo, hi)| pb::LogitBound { lo: *lo, hi: *hi })
                .collect(),
        }),
        price: udeai(price),
    }
}

/// Registers a fixture's model; returns its id.
pub(crate) fn register_model(s: &mut MemStore, owner: u8, fx: &Fixture, price: u128) -> u64 {
    let r: pb::MsgRegisterModelResponse =
        exec_response(s, 5, register_msg(owner, fx, price)).unwrap();
    r.model_id
}

pub(crate) fn register_server(s: &mut MemStore, who: u8, model_id: u64, stake: u128) {
    exec_at(
        s,
        6,
        pb::MsgRegisterServer {
            server: addr(who).to_bech32(),
            model_id,
            stake: udeai(stake),
        },
    )
    .unwrap();
}

pub(crate) fn request_msg(
    requester: u8,
    model_id: u64,
    input: &[i64],
    fee: u128,
) -> pb::MsgRequestInference {
    pb::MsgRequestInference {
        requester: addr(requester).to_bech32(),
        model_id,
        input: input.to_vec(),
        fee: udeai(fee),
        mode: pb::VerificationMode::Zk as i32,
        k: 1,
        deadline_blocks: 20,
    }
}

/// A proof of `fx`'s inference on `input`, bound to request `id` answered by `server`.
pub(crate) fn prove(
    fx: &Fixture,
    input: &[i64],
    request_id: u64,
    server: u8,
) -> (Vec<i64>, Vec<u8>) {
    let ctx = zk::request_context(CHAIN_ID, request_id, &addr(server).to_bech32());
    let out = prover::prove(
        &fx.keys,
        &fx.model,
        input,
        deai_zk::request_binding(ctx.as_bytes()),
    )
    .unwrap();
    (out.statement.output, out.proof)
}

pub(crate) fn submit_msg(
    server: u8,
    request_id: u64,
    output: Vec<i64>,
    proof: Vec<u8>,
) -> pb::MsgSubmitInference {
    pb::MsgSubmitInference {
        server: addr(server).to_bech32(),
        request_id,
        output,
        proof,
    }
}

/// Every entry of a store, to compare two states.
pub(crate) fn dump(s: &MemStore) -> Vec<(Vec<u8>, Vec<u8>)> {
    use deai_framework::StateRead;
    s.scan(&[], None, false, usize::MAX).unwrap()
}
