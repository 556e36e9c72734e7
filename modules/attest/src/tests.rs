//! Unit tests: requests and their bounds, the >2/3 tally of a commit, the liar's slash to
//! the unit, expiry, the requester's hook (and a failing one), queries and genesis.

use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use prost::Name;

use deai_framework::context::BlockInfo;
use deai_framework::testing::{self, addr, code, proto_coin as coin};
use deai_framework::{sdk, Ctx, Event, GasMeter, MemStore, Module, StateWrite, TxError};
use deai_proto::attest::v1 as pb;
use deai_staking::address::val_to_bech32;
use deai_staking::keeper::{consensus_address, pubkey_any, tokens};
use deai_staking::{StakingModule, StakingRead};

use crate::*;

const M: u128 = 1_000_000;

#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<(u64, i32)>>,
    fail_with: Option<u32>,
}

impl AttestHooks for Recorder {
    fn on_outcome(&self, ctx: &mut Ctx, job: &pb::Job) -> Result<(), TxError> {
        if let Ok(mut s) = self.seen.lock() {
            s.push((job.id, job.state));
        }
        ctx.put(b"test/heard".to_vec(), job.id.to_be_bytes().to_vec())?;
        match self.fail_with {
            Some(c) => Err(TxError::new("test", c, "the hook failed")),
            None => Ok(()),
        }
    }
}

fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(StakingModule::default()),
        Box::new(AttestModule::new(settler(Arc::new(Recorder::default())))),
    ]
}

fn settler(hooks: Arc<dyn AttestHooks>) -> Settler {
    Settler::new(hooks, Arc::new(deai_staking::NoHooks))
}

fn val(b: u8) -> String {
    val_to_bech32(&addr(b))
}

fn cons(op: u8) -> Vec<u8> {
    consensus_address(&[op + 10; 32])
}

fn blk(h: u64) -> BlockInfo {
    BlockInfo {
        time_unix: 1_700_000_000 + h as i64,
        ..testing::block(h)
    }
}

/// Four bonded validators (users 1..=4) of 10 power each; window 20, 4 pending jobs at most.
fn store() -> MemStore {
    let mut g = testing::funded_genesis("staking", &[1, 2, 3, 4, 5], 1_000_000 * M, 9);
    g["attest"] = serde_json::json!({"params": {
        "attestation_window": "20", "max_pending_jobs": 4,
        "disagreement_slash_fraction": "0.01", "max_spec_bytes": 64}});
    let mut s = testing::try_init_all(&modules(), &g).unwrap();
    for op in 1..=4u8 {
        #[allow(deprecated)]
        let msg = spb::MsgCreateValidator {
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
            value: Some(coin(10 * M, "udeai")),
        };
        exec(&mut s, 1, &StakingModule::default(), msg).unwrap();
    }
    testing::end_block(&StakingModule::default(), &mut s, &blk(1));
    s
}

fn exec<P: prost::Message + Name>(
    s: &mut MemStore,
    h: u64,
    m: &dyn Module,
    p: P,
) -> Result<Vec<Event>, TxError> {
    testing::exec(m, s, &blk(h), 100_000_000, p).map(|(_, e, _)| e)
}

fn in_block<R>(
    s: &mut MemStore,
    h: u64,
    f: impl FnOnce(&mut Ctx) -> Result<R, TxError>,
) -> Result<(R, Vec<Event>), TxError> {
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let b = blk(h);
    let mut ctx = Ctx::new(&snap, &gas, &b);
    let r = f(&mut ctx)?;
    let (w, e) = ctx.finish();
    s.apply(w);
    Ok((r, e))
}

fn ask(s: &mut MemStore, h: u64) -> Result<u64, TxError> {
    in_block(s, h, |ctx| {
        request(
            ctx,
            pb::JobKind::TaskCode,
            "task",
            7,
            br#"{"x":1}"#.to_vec(),
        )
    })
    .map(|(id, _)| id)
}

fn vote(op: u8, results: &[(u64, [u8; 32])]) -> CommitVote {
    CommitVote {
        cons: cons(op),
        power: 10,
        committed: true,
        results: results.to_vec(),
    }
}

fn job(s: &MemStore, id: u64) -> pb::Job {
    s.attest_job(id).unwrap().unwrap()
}

fn validator_tokens(s: &MemStore, op: u8) -> u128 {
    tokens(&s.validator(&addr(op)).unwrap().unwrap()).unwrap()
}

