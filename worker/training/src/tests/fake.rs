//! An in-memory training chain: one task, its neurons, rounds, updates, weight sets and
//! audits, applying the daemons' messages with the module's checks that matter to them
//! (commit-reveal hashes, the signer's role, audit judgement by the referee's answer).
//! Clones share one ledger; each has its own address.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::Any;
use deai_proto::training::v1 as pb;
use prost::{Message, Name};

use crate::chain::{Chain, Committed, RoundView};
use crate::rules::{update_commit_hash, weights_commit_hash};

/// A valid bech32 address for test account `i`.
pub fn addr(i: u8) -> String {
    deai_framework::Address::from_hash20([i; 20]).to_bech32()
}

#[derive(Default)]
pub struct Ledger {
    pub height: u64,
    pub task: pb::Task,
    pub neurons: Vec<pb::Neuron>,
    pub rounds: BTreeMap<u64, pb::Round>,
    pub updates: BTreeMap<(u64, u32), pb::Update>,
    pub weights: BTreeMap<(u64, u32), pb::WeightSet>,
    pub audits: Vec<pb::Audit>,
    /// Every message sent, with its signer and whether it was committed successfully.
    pub sent: Vec<(String, Any, bool)>,
    /// The next this many sends are committed but answer `Err` (a lost commit).
    pub lose_commits: usize,
    /// The next this many sends fail before reaching the chain (nothing applied).
    pub fail_sends: usize,
    /// The segment of the next audit opened (default: the chain's, the last index of an
    /// update's claim, `len − 2`, and 0 for an aggregate) and its referee.
    pub next_segment: Option<u32>,
    pub next_referee: String,
}

#[derive(Clone)]
pub struct FakeChain {
    pub ledger: Arc<Mutex<Ledger>>,
    pub me: String,
}

impl FakeChain {
    pub fn new(l: Ledger, me: &str) -> FakeChain {
        FakeChain {
            ledger: Arc::new(Mutex::new(l)),
            me: me.into(),
        }
    }
    pub fn as_(&self, who: &str) -> FakeChain {
        FakeChain {
            ledger: self.ledger.clone(),
            me: who.into(),
        }
    }
    pub fn with<T>(&self, f: impl FnOnce(&mut Ledger) -> T) -> T {
        f(&mut self.ledger.lock().unwrap())
    }
    /// Committed messages of type `M`, with their signers.
    pub fn committed<M: Name + Message + Default>(&self) -> Vec<(String, M)> {
        self.with(|l| {
            l.sent
                .iter()
                .filter(|(_, a, ok)| *ok && a.type_url == M::type_url())
                .map(|(s, a, _)| (s.clone(), M::decode(a.value.as_slice()).unwrap()))
                .collect()
        })
    }
    pub fn set_height(&self, h: u64) {
        self.with(|l| l.height = h);
    }

    fn uid_of(l: &Ledger, owner: &str, role: pb::Role) -> Result<u32, String> {
        l.neurons
            .iter()
            .find(|n| n.owner == owner && n.role == role as i32)
            .map(|n| n.uid)
            .ok_or_else(|| format!("{owner} is not a {role:?} of the task"))
    }

