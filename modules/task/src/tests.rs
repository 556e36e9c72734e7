//! Test harness (a temp store with auth, bank, staking, training, attest and task; two
//! bonded validators and a delegator; messages run through the full router as the app runs
//! them) and the tests of proposing, depositing, voting and params.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use cosmos_sdk_proto::Any;
use prost::Name;
use sha2::{Digest, Sha256};

use deai_attest::AttestRead;
use deai_bank::BankRead;
use deai_framework::context::BlockInfo;
use deai_framework::{Ctx, Event, GasMeter, MemStore, Module, Router, TxError};
use deai_proto::attest::v1 as apb;
use deai_proto::task::v1 as pb;
use deai_proto::training::v1 as tpb;
use deai_staking::address::val_to_bech32;
use deai_staking::keeper::pubkey_any;
use deai_staking::StakingModule;

use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code};

pub(crate) const USERS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const FUNDS: u128 = 1_000_000_000_000;
pub(crate) const AUTHORITY: u8 = 9;
pub(crate) const M: u128 = 1_000_000;
pub(crate) const POOL: u128 = 3_000_000;
pub(crate) const MIN_DEPOSIT: u128 = 1_000;
/// Deposit period 10 blocks, voting 20 blocks.
pub(crate) const DEPOSIT_PERIOD: u64 = 10;
pub(crate) const VOTING: u64 = 20;

pub(crate) fn coin(amount: u128) -> ProtoCoin {
    testing::proto_coin(amount, "udeai")
}

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    let settler = deai_attest::Settler::new(
        Arc::new(deai_attest::NoHooks),
        Arc::new(deai_staking::NoHooks),
    );
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(StakingModule::default()),
        Box::new(deai_training::TrainingModule),
        Box::new(deai_attest::AttestModule::new(settler)),
        Box::new(TaskModule),
    ]
}

pub(crate) fn router() -> Router {
    let mut r = Router::new();
    for m in modules() {
        m.register(&mut r);
    }
    r
}

pub(crate) fn task_params() -> serde_json::Value {
    serde_json::json!({
        "min_deposit": [{"denom": "udeai", "amount": MIN_DEPOSIT.to_string()}],
        "max_deposit_period": DEPOSIT_PERIOD.to_string(),
        "voting_period": VOTING.to_string(),
        "quorum": "0.334000000000000000",
        "threshold": "0.500000000000000000",
        "veto_threshold": "0.334000000000000000",
        "sample_rows": 64,
        "max_title_len": 140,
        "max_description_len": 10240,
        "max_eval_spec_bytes": 1024
    })
}

/// The app genesis: users funded, task's authority user 9, attest allowing `max_jobs`
/// pending jobs with a 15-block window.
pub(crate) fn genesis(max_jobs: u32) -> serde_json::Value {
    let mut app = testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, AUTHORITY);
    app[MODULE_NAME]["params"] = task_params();
    app["staking"] = serde_json::json!({});
    app["training"] = serde_json::json!({});
    app["attest"] = serde_json::json!({"params": {
        "attestation_window": "15", "max_pending_jobs": max_jobs,
        "disagreement_slash_fraction": "0.01", "max_spec_bytes": 65536}});
    app
}

pub(crate) fn val(b: u8) -> String {
    val_to_bech32(&addr(b))
}

#[allow(deprecated)]
fn create_validator(op: u8, amount: u128) -> spb::MsgCreateValidator {
    spb::MsgCreateValidator {
        description: Some(spb::Description {
            moniker: format!("v{op}"),
            ..Default::default()
        }),
        commission: Some(spb::CommissionRates {
            rate: "0.1".into(),
            max_rate: "0.2".into(),
            max_change_rate: "0.01".into(),
        }),
        min_self_delegation: "1".into(),
        delegator_address: String::new(),
        validator_address: val(op),
        pubkey: Some(pubkey_any(&[op + 10; 32])),
        value: Some(coin(amount)),
    }
}

/// Validators 1 (60 M) and 2 (40 M), user 3 delegating 20 M to validator 1: 120 M bonded
/// (validator 1 has 80 M of power).
pub(crate) fn store_with(max_jobs: u32) -> MemStore {
    let mut s = testing::try_init_all(&modules(), &genesis(max_jobs)).unwrap();
    let b = testing::block(1);
    let st = StakingModule::default();
    testing::exec(&st, &mut s, &b, 100_000_000, create_validator(1, 60 * M)).unwrap();
    testing::exec(&st, &mut s, &b, 100_000_000, create_validator(2, 40 * M)).unwrap();
    let d = spb::MsgDelegate {
        delegator_address: addr(3).to_bech32(),
        validator_address: val(1),
        amount: Some(coin(20 * M)),
    };
    testing::exec(&st, &mut s, &b, 100_000_000, d).unwrap();
    testing::end_block(&st, &mut s, &b);
    s
}

