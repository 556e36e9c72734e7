//! Test helpers (a temp store with auth, bank and training, messages run as the app runs
//! them), and the tests of params, tasks and genesis.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use prost::Name;
use sha2::{Digest, Sha256};

use deai_bank::BankRead;
use deai_framework::{Event, MemStore, Module, TxError};
use deai_proto::training::v1 as pb;

use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code, prev_hash};

pub(crate) const USERS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const FUNDS: u128 = 1_000_000_000;
pub(crate) const AUTHORITY: u8 = 9;
pub(crate) const POOL: u128 = 3_000_000;
pub(crate) const EMISSION: u128 = 1_000_000;
pub(crate) const MIN_STAKE: u128 = 1_000;

pub(crate) fn coin(amount: u128) -> ProtoCoin {
    testing::proto_coin(amount, "udeai")
}

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(TrainingModule),
    ]
}

pub(crate) fn store() -> MemStore {
    init_all(&testing::funded_genesis(
        MODULE_NAME,
        &USERS,
        FUNDS,
        AUTHORITY,
    ))
}

pub(crate) fn init_all(app: &serde_json::Value) -> MemStore {
    testing::try_init_all(&modules(), app).unwrap()
}

pub(crate) fn export_all(s: &MemStore) -> serde_json::Value {
    testing::export_all(&modules(), s)
}

/// Runs a message at block `height` the way the app does: on an overlay applied only on
/// success.
pub(crate) fn exec_at<P: prost::Message + Name>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_full(s, height, p).map(|(_, events)| events)
}

/// [`exec_at`], with the message's response.
pub(crate) fn exec_full<P: prost::Message + Name>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<(Any, Vec<Event>), TxError> {
    let block = testing::block(height);
    testing::exec(&TrainingModule, s, &block, 10_000_000, p).map(|(r, events, _)| (r, events))
}

/// The decoded response of a message.
pub(crate) fn exec_resp<P: prost::Message + Name, R: prost::Message + Default>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<R, TxError> {
    let (any, _) = exec_full(s, height, p)?;
    Ok(R::decode(any.value.as_slice()).unwrap())
}

/// Runs training's `end_block` at `height`, as the app does (its writes applied on success).
pub(crate) fn end_block_at(s: &mut MemStore, height: u64) -> Vec<Event> {
    testing::end_block(&TrainingModule, s, &testing::block(height))
}

/// Runs `end_block` at every height of `from..=to`; returns the events.
pub(crate) fn blocks(s: &mut MemStore, from: u64, to: u64) -> Vec<Event> {
    (from..=to).flat_map(|h| end_block_at(s, h)).collect()
}

pub(crate) fn query<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    path: &str,
    req: Req,
) -> Result<Res, TxError> {
    testing::query(&TrainingModule, s, path, req)
}

pub(crate) fn training(c: u32) -> (&'static str, u32) {
    ("training", c)
}

pub(crate) fn balance(s: &MemStore, who: u8) -> u128 {
    s.balance(&addr(who), "udeai").unwrap()
}

/// The module account holds exactly Σ pools + Σ stakes + Σ unbonding + Σ bonds of pending
/// audits; and genesis round-trips.
pub(crate) fn assert_reconciles(s: &MemStore) {
    let exported = TrainingModule.export_genesis(s).unwrap();
    let g = import_proto(&exported).unwrap();
    let coins = g
        .tasks
        .iter()
        .filter_map(|t| t.pool.clone())
        .chain(g.neurons.iter().filter_map(|n| n.stake.clone()))
        .chain(g.unbonding.iter().filter_map(|e| e.amount.clone()))
        .chain(
            g.audits
                .iter()
                .filter(|a| a.state == pb::AuditState::Pending as i32)
                .filter_map(|a| a.bond.clone()),
        );
    testing::assert_holds(coins, |denom| {
        s.module_balance(MODULE_ACCOUNT, denom).unwrap()
    });
}

pub(crate) fn base_spec_bytes() -> Vec<u8> {
    br#"{"kind":"train","model":"mlp"}"#.to_vec()
}

/// tempo 20, W 3, A 4: at round start S, update commits in [S, S+11), update reveals in
/// [S+11, S+14), weight commits in [S+14, S+17), weight reveals in [S+17, S+20), the epoch
/// at the end of S+19; the aggregate of the round in [S+20, S+24).
pub(crate) fn spec() -> pb::TaskSpec {
    let base = base_spec_bytes();
    pb::TaskSpec {
        base_spec_sha256: Sha256::digest(&base).to_vec(),
        base_spec: base,
        dataset_sha256: vec![7; 32],
        dataset_uri: "https://data.example/set.bin".into(),
        tempo: 20,
        reveal_window: 3,
        aggregate_window: 4,
        max_neurons: 8,
        shard_count: 4,
        yuma: Some(pb::YumaParams {
            kappa_u16: 32767,
            bonds_moving_average: 900_000,
            bonds_penalty_u16: 65535,
            yuma3: false,
            liquid_alpha: false,
            alpha_low_u16: 45875,
            alpha_high_u16: 58982,
            alpha_sigmoid_steepness: 1000,
            max_allowed_validators: 128,
        }),
        min_trainer_stake: Some(coin(MIN_STAKE)),
        min_validator_stake: Some(coin(MIN_STAKE)),
        emission_per_tempo: Some(coin(EMISSION)),
    }
}