#[test]
fn three_of_four_settle_and_the_liar_is_slashed_to_the_unit() {
    let mut s = store();
    let id = ask(&mut s, 5).unwrap();
    assert_eq!(job(&s, id).state, pb::JobState::Pending as i32);
    assert_eq!(job(&s, id).deadline, 25);
    let rec = Arc::new(Recorder::default());
    let st = settler(rec.clone());
    let (a, b) = ([1u8; 32], [2u8; 32]);
    // A vote at the job's own height cannot have seen it: ignored.
    let early: Vec<_> = (1..=4).map(|op| vote(op, &[(id, a)])).collect();
    in_block(&mut s, 6, |ctx| st.apply_commit(ctx, 5, &early)).unwrap();
    assert_eq!(job(&s, id).state, pb::JobState::Pending as i32);
    let votes = vec![
        vote(1, &[(id, a)]),
        vote(2, &[(id, a)]),
        vote(3, &[(id, a)]),
        vote(4, &[(id, b)]),
    ];
    let before = validator_tokens(&s, 4);
    let (_, events) = in_block(&mut s, 7, |ctx| st.apply_commit(ctx, 6, &votes)).unwrap();
    let j = job(&s, id);
    assert_eq!(j.state, pb::JobState::Settled as i32);
    assert_eq!(j.result_hash, a.to_vec());
    assert_eq!((j.settled_power, j.total_power, j.settled_at), (30, 40, 7));
    // 1% of 10 power × 10^6 tokens.
    assert_eq!(before - validator_tokens(&s, 4), 100_000);
    assert_eq!(validator_tokens(&s, 1), 10 * M);
    let atts = s.attestations(id, 10).unwrap();
    assert_eq!(atts.len(), 4);
    assert_eq!(atts.iter().filter(|a| a.penalized).count(), 1);
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.attest.v1.EventAttestationDisagreed"));
    assert_eq!(
        *rec.seen.lock().unwrap(),
        vec![(id, pb::JobState::Settled as i32)]
    );
    assert!(s.get(b"test/heard").unwrap().is_some());
    // Settled jobs are no longer pending; a later commit changes nothing.
    assert!(s.pending_jobs().unwrap().is_empty());
    in_block(&mut s, 8, |ctx| st.apply_commit(ctx, 7, &votes)).unwrap();
    assert_eq!(before - validator_tokens(&s, 4), 100_000);
}

#[test]
fn two_thirds_exactly_is_not_enough_and_the_job_expires() {
    let mut s = store();
    let id = ask(&mut s, 5).unwrap();
    let rec = Arc::new(Recorder::default());
    let st = settler(rec.clone());
    let a = [1u8; 32];
    // 20 of 30: exactly 2/3 (the fourth validator, absent, counts in the total only when listed).
    let mut votes = vec![vote(1, &[(id, a)]), vote(2, &[(id, a)]), vote(3, &[])];
    in_block(&mut s, 7, |ctx| st.apply_commit(ctx, 6, &votes)).unwrap();
    assert_eq!(job(&s, id).state, pb::JobState::Pending as i32);
    // A nil vote's extension never counts.
    votes[2] = CommitVote {
        committed: false,
        ..vote(3, &[(id, a)])
    };
    in_block(&mut s, 8, |ctx| st.apply_commit(ctx, 7, &votes)).unwrap();
    assert_eq!(job(&s, id).state, pb::JobState::Pending as i32);
    in_block(&mut s, 24, |ctx| st.expire(ctx)).unwrap();
    assert_eq!(job(&s, id).state, pb::JobState::Pending as i32);
    in_block(&mut s, 25, |ctx| st.expire(ctx)).unwrap();
    assert_eq!(job(&s, id).state, pb::JobState::Expired as i32);
    assert_eq!(
        *rec.seen.lock().unwrap(),
        vec![(id, pb::JobState::Expired as i32)]
    );
    // No one is penalised for a job that never settled.
    assert_eq!(validator_tokens(&s, 1), 10 * M);
}

#[test]
fn a_failing_hook_keeps_the_settlement_and_drops_its_writes() {
    let mut s = store();
    let id = ask(&mut s, 5).unwrap();
    let st = settler(Arc::new(Recorder {
        fail_with: Some(5),
        ..Default::default()
    }));
    let votes: Vec<_> = (1..=4).map(|op| vote(op, &[(id, [3; 32])])).collect();
    let (_, events) = in_block(&mut s, 7, |ctx| st.apply_commit(ctx, 6, &votes)).unwrap();
    assert_eq!(job(&s, id).state, pb::JobState::Settled as i32);
    assert!(s.get(b"test/heard").unwrap().is_none());
    assert!(events.iter().any(|e| e.kind == "attest_hook_failed"));
    // An internal error halts the block instead.
    let id = ask(&mut s, 8).unwrap();
    let st = settler(Arc::new(Recorder {
        fail_with: Some(sdk::INTERNAL),
        ..Default::default()
    }));
    let votes: Vec<_> = (1..=4).map(|op| vote(op, &[(id, [3; 32])])).collect();
    assert!(in_block(&mut s, 10, |ctx| st.apply_commit(ctx, 9, &votes)).is_err());
}