pub(crate) fn store() -> MemStore {
    store_with(8)
}

pub(crate) fn blk(h: u64) -> BlockInfo {
    testing::block(h)
}

/// Runs a message at height `h` as the app does: decoded by the full router, on an overlay
/// applied only on success.
pub(crate) fn exec_full<P: prost::Message + Name>(
    s: &mut MemStore,
    h: u64,
    p: P,
) -> Result<(Any, Vec<Event>), TxError> {
    let r = router();
    let msg = r.decode(&Any {
        type_url: P::type_url(),
        value: p.encode_to_vec(),
    })?;
    let gas = GasMeter::new(1_000_000_000);
    let snap = s.clone();
    let b = blk(h);
    let mut ctx = Ctx::new(&snap, &gas, &b).with_router(&r);
    let res = msg.execute(&mut ctx)?;
    let (w, e) = ctx.finish();
    s.apply(w);
    Ok((res, e))
}

pub(crate) fn exec_at<P: prost::Message + Name>(
    s: &mut MemStore,
    h: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_full(s, h, p).map(|(_, e)| e)
}

/// task's end block at height `h`.
pub(crate) fn end_block_at(s: &mut MemStore, h: u64) -> Vec<Event> {
    testing::end_block(&TaskModule, s, &blk(h))
}

/// Reports a job outcome to the task module at height `h`, as the attest hooks do.
pub(crate) fn report(s: &mut MemStore, h: u64, job: &apb::Job) {
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let b = blk(h);
    let mut ctx = Ctx::new(&snap, &gas, &b);
    on_attested(&mut ctx, job).unwrap();
    let (w, _) = ctx.finish();
    s.apply(w);
}

/// The task's code-check job, settled with `hash` (or expired when None).
pub(crate) fn outcome(s: &MemStore, task_id: u64, hash: Option<[u8; 32]>) -> apb::Job {
    let t = task(s, task_id);
    let mut job = s.attest_job(t.attest_job_id).unwrap().unwrap();
    match hash {
        Some(h) => {
            job.state = apb::JobState::Settled as i32;
            job.result_hash = h.to_vec();
        }
        None => job.state = apb::JobState::Expired as i32,
    }
    job
}

pub(crate) fn query<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    path: &str,
    req: Req,
) -> Result<Res, TxError> {
    testing::query(&TaskModule, s, path, req)
}

pub(crate) fn task(s: &MemStore, id: u64) -> pb::Task {
    s.task_full(id).unwrap().unwrap()
}

pub(crate) fn bal(s: &MemStore, who: u8) -> u128 {
    s.balance(&addr(who), "udeai").unwrap()
}

pub(crate) fn module_bal(s: &MemStore) -> u128 {
    s.module_balance(MODULE_ACCOUNT, "udeai").unwrap()
}

pub(crate) fn supply(s: &MemStore) -> u128 {
    s.supply_of("udeai").unwrap()
}

/// The module account holds exactly Σ (pool + deposit) of the open tasks, and genesis
/// export → import → export is exact.
pub(crate) fn assert_reconciles(s: &MemStore) {
    let exported = TaskModule.export_genesis(s).unwrap();
    let g = import_proto(&exported).unwrap();
    let open = |t: &&pb::Task| {
        t.state == pb::TaskState::Deposit as i32 || t.state == pb::TaskState::Verifying as i32
    };
    let coins = g.tasks.iter().filter(open).flat_map(|t| {
        t.reward_pool
            .clone()
            .into_iter()
            .chain(t.total_deposit.clone())
    });
    testing::assert_holds(coins, |d| s.module_balance(MODULE_ACCOUNT, d).unwrap());
    let all = testing::export_all(&modules(), s);
    let s2 = testing::try_init_all(&modules(), &all).unwrap();
    assert_eq!(testing::export_all(&modules(), &s2), all);
}

pub(crate) fn base_spec_bytes() -> Vec<u8> {
    br#"{"kind":"train","model":"mlp"}"#.to_vec()
}