pub(crate) fn create_msg(creator: u8, spec: pb::TaskSpec, pool: u128) -> pb::MsgCreateTask {
    pb::MsgCreateTask {
        creator: addr(creator).to_bech32(),
        spec: Some(spec),
        reward_pool: Some(coin(pool)),
    }
}

/// Creates the default task at `height` (by user 8); returns its id.
pub(crate) fn create_task_at(s: &mut MemStore, height: u64) -> u64 {
    let r: pb::MsgCreateTaskResponse = exec_resp(s, height, create_msg(8, spec(), POOL)).unwrap();
    r.task_id
}

pub(crate) fn register_msg(
    owner: u8,
    task: u64,
    role: pb::Role,
    stake: u128,
) -> pb::MsgRegisterNeuron {
    pb::MsgRegisterNeuron {
        owner: addr(owner).to_bech32(),
        task_id: task,
        role: role as i32,
        stake: Some(coin(stake)),
    }
}

pub(crate) fn register(s: &mut MemStore, height: u64, owner: u8, task: u64, role: pb::Role) -> u32 {
    let r: pb::MsgRegisterNeuronResponse =
        exec_resp(s, height, register_msg(owner, task, role, MIN_STAKE)).unwrap();
    r.uid
}

pub(crate) fn get_task(s: &MemStore, id: u64) -> pb::Task {
    s.get_task(id).unwrap().unwrap()
}

pub(crate) fn pool_of(s: &MemStore, id: u64) -> u128 {
    get_task(s, id).pool.unwrap().amount.parse().unwrap()
}

#[test]
fn create_task_escrows_the_pool_and_starts_round_zero() {
    let mut s = store();
    let (any, events) = exec_full(&mut s, 10, create_msg(8, spec(), POOL)).unwrap();
    let id = pb::MsgCreateTaskResponse::decode(any.value.as_slice())
        .unwrap()
        .task_id;
    assert_eq!(id, 1);
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.training.v1.EventTaskCreated"));
    assert_eq!(balance(&s, 8), FUNDS - POOL);
    let t = get_task(&s, 1);
    assert_eq!(
        (t.round, t.round_start, t.state),
        (0, 10, pb::TaskState::Active as i32)
    );
    assert_eq!(t.seed, task_seed(1, &prev_hash(10)).to_vec());
    let sp = spec();
    assert_eq!(
        t.lineage_head,
        lineage::genesis(1, &sp.base_spec_sha256, &sp.dataset_sha256).to_vec()
    );
    // The record is stored without the spec bytes; the query shows them.
    assert!(t.spec.as_ref().unwrap().base_spec.is_empty());
    let q: pb::QueryTaskResponse = query(
        &s,
        "/deai.training.v1.Query/Task",
        pb::QueryTaskRequest { id: 1 },
    )
    .unwrap();
    assert_eq!(q.task.unwrap().spec.unwrap().base_spec, base_spec_bytes());
    let r = s.get_round(1, 0).unwrap().unwrap();
    assert!(r.base_ready && !r.closed && r.base_hash.is_empty());
    assert_reconciles(&s);
}