#[test]
fn requests_are_bounded() {
    let mut s = store();
    let big = in_block(&mut s, 5, |ctx| {
        request(ctx, pb::JobKind::TaskCode, "task", 1, vec![b'x'; 65])
    });
    assert_eq!(code(big), (CODESPACE, ERR_SPEC_TOO_LARGE));
    let none = in_block(&mut s, 5, |ctx| {
        request(ctx, pb::JobKind::Unspecified, "task", 1, vec![])
    });
    assert_eq!(code(none), (CODESPACE, ERR_INVALID_JOB));
    for _ in 0..4 {
        ask(&mut s, 5).unwrap();
    }
    assert_eq!(code(ask(&mut s, 5)), (CODESPACE, ERR_TOO_MANY_JOBS));
    assert_eq!(s.pending_jobs().unwrap().len(), 4);
}

#[test]
fn queries_and_genesis_round_trip() {
    let mut s = store();
    let id = ask(&mut s, 5).unwrap();
    ask(&mut s, 5).unwrap();
    let st = settler(Arc::new(NoHooks));
    let votes: Vec<_> = (1..=4).map(|op| vote(op, &[(id, [4; 32])])).collect();
    in_block(&mut s, 7, |ctx| st.apply_commit(ctx, 6, &votes)).unwrap();
    let r: pb::QueryJobsResponse = testing::query(
        &AttestModule::new(settler(Arc::new(NoHooks))),
        &s,
        "/deai.attest.v1.Query/Jobs",
        pb::QueryJobsRequest {
            state: pb::JobState::Pending as i32,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(
        r.jobs.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![id + 1]
    );
    let r: pb::QueryAttestationsResponse = testing::query(
        &AttestModule::new(settler(Arc::new(NoHooks))),
        &s,
        "/deai.attest.v1.Query/Attestations",
        pb::QueryAttestationsRequest {
            job_id: id,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(r.attestations.len(), 4);
    let unknown: Result<pb::QueryJobResponse, _> = testing::query(
        &AttestModule::new(settler(Arc::new(NoHooks))),
        &s,
        "/deai.attest.v1.Query/Job",
        pb::QueryJobRequest { id: 99 },
    );
    assert_eq!(code(unknown), (CODESPACE, ERR_UNKNOWN_JOB));
    let exported = testing::export_all(&modules(), &s);
    let again = testing::try_init_all(&modules(), &exported).unwrap();
    assert_eq!(testing::export_all(&modules(), &again), exported);
    let mut bad = exported.clone();
    bad["attest"]["jobs"][0]["spec"] = serde_json::json!("AAAA");
    assert!(testing::try_init_all(&modules(), &bad).is_err());
}

#[test]
fn a_late_liar_is_judged_until_the_deadline() {
    let mut s = store();
    let id = ask(&mut s, 5).unwrap();
    let st = settler(Arc::new(NoHooks));
    let (a, b) = ([1u8; 32], [2u8; 32]);
    // Three honest validators settle it; the fourth's sidecar has not answered yet.
    let votes = vec![
        vote(1, &[(id, a)]),
        vote(2, &[(id, a)]),
        vote(3, &[(id, a)]),
        vote(4, &[]),
    ];
    in_block(&mut s, 7, |ctx| st.apply_commit(ctx, 6, &votes)).unwrap();
    assert_eq!(job(&s, id).state, pb::JobState::Settled as i32);
    assert_eq!(
        s.open_jobs().unwrap().len(),
        1,
        "still asked about, for late results"
    );
    // Its late, wrong answer is recorded and slashed; an honest late answer would not be.
    let before = validator_tokens(&s, 4);
    let late = vec![vote(1, &[(id, a)]), vote(4, &[(id, b)])];
    let (_, events) = in_block(&mut s, 8, |ctx| st.apply_commit(ctx, 7, &late)).unwrap();
    assert_eq!(before - validator_tokens(&s, 4), 100_000);
    assert!(events
        .iter()
        .any(|e| e.kind == "deai.attest.v1.EventAttestationDisagreed"));
    assert!(s.attestation(id, &cons(4)).unwrap().unwrap().penalized);
    // Judged once: the same lie again costs nothing more.
    in_block(&mut s, 9, |ctx| st.apply_commit(ctx, 8, &late)).unwrap();
    assert_eq!(before - validator_tokens(&s, 4), 100_000);
    // After the deadline (25) the job is no longer watched or asked about.
    in_block(&mut s, 25, |ctx| st.expire(ctx)).unwrap();
    assert!(s.open_jobs().unwrap().is_empty());
    assert_eq!(job(&s, id).state, pb::JobState::Settled as i32);
}