    fn apply(l: &mut Ledger, m: &Any, signer: &str) -> Result<(), String> {
        let err = |e: prost::DecodeError| e.to_string();
        if m.type_url == pb::MsgCommitUpdate::type_url() {
            let x = pb::MsgCommitUpdate::decode(m.value.as_slice()).map_err(err)?;
            let uid = Self::uid_of(l, signer, pb::Role::Trainer)?;
            let u = l.updates.entry((x.round, uid)).or_default();
            if u.revealed {
                return Err("already revealed".into());
            }
            *u = pb::Update {
                task_id: x.task_id,
                round: x.round,
                uid,
                commit_hash: x.commit_hash,
                committed_at: l.height,
                ..Default::default()
            };
        } else if m.type_url == pb::MsgRevealUpdate::type_url() {
            let x = pb::MsgRevealUpdate::decode(m.value.as_slice()).map_err(err)?;
            let uid = Self::uid_of(l, signer, pb::Role::Trainer)?;
            let u = l.updates.get_mut(&(x.round, uid)).ok_or("no commit")?;
            if u.revealed {
                return Err("already revealed".into());
            }
            let h =
                update_commit_hash(&x.update_hash, &x.salt, signer).map_err(|e| e.to_string())?;
            if h != u.commit_hash {
                return Err("the reveal does not match the commit".into());
            }
            u.revealed = true;
            u.update_hash = x.update_hash;
            u.uri = x.uri;
            u.checkpoint_hashes = x.checkpoint_hashes;
        } else if m.type_url == pb::MsgCommitWeights::type_url() {
            let x = pb::MsgCommitWeights::decode(m.value.as_slice()).map_err(err)?;
            let uid = Self::uid_of(l, signer, pb::Role::Validator)?;
            l.weights.insert(
                (x.round, uid),
                pb::WeightSet {
                    task_id: x.task_id,
                    round: x.round,
                    uid,
                    commit_hash: x.commit_hash,
                    committed_at: l.height,
                    ..Default::default()
                },
            );
        } else if m.type_url == pb::MsgRevealWeights::type_url() {
            let x = pb::MsgRevealWeights::decode(m.value.as_slice()).map_err(err)?;
            let uid = Self::uid_of(l, signer, pb::Role::Validator)?;
            let w = l.weights.get_mut(&(x.round, uid)).ok_or("no commit")?;
            if w.revealed {
                return Err("already revealed".into());
            }
            let u16s = |v: &[u32]| v.iter().map(|x| *x as u16).collect::<Vec<_>>();
            let h = weights_commit_hash(
                signer,
                x.task_id,
                x.round,
                &u16s(&x.uids),
                &u16s(&x.values),
                &x.salt,
                x.version,
            )
            .map_err(|e| e.to_string())?;
            if h != w.commit_hash {
                return Err("the reveal does not match the commit".into());
            }
            w.revealed = true;
            w.uids = x.uids;
            w.values = x.values;
            w.version = x.version;
        } else if m.type_url == pb::MsgOpenAudit::type_url() {
            let x = pb::MsgOpenAudit::decode(m.value.as_slice()).map_err(err)?;
            Self::uid_of(l, signer, pb::Role::Validator)?;
            let claim = if x.target == pb::AuditTarget::Update as i32 {
                let u = l
                    .updates
                    .get(&(x.round, x.accused_uid))
                    .ok_or("no such update")?;
                let mut c = u.checkpoint_hashes.clone();
                c.push(u.update_hash.clone());
                c
            } else {
                let r = l.rounds.get(&x.round).ok_or("no such round")?;
                vec![r.base_hash.clone(), r.aggregate_hash.clone()]
            };
            let accused = l
                .neurons
                .iter()
                .find(|n| n.uid == x.accused_uid)
                .map(|n| n.owner.clone())
                .unwrap_or_default();
            let id = l.audits.len() as u64 + 1;
            // Never the auditor (nor the accused): then another validator.
            let referee = if l.next_referee != signer {
                l.next_referee.clone()
            } else {
                l.neurons
                    .iter()
                    .find(|n| {
                        n.role == pb::Role::Validator as i32
                            && n.owner != signer
                            && n.owner != accused
                    })
                    .map(|n| n.owner.clone())
                    .unwrap_or_default()
            };
            let segment = l
                .next_segment
                .unwrap_or(if x.target == pb::AuditTarget::Update as i32 {
                    claim.len().saturating_sub(2) as u32
                } else {
                    0
                });
            l.audits.push(pb::Audit {
                id,
                task_id: x.task_id,
                round: x.round,
                target: x.target,
                accused_uid: x.accused_uid,
                accused,
                auditor: signer.into(),
                claim,
                segment,
                referee,
                state: pb::AuditState::Pending as i32,
                opened_at: l.height,
                ..Default::default()
            });
        } else if m.type_url == pb::MsgSubmitAudit::type_url() {
            let x = pb::MsgSubmitAudit::decode(m.value.as_slice()).map_err(err)?;
            let a = l
                .audits
                .iter_mut()
                .find(|a| a.id == x.audit_id)
                .ok_or("no such audit")?;
            if a.referee != signer || a.state != pb::AuditState::Pending as i32 {
                return Err("not the pending audit's referee".into());
            }
            let right = a.claim.get(a.segment as usize + 1) == Some(&x.answer);
            a.state = if right {
                pb::AuditState::Rejected
            } else {
                pb::AuditState::Upheld
            } as i32;
            a.answer = x.answer;
        } else if m.type_url == pb::MsgSubmitAggregate::type_url() {
            let x = pb::MsgSubmitAggregate::decode(m.value.as_slice()).map_err(err)?;
            let r = l.rounds.get_mut(&x.round).ok_or("no such round")?;
            if r.aggregator != signer || !r.aggregate_hash.is_empty() {
                return Err("not the aggregator, or already submitted".into());
            }
            r.aggregate_hash = x.aggregate_hash;
            r.aggregate_uri = x.uri;
            r.lineage = vec![1; 32];
        } else {
            return Err(format!("unexpected message {}", m.type_url));
        }
        Ok(())
    }
}

