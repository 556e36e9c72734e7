//! An in-memory data module: one pool, its bonded validators, contributions and scores,
//! applying the daemon's messages with the module's checks that matter to it (a named
//! validator, a bond before scoring, once per contribution, during its epoch).

use std::sync::{Arc, Mutex};

use cosmos_sdk_proto::Any;
use deai_proto::data::v1 as pb;
use prost::{Message, Name};

use crate::chain::{Chain, Committed, Contributions, PoolView};

/// A valid bech32 address for test account `i`.
pub fn addr(i: u8) -> String {
    deai_framework::Address::from_hash20([i; 20]).to_bech32()
}

#[derive(Default)]
pub struct Ledger {
    pub height: u64,
    pub pool: pb::Pool,
    pub validators: Vec<pb::PoolValidator>,
    pub contributions: Vec<pb::Contribution>,
    pub scores: Vec<pb::Score>,
    /// Every message sent, with its signer and whether it committed successfully.
    pub sent: Vec<(String, Any, bool)>,
    /// The next this many sends fail before reaching the chain.
    pub fail_sends: usize,
    /// The next this many score txs fail before reaching the chain.
    pub fail_scores: usize,
    /// Raised at each committed score (the tests wait on it, not on time).
    pub scored: Option<Arc<tokio::sync::Notify>>,
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
    /// Our committed score of each contribution, by id.
    pub fn scores(&self) -> Vec<(u64, u32)> {
        self.with(|l| {
            l.scores
                .iter()
                .filter(|s| s.validator == self.me)
                .map(|s| (s.contribution_id, s.score_u16))
                .collect()
        })
    }

    fn apply(l: &mut Ledger, me: &str, a: &Any) -> Result<(), String> {
        if a.type_url == pb::MsgBondPoolValidator::type_url() {
            let m = pb::MsgBondPoolValidator::decode(a.value.as_slice()).unwrap();
            if m.validator != me || !l.pool.validators.contains(&m.validator) {
                return Err("not a pool validator".into());
            }
            l.validators.push(pb::PoolValidator {
                pool_id: m.pool_id,
                address: m.validator,
                stake: m.stake,
            });
            return Ok(());
        }
        if a.type_url == pb::MsgScoreContribution::type_url() {
            let m = pb::MsgScoreContribution::decode(a.value.as_slice()).unwrap();
            if !l.validators.iter().any(|v| v.address == me) {
                return Err("not bonded".into());
            }
            let c = l
                .contributions
                .iter()
                .find(|c| c.id == m.contribution_id)
                .ok_or("no such contribution")?;
            if c.settled || c.epoch != l.pool.epoch {
                return Err("epoch over".into());
            }
            if l.scores
                .iter()
                .any(|s| s.contribution_id == m.contribution_id && s.validator == me)
            {
                return Err("already scored".into());
            }
            l.scores.push(pb::Score {
                contribution_id: m.contribution_id,
                validator: me.into(),
                score_u16: m.score_u16,
            });
            if let Some(n) = &l.scored {
                n.notify_one();
            }
            return Ok(());
        }
        Err(format!("unexpected {}", a.type_url))
    }
}

impl Chain for FakeChain {
    fn address(&self) -> String {
        self.me.clone()
    }
    async fn height(&self) -> anyhow::Result<u64> {
        Ok(self.with(|l| l.height))
    }
    async fn pool(&self, id: u64) -> anyhow::Result<Option<PoolView>> {
        Ok(self.with(|l| {
            (l.pool.id == id).then(|| PoolView {
                pool: l.pool.clone(),
                validators: l.validators.clone(),
            })
        }))
    }
    async fn contributions_since(&self, pool: u64, epoch: u64) -> anyhow::Result<Contributions> {
        Ok(self.with(|l| {
            let contributions: Vec<_> = l
                .contributions
                .iter()
                .filter(|c| c.pool_id == pool && c.epoch >= epoch)
                .cloned()
                .collect();
            let scores = l
                .scores
                .iter()
                .filter(|s| contributions.iter().any(|c| c.id == s.contribution_id))
                .cloned()
                .collect();
            Contributions {
                contributions,
                scores,
            }
        }))
    }
    async fn all_contributions(&self, pool: u64) -> anyhow::Result<Vec<pb::Contribution>> {
        Ok(self.with(|l| {
            l.contributions
                .iter()
                .filter(|c| c.pool_id == pool)
                .cloned()
                .collect()
        }))
    }
    async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        let me = self.me.clone();
        self.with(|l| {
            if l.fail_sends > 0 {
                l.fail_sends -= 1;
                anyhow::bail!("node unreachable");
            }
            let score = msgs
                .iter()
                .any(|a| a.type_url == pb::MsgScoreContribution::type_url());
            if score && l.fail_scores > 0 {
                l.fail_scores -= 1;
                anyhow::bail!("node unreachable");
            }
            l.height += 1;
            let mut code = 0;
            let mut log = String::new();
            for a in &msgs {
                let r = Self::apply(l, &me, a);
                l.sent.push((me.clone(), a.clone(), r.is_ok()));
                if let Err(e) = r {
                    code = 1;
                    log = e;
                }
            }
            Ok(Committed {
                txhash: format!("TX{}", l.sent.len()),
                height: l.height.to_string(),
                code,
                raw_log: log,
                ..Default::default()
            })
        })
    }
}