#[test]
fn create_task_rejections() {
    let mut s = store();
    type F = fn(&mut pb::TaskSpec);
    let cases: Vec<(F, u32)> = vec![
        (|p| p.base_spec = vec![], ERR_SPEC_SIZE),
        (|p| p.base_spec = vec![b' '; 16 * 1024 + 1], ERR_SPEC_SIZE),
        (|p| p.base_spec_sha256 = vec![0; 32], ERR_SPEC_HASH_MISMATCH),
        (|p| p.base_spec_sha256 = vec![0; 31], ERR_BAD_HASH_LENGTH),
        (
            |p| {
                p.base_spec = b"[1]".to_vec();
                p.base_spec_sha256 = Sha256::digest(b"[1]").to_vec();
            },
            ERR_INVALID_SPEC,
        ),
        (|p| p.dataset_sha256 = vec![], ERR_BAD_HASH_LENGTH),
        (|p| p.dataset_uri = String::new(), ERR_BAD_URI),
        (|p| p.tempo = 5, ERR_INVALID_SPEC),
        (|p| p.tempo = 200_000, ERR_INVALID_SPEC),
        (|p| p.tempo = 14, ERR_INVALID_SPEC), // 4 + 9 + 1 = 14: tempo must exceed it
        (|p| p.reveal_window = 0, ERR_INVALID_SPEC),
        (|p| p.aggregate_window = 0, ERR_INVALID_SPEC),
        (|p| p.max_neurons = 1, ERR_INVALID_SPEC),
        (|p| p.max_neurons = 257, ERR_INVALID_SPEC),
        (|p| p.shard_count = 0, ERR_INVALID_SPEC),
        (|p| p.yuma = None, ERR_INVALID_SPEC),
        (
            |p| p.yuma.as_mut().unwrap().kappa_u16 = 70_000,
            ERR_INVALID_SPEC,
        ),
        (
            |p| p.yuma.as_mut().unwrap().max_allowed_validators = 0,
            ERR_INVALID_SPEC,
        ),
        (
            |p| p.yuma.as_mut().unwrap().alpha_low_u16 = 60_000,
            ERR_INVALID_SPEC,
        ),
        (
            |p| p.yuma.as_mut().unwrap().bonds_moving_average = 1_000_001,
            ERR_INVALID_SPEC,
        ),
        (|p| p.min_trainer_stake = None, ERR_INVALID_SPEC),
        (|p| p.min_validator_stake = Some(coin(0)), ERR_ZERO_AMOUNT),
        (|p| p.emission_per_tempo = Some(coin(0)), ERR_ZERO_AMOUNT),
        (
            |p| {
                p.emission_per_tempo = Some(ProtoCoin {
                    denom: "uatom".into(),
                    amount: "5".into(),
                })
            },
            ERR_DENOM_MISMATCH,
        ),
    ];
    for (i, (f, want)) in cases.into_iter().enumerate() {
        let mut sp = spec();
        f(&mut sp);
        assert_eq!(
            code(exec_at(&mut s, 10, create_msg(8, sp, POOL))),
            training(want),
            "case {i}"
        );
    }
    assert_eq!(
        code(exec_at(&mut s, 10, create_msg(8, spec(), 999_999))),
        training(ERR_POOL_TOO_LOW)
    );
    let mut m = create_msg(8, spec(), POOL);
    m.reward_pool = Some(ProtoCoin {
        denom: "uatom".into(),
        amount: POOL.to_string(),
    });
    assert_eq!(code(exec_at(&mut s, 10, m)), training(ERR_DENOM_MISMATCH));
    assert_eq!(
        code(exec_at(&mut s, 10, create_msg(8, spec(), FUNDS + 1))),
        ("sdk", deai_framework::sdk::INSUFFICIENT_FUNDS)
    );
    assert_eq!(balance(&s, 8), FUNDS);
    assert_reconciles(&s);
}

#[test]
fn params_update_by_authority_only_and_validated() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.max_tasks_per_block = 3;
    let msg = |who: u8, p: pb::Params| pb::MsgUpdateParams {
        authority: addr(who).to_bech32(),
        params: Some(p),
    };
    assert_eq!(code(exec_at(&mut s, 10, msg(1, p.clone()))), ("gov", 13));
    exec_at(&mut s, 10, msg(AUTHORITY, p)).unwrap();
    let got: pb::QueryParamsResponse = query(
        &s,
        "/deai.training.v1.Query/Params",
        pb::QueryParamsRequest {},
    )
    .unwrap();
    assert_eq!(got.params.unwrap().max_tasks_per_block, 3);
    assert_eq!(got.authority, addr(AUTHORITY).to_bech32());
    let cases: Vec<fn(&mut pb::Params)> = vec![
        |p| p.slash_fraction = "1.5".into(),
        |p| p.auditor_reward_fraction = "x".into(),
        |p| p.max_spec_bytes = MAX_SPEC_BYTES_CAP + 1,
        |p| p.max_neurons_limit = 1,
        |p| p.min_tempo = 100,
        |p| p.min_reward_pool = None,
        |p| p.max_salt_bytes = 8,
        |p| p.max_checkpoints = 1,
        |p| {
            p.audit_bond = Some(ProtoCoin {
                denom: "uatom".into(),
                amount: "1".into(),
            })
        },
    ];
    for f in cases {
        let mut p = Params::default().to_proto();
        p.max_tempo = 50;
        f(&mut p);
        assert_eq!(
            code(exec_at(&mut s, 10, msg(AUTHORITY, p))),
            training(ERR_INVALID_PARAMS)
        );
    }
}

#[test]
fn default_genesis_round_trips_and_creates_the_module_account() {
    let s = store();
    let exported = export_all(&s);
    assert_eq!(
        exported["training"]["params"]["slash_fraction"],
        "0.100000000000000000"
    );
    let again = init_all(&exported);
    assert_eq!(export_all(&again), exported);
    use deai_auth::AuthRead;
    assert!(s.module_account(MODULE_ACCOUNT).unwrap().is_some());
    assert!(TrainingModule
        .init_genesis(&mut MemStore::new(), &serde_json::json!({"bogus": 1}))
        .is_err());
}

use prost::Message as _;