impl Chain for FakeChain {
    fn address(&self) -> String {
        self.me.clone()
    }
    async fn height(&self) -> anyhow::Result<u64> {
        Ok(self.with(|l| l.height))
    }
    async fn task(&self, id: u64) -> anyhow::Result<Option<pb::Task>> {
        Ok(self.with(|l| (l.task.id == id).then(|| l.task.clone())))
    }
    async fn neuron(&self, _task: u64, owner: &str) -> anyhow::Result<Option<pb::Neuron>> {
        Ok(self.with(|l| l.neurons.iter().find(|n| n.owner == owner).cloned()))
    }
    async fn neurons(&self, _task: u64) -> anyhow::Result<Vec<pb::Neuron>> {
        Ok(self.with(|l| l.neurons.clone()))
    }
    async fn round(&self, _task: u64, round: u64) -> anyhow::Result<Option<RoundView>> {
        Ok(self.with(|l| {
            l.rounds.get(&round).map(|r| RoundView {
                round: r.clone(),
                updates: l
                    .updates
                    .iter()
                    .filter(|((x, _), _)| *x == round)
                    .map(|(_, u)| u.clone())
                    .collect(),
            })
        }))
    }
    async fn weights(&self, _task: u64, round: u64) -> anyhow::Result<Vec<pb::WeightSet>> {
        Ok(self.with(|l| {
            l.weights
                .iter()
                .filter(|((x, _), _)| *x == round)
                .map(|(_, w)| w.clone())
                .collect()
        }))
    }
    async fn audits(&self, _task: u64, referee: &str) -> anyhow::Result<Vec<pb::Audit>> {
        Ok(self.with(|l| {
            l.audits
                .iter()
                .filter(|a| referee.is_empty() || a.referee == referee)
                .cloned()
                .collect()
        }))
    }
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        let me = self.me.clone();
        self.with(|l| {
            if l.fail_sends > 0 {
                l.fail_sends -= 1;
                anyhow::bail!("the node is unreachable");
            }
            let mut result = Ok(());
            for m in &msgs {
                result = Self::apply(l, m, &me);
                l.sent.push((me.clone(), m.clone(), result.is_ok()));
                if result.is_err() {
                    break;
                }
            }
            let c = Committed {
                txhash: format!("TX{}", l.sent.len()),
                height: l.height.to_string(),
                code: if result.is_ok() { 0 } else { 5 },
                raw_log: result.err().unwrap_or_default(),
                ..Default::default()
            };
            if l.lose_commits > 0 {
                l.lose_commits -= 1;
                anyhow::bail!("timed out waiting for the commit");
            }
            Ok(c)
        })
    }
}