/// The training module's test spec (tempo 20, W 3, A 4, 8 neurons).
pub(crate) fn spec() -> tpb::TaskSpec {
    let base = base_spec_bytes();
    tpb::TaskSpec {
        base_spec_sha256: Sha256::digest(&base).to_vec(),
        base_spec: base,
        dataset_sha256: vec![7; 32],
        dataset_uri: "https://data.example/set.bin".into(),
        tempo: 20,
        reveal_window: 3,
        aggregate_window: 4,
        max_neurons: 8,
        shard_count: 4,
        yuma: Some(tpb::YumaParams {
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
        min_trainer_stake: Some(coin(1_000)),
        min_validator_stake: Some(coin(1_000)),
        emission_per_tempo: Some(coin(1_000_000)),
    }
}

pub(crate) fn evaluation() -> pb::EvaluationSpec {
    pb::EvaluationSpec {
        spec: br#"{"kind":"eval","split":"test"}"#.to_vec(),
        metric: "accuracy".into(),
        target: "0.9".into(),
    }
}

pub(crate) fn propose_msg(proposer: u8, deposit: u128) -> pb::MsgProposeTask {
    pb::MsgProposeTask {
        proposer: addr(proposer).to_bech32(),
        title: "MNIST MLP".into(),
        description: "Train a small MLP on MNIST.".into(),
        spec: Some(spec()),
        evaluation: Some(evaluation()),
        reward_pool: Some(coin(POOL)),
        initial_deposit: if deposit == 0 {
            vec![]
        } else {
            vec![coin(deposit)]
        },
    }
}

/// Proposes the default task by `proposer` at height `h`; returns its id.
pub(crate) fn propose(s: &mut MemStore, h: u64, proposer: u8, deposit: u128) -> u64 {
    let (any, _) = exec_full(s, h, propose_msg(proposer, deposit)).unwrap();
    pb::MsgProposeTaskResponse::decode(any.value.as_slice())
        .unwrap()
        .task_id
}

pub(crate) fn vote_msg(id: u64, voter: u8, o: pb::VoteOption) -> pb::MsgVoteTask {
    pb::MsgVoteTask {
        voter: addr(voter).to_bech32(),
        task_id: id,
        option: o as i32,
    }
}

pub(crate) fn deposit_msg(id: u64, who: u8, amount: u128) -> pb::MsgDepositTask {
    pb::MsgDepositTask {
        depositor: addr(who).to_bech32(),
        task_id: id,
        amount: vec![coin(amount)],
    }
}

pub(crate) fn task_err(c: u32) -> (&'static str, u32) {
    ("task", c)
}

use prost::Message as _;

#[test]
fn proposing_with_the_full_deposit_starts_voting_and_the_code_check() {
    let mut s = store();
    let before = bal(&s, 5);
    let id = propose(&mut s, 3, 5, MIN_DEPOSIT);
    assert_eq!(id, 1);
    let t = task(&s, id);
    assert_eq!(t.state, pb::TaskState::Verifying as i32);
    assert_eq!((t.voting_start, t.voting_end), (3, 3 + VOTING));
    assert_eq!(t.attestation, pb::AttestationStatus::Pending as i32);
    assert_eq!(t.description, "Train a small MLP on MNIST.");
    assert_eq!(bal(&s, 5), before - POOL - MIN_DEPOSIT);
    assert_eq!(module_bal(&s), POOL + MIN_DEPOSIT);
    // The job: kind TASK_CODE, requester task, subject the task, its spec the TaskCodeSpec.
    let job = s.attest_job(t.attest_job_id).unwrap().unwrap();
    assert_eq!(job.kind, apb::JobKind::TaskCode as i32);
    assert_eq!((job.requester.as_str(), job.subject_id), ("task", id));
    let cs: deai_attest::wire::TaskCodeSpec = serde_json::from_slice(&job.spec).unwrap();
    assert_eq!(cs.base_spec.as_bytes(), base_spec_bytes().as_slice());
    assert_eq!(
        cs.base_spec_sha256,
        hex::encode(Sha256::digest(base_spec_bytes()))
    );
    assert_eq!(cs.dataset_sha256, hex::encode([7u8; 32]));
    assert_eq!(cs.sample_rows, 64);
    assert_reconciles(&s);
}

#[test]
fn a_deposit_reaching_min_deposit_starts_voting() {
    let mut s = store();
    let id = propose(&mut s, 3, 5, 400);
    let t = task(&s, id);
    assert_eq!(t.state, pb::TaskState::Deposit as i32);
    assert_eq!((t.deposit_end, t.attest_job_id), (3 + DEPOSIT_PERIOD, 0));
    // Votes are refused in the deposit period.
    let r = exec_at(&mut s, 4, vote_msg(id, 1, pb::VoteOption::Yes));
    assert_eq!(code(r), task_err(ERR_NOT_IN_VOTING_PERIOD));
    exec_at(&mut s, 5, deposit_msg(id, 6, 300)).unwrap();
    assert_eq!(task(&s, id).state, pb::TaskState::Deposit as i32);
    assert_reconciles(&s);
    exec_at(&mut s, 6, deposit_msg(id, 6, 300)).unwrap();
    let t = task(&s, id);
    assert_eq!(t.state, pb::TaskState::Verifying as i32);
    assert_eq!(t.voting_end, 6 + VOTING);
    assert_eq!(t.total_deposit, vec![coin(1_000)]);
    assert_eq!(module_bal(&s), POOL + 1_000);
    let r: pb::QueryDepositsResponse = query(
        &s,
        "/deai.task.v1.Query/Deposits",
        pb::QueryDepositsRequest {
            task_id: id,
            pagination: None,
        },
    )
    .unwrap();
    let amounts: Vec<_> = r.deposits.iter().map(|d| d.amount.clone()).collect();
    assert_eq!(amounts.len(), 2);
    assert!(amounts.contains(&vec![coin(400)]) && amounts.contains(&vec![coin(600)]));
    // No more deposits once voting.
    let r = exec_at(&mut s, 7, deposit_msg(id, 6, 300));
    assert_eq!(code(r), task_err(ERR_NOT_IN_DEPOSIT_PERIOD));
    assert_reconciles(&s);
}

#[test]
fn bad_proposals_are_refused_with_clear_errors() {
    let mut s = store();
    type Edit = Box<dyn Fn(&mut pb::MsgProposeTask)>;
    let cases: Vec<(Edit, (&str, u32), &str)> = vec![
        (
            Box::new(|m| m.title = String::new()),
            task_err(ERR_INVALID_PROPOSAL),
            "title",
        ),
        (
            Box::new(|m| m.title = "x".repeat(141)),
            task_err(ERR_INVALID_PROPOSAL),
            "title is 141",
        ),
        (
            Box::new(|m| m.description = "x".repeat(10_241)),
            task_err(ERR_INVALID_PROPOSAL),
            "description is 10241",
        ),
        (
            Box::new(|m| m.spec = None),
            task_err(ERR_INVALID_PROPOSAL),
            "spec is required",
        ),
        (
            Box::new(|m| m.evaluation.as_mut().unwrap().spec = b"[1]".to_vec()),
            task_err(ERR_INVALID_PROPOSAL),
            "JSON object",
        ),
        (
            Box::new(|m| {
                m.evaluation.as_mut().unwrap().spec =
                    format!(r#"{{"a":"{}"}}"#, "x".repeat(1100)).into_bytes()
            }),
            task_err(ERR_INVALID_PROPOSAL),
            "at most 1024",
        ),
        (
            Box::new(|m| m.evaluation.as_mut().unwrap().metric = String::new()),
            task_err(ERR_INVALID_PROPOSAL),
            "metric",
        ),
        (
            Box::new(|m| m.evaluation.as_mut().unwrap().target = "-1".into()),
            task_err(ERR_INVALID_PROPOSAL),
            "target",
        ),
        (
            Box::new(|m| m.spec.as_mut().unwrap().base_spec_sha256 = vec![0; 32]),
            ("training", deai_training::ERR_SPEC_HASH_MISMATCH),
            "",
        ),
        (
            Box::new(|m| m.reward_pool = Some(coin(10))),
            ("training", deai_training::ERR_POOL_TOO_LOW),
            "",
        ),
        (
            Box::new(|m| m.initial_deposit = vec![testing::proto_coin(5, "uatom")]),
            task_err(ERR_INVALID_DEPOSIT),
            "uatom is not a deposit denom",
        ),
    ];
    for (i, (edit, want, text)) in cases.into_iter().enumerate() {
        let mut m = propose_msg(5, MIN_DEPOSIT);
        edit(&mut m);
        let e = exec_at(&mut s, 3, m).unwrap_err();
        assert_eq!((e.codespace, e.code), want, "case {i}: {}", e.log);
        assert!(e.log.contains(text), "case {i}: {}", e.log);
    }
    assert_eq!(module_bal(&s), 0);
    assert!(s.task_record(1).unwrap().is_none());
}

#[test]
fn a_refused_code_check_fails_the_proposal() {
    let mut s = store_with(1);
    propose(&mut s, 3, 5, MIN_DEPOSIT);
    let before = bal(&s, 6);
    let e = exec_at(&mut s, 3, propose_msg(6, MIN_DEPOSIT)).unwrap_err();
    assert_eq!(e.codespace, "attest", "{}", e.log);
    assert_eq!(bal(&s, 6), before);
    // Without the full deposit it waits; the deposit that reaches it fails likewise.
    let id = propose(&mut s, 3, 6, 10);
    let e = exec_at(&mut s, 4, deposit_msg(id, 7, MIN_DEPOSIT)).unwrap_err();
    assert_eq!(e.codespace, "attest");
    assert_eq!(task(&s, id).state, pb::TaskState::Deposit as i32);
    assert_reconciles(&s);
}

#[test]
fn votes_replace_and_are_checked() {
    let mut s = store();
    let id = propose(&mut s, 3, 5, MIN_DEPOSIT);
    let r = exec_at(&mut s, 4, vote_msg(id, 1, pb::VoteOption::Unspecified));
    assert_eq!(code(r), task_err(ERR_INVALID_VOTE));
    let r = exec_at(&mut s, 4, vote_msg(99, 1, pb::VoteOption::Yes));
    assert_eq!(code(r), task_err(ERR_TASK_NOT_FOUND));
    exec_at(&mut s, 4, vote_msg(id, 1, pb::VoteOption::No)).unwrap();
    exec_at(&mut s, 5, vote_msg(id, 1, pb::VoteOption::Yes)).unwrap();
    exec_at(&mut s, 5, vote_msg(id, 4, pb::VoteOption::Abstain)).unwrap();
    let r: pb::QueryVotesResponse = query(
        &s,
        "/deai.task.v1.Query/Votes",
        pb::QueryVotesRequest {
            task_id: id,
            pagination: None,
        },
    )
    .unwrap();
    let mine: Vec<_> = r
        .votes
        .iter()
        .map(|v| (v.voter.clone(), v.option))
        .collect();
    assert_eq!(mine.len(), 2);
    assert!(mine.contains(&(addr(1).to_bech32(), pb::VoteOption::Yes as i32)));
    assert_eq!(s.task_counts(id).unwrap(), (2, 1));
    // After voting_end no vote is taken, even before the tally ran.
    let r = exec_at(&mut s, 3 + VOTING + 1, vote_msg(id, 2, pb::VoteOption::Yes));
    assert_eq!(code(r), task_err(ERR_NOT_IN_VOTING_PERIOD));
    assert_reconciles(&s);
}

#[test]
fn only_the_authority_updates_params() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.voting_period = 7;
    let msg = |who: u8, p: &pb::Params| pb::MsgUpdateParams {
        authority: addr(who).to_bech32(),
        params: Some(p.clone()),
    };
    assert_eq!(code(exec_at(&mut s, 2, msg(1, &p))), ("gov", 13));
    exec_at(&mut s, 2, msg(AUTHORITY, &p)).unwrap();
    assert_eq!(s.task_params().unwrap().voting_period, 7);
    let mut bad = p.clone();
    bad.quorum = "1.5".into();
    assert_eq!(
        code(exec_at(&mut s, 2, msg(AUTHORITY, &bad))),
        task_err(ERR_INVALID_PARAMS)
    );
    bad = p.clone();
    bad.min_deposit = vec![];
    assert_eq!(
        code(exec_at(&mut s, 2, msg(AUTHORITY, &bad))),
        task_err(ERR_INVALID_PARAMS)
    );
    let r: pb::QueryParamsResponse =
        query(&s, "/deai.task.v1.Query/Params", pb::QueryParamsRequest {}).unwrap();
    assert_eq!(r.params.unwrap().voting_period, 7);
    assert_eq!(r.authority, addr(AUTHORITY).to_bech32());
}

#[test]
fn params_defaults_round_trip() {
    let p = Params::default();
    assert_eq!(Params::from_proto(&p.to_proto()).unwrap(), p);
    assert_eq!(p.sample_rows, 64);
    assert_eq!(p.quorum.to_string(), "0.334000000000000000");
}
