//! The pool validator daemon. Each tick (every `poll`, until cancelled) it reads its pool,
//! bonds its key if it is not bonded yet, and scores the contributions of the current
//! epoch it has not scored, a few a tick ([`MAX_PER_TICK`]), while a tx sent now can still
//! land in the epoch; each score is recorded in the state file before its
//! `MsgScoreContribution` is sent, and marked sent once it committed. A failed tx is
//! logged; the contribution is tried again at the next tick (unless the chain shows our
//! score by then).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deai_proto::data::v1 as pb;
use deai_worker_artifacts::Store;
use deai_worker_daemon::{one_line, StateFile};
use deai_worker_engine::data::Dataset;
use deai_worker_jobs::Digest;
use deai_worker_provider::remote::parse_artifact_uri;
use deai_worker_training::files::{digest_of, Files};
use tokio_util::sync::CancellationToken;

use crate::chain::{Chain, PoolView};
use crate::schema::{FileRef, Schema};
use crate::score::{self, CancelFlag, Outcome, Validation, MAX_POOL_FILE_BYTES};
use crate::state::{self, PoolValidatorState, ScoreRecord};

/// Contributions scored per tick at most.
pub const MAX_PER_TICK: usize = 4;
/// Failed downloads of a contribution before it scores 0.
pub const MAX_FETCH_TRIES: u32 = 3;
/// Accepted contributions of earlier epochs added to the base, at most (the lowest ids).
pub const MAX_ACCEPTED: usize = 256;
/// Their files' bytes in all, at most (the first that would exceed it and later ones are
/// left out).
pub const MAX_ACCEPTED_BYTES: u64 = 1 << 30;

#[derive(Clone, Debug)]
pub struct Config {
    pub pool_id: u64,
    /// Bonded when the key has no bond in the pool yet (none: the key must be bonded).
    pub bond: Option<deai_framework::Coin>,
    pub state_dir: PathBuf,
    /// The artifact store downloads are kept in (by sha256).
    pub cache: PathBuf,
    pub poll: Duration,
    pub max_contribution_bytes: u64,
}

/// The pool's current data of one epoch, loaded once.
struct Current {
    epoch: u64,
    schema: Schema,
    data: Arc<Dataset>,
    validation: Arc<Validation>,
}

pub struct PoolValidator<C: Chain> {
    chain: C,
    cfg: Config,
    files: Files,
    file: StateFile,
    st: PoolValidatorState,
    current: Option<Current>,
    cancel: CancelFlag,
}

/// Runs the pool validator until `cancel` is cancelled (the state is saved on the way out).
pub async fn run_pool_validator<C: Chain>(
    cfg: Config,
    chain: C,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut d = PoolValidator::new(chain, cfg)?;
    let flag = d.cancel.clone();
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            cancel.cancelled().await;
            flag.cancel();
        });
    }
    let mut every = tokio::time::interval(d.cfg.poll.max(Duration::from_millis(10)));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(pool = d.cfg.pool_id, validator = %d.chain.address(), "pool validator running");
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = every.tick() => {}
        }
        if let Err(e) = d.tick().await {
            if cancel.is_cancelled() {
                break;
            }
            tracing::warn!(error = %one_line(&e), "pool validator tick failed; retrying");
        }
    }
    d.file.save_or_log(&d.st, "pool validator state");
    tracing::info!("pool validator stopped");
    Ok(())
}

fn mine<'a>(scores: impl IntoIterator<Item = &'a pb::Score>, me: &str) -> BTreeSet<u64> {
    scores
        .into_iter()
        .filter(|s| s.validator == me)
        .map(|s| s.contribution_id)
        .collect()
}

impl<C: Chain> PoolValidator<C> {
    pub fn new(chain: C, cfg: Config) -> anyhow::Result<Self> {
        let (file, mut st) = state::open(&cfg.state_dir)?;
        st.bind(cfg.pool_id)?;
        let max_blob = cfg.max_contribution_bytes.max(MAX_POOL_FILE_BYTES);
        let store = Store::open(&cfg.cache, max_blob)
            .with_context(|| format!("opening the cache {}", cfg.cache.display()))?;
        Ok(PoolValidator {
            files: Files::new(Arc::new(store), "", &[]),
            chain,
            cfg,
            file,
            st,
            current: None,
            cancel: CancelFlag::default(),
        })
    }

    pub fn state(&self) -> &PoolValidatorState {
        &self.st
    }

    pub fn chain(&self) -> &C {
        &self.chain
    }

    /// One look at the chain and at most [`MAX_PER_TICK`] contributions scored.
    pub async fn tick(&mut self) -> anyhow::Result<()> {
        let id = self.cfg.pool_id;
        let me = self.chain.address();
        let view = self
            .chain
            .pool(id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("pool {id} not found"))?;
        anyhow::ensure!(
            view.pool.validators.contains(&me),
            "{me} is not a validator of pool {id}"
        );
        self.bond_if_needed(&view, &me).await?;
        let pool = &view.pool;
        let last = pool
            .epoch_start
            .saturating_add(pool.epoch_length.saturating_sub(1));
        let height = self.chain.height().await?;
        if height >= last {
            return Ok(()); // a tx sent now lands after the epoch's last height
        }
        let listed = self.chain.contributions_since(id, pool.epoch).await?;
        let scored_on_chain = mine(&listed.scores, &me);
        let mut todo: Vec<pb::Contribution> = listed
            .contributions
            .into_iter()
            .filter(|c| c.pool_id == id && c.epoch == pool.epoch && !c.settled)
            .filter(|c| !self.st.scores.get(&c.id).is_some_and(|r| r.sent))
            .collect();
        todo.sort_by_key(|c| c.id);
        todo.dedup_by_key(|c| c.id);
        for c in &todo {
            if let (true, Some(r)) = (
                scored_on_chain.contains(&c.id),
                self.st.scores.get_mut(&c.id),
            ) {
                r.sent = true;
            }
        }
        todo.retain(|c| !scored_on_chain.contains(&c.id));
        if todo.is_empty() {
            return Ok(());
        }
        self.load_current(pool).await?;
        for c in todo.into_iter().take(MAX_PER_TICK) {
            if self.cancel.is_cancelled() {
                break;
            }
            let Some(score) = self.score_of(&c, height, last).await? else {
                continue;
            };
            self.send_score(&me, c.id, score).await;
        }
        self.st.prune();
        self.file.save(&self.st)?;
        Ok(())
    }

    async fn bond_if_needed(&mut self, view: &PoolView, me: &str) -> anyhow::Result<()> {
        let bonded = view.validators.iter().any(|v| {
            v.address == me
                && v.stake
                    .as_ref()
                    .is_some_and(|c| c.amount.parse::<u128>().is_ok_and(|a| a > 0))
        });
        if bonded {
            return Ok(());
        }
        let bond = self.cfg.bond.as_ref().ok_or_else(|| {
            anyhow::anyhow!("{me} has no bond in pool {}: pass --bond", self.cfg.pool_id)
        })?;
        let msg = pb::MsgBondPoolValidator {
            validator: me.into(),
            pool_id: self.cfg.pool_id,
            stake: Some(bond.to_proto()),
        };
        let c = self.chain.send_msg(&msg).await?;
        tracing::info!(pool = self.cfg.pool_id, %bond, tx = %c.txhash, "bonded");
        Ok(())
    }

    /// A pool file (base or validation) in the cache, downloaded if needed.
    async fn pool_file(&self, f: &FileRef, what: &str) -> anyhow::Result<PathBuf> {
        self.files
            .fetch(&f.uri, &f.sha256, MAX_POOL_FILE_BYTES)
            .await
            .with_context(|| format!("the pool's {what} file"))
    }

    /// Loads the epoch's current data: the base, then the accepted contributions of earlier
    /// epochs (settled at or above the threshold; at most [`MAX_ACCEPTED`] and
    /// [`MAX_ACCEPTED_BYTES`], lowest ids first, each read as a pool file, not bounded by
    /// `--max-contribution-bytes`); one that cannot be fetched or read is left out.
    async fn load_current(&mut self, pool: &pb::Pool) -> anyhow::Result<()> {
        if self.current.as_ref().is_some_and(|c| c.epoch == pool.epoch) {
            return Ok(());
        }
        let schema = Schema::parse(&pool.schema)?;
        let base = self.pool_file(&schema.base, "base").await?;
        let validation = self.pool_file(&schema.validation, "validation").await?;
        let mut accepted: Vec<pb::Contribution> = self
            .chain
            .all_contributions(pool.id)
            .await?
            .into_iter()
            .filter(|c| {
                c.pool_id == pool.id
                    && c.epoch < pool.epoch
                    && c.settled
                    && c.consensus_score_u16 >= pool.score_threshold_u16
            })
            .collect();
        accepted.sort_by_key(|c| c.id);
        accepted.dedup_by_key(|c| c.id);
        accepted.truncate(MAX_ACCEPTED);
        let (mut parts, mut total) = (Vec::new(), 0u64);
        for c in &accepted {
            match self.fetch_contribution(c, MAX_POOL_FILE_BYTES).await {
                Ok((path, sha)) => {
                    let size = std::fs::metadata(&path)
                        .map(|m| m.len())
                        .unwrap_or(u64::MAX);
                    total = total.saturating_add(size);
                    if total > MAX_ACCEPTED_BYTES {
                        tracing::warn!(contribution = c.id, "the accepted contributions exceed {MAX_ACCEPTED_BYTES} bytes: the rest are left out");
                        break;
                    }
                    parts.push((c.id, path, sha));
                }
                Err(e) => {
                    tracing::warn!(contribution = c.id, error = %one_line(&e), "accepted contribution left out of the pool's data")
                }
            }
        }
        let s = schema.clone();
        let loaded = tokio::task::spawn_blocking(move || {
            let mut data = vec![score::load(&s, &base, s.base.sha256, MAX_POOL_FILE_BYTES)?];
            for (id, path, sha) in parts {
                match score::load(&s, &path, sha, MAX_POOL_FILE_BYTES) {
                    Ok(d) => data.push(d),
                    Err(e) => tracing::warn!(contribution = id, error = %format!("{e:#}"), "accepted contribution left out of the pool's data"),
                }
            }
            let v = Validation::open(&s, &validation)?;
            anyhow::Ok((score::concat(&data)?, v))
        })
        .await??;
        tracing::info!(
            pool = pool.id,
            epoch = pool.epoch,
            rows = loaded.0.rows,
            "the pool's current data"
        );
        self.current = Some(Current {
            epoch: pool.epoch,
            schema,
            data: Arc::new(loaded.0),
            validation: Arc::new(loaded.1),
        });
        Ok(())
    }

    /// A contribution's file in the cache; its URI must be an artifact server's naming the
    /// hash the chain names.
    async fn fetch_contribution(
        &self,
        c: &pb::Contribution,
        max_bytes: u64,
    ) -> anyhow::Result<(PathBuf, Digest)> {
        let sha = digest_of(&c.content_sha256, "content_sha256")?;
        let path = self.files.fetch(&c.uri, &sha, max_bytes).await?;
        Ok((path, sha))
    }

    /// The score of contribution `c` (recorded in the state), or `None` to try again at a
    /// later tick (a failed download, fewer than [`MAX_FETCH_TRIES`] times, with time left).
    async fn score_of(
        &mut self,
        c: &pb::Contribution,
        height: u64,
        last: u64,
    ) -> anyhow::Result<Option<u16>> {
        if let Some(r) = self.st.scores.get(&c.id) {
            return Ok(Some(r.score));
        }
        let permanent = match digest_of(&c.content_sha256, "content_sha256") {
            Err(e) => Some(e.to_string()),
            Ok(sha) => match parse_artifact_uri(&c.uri) {
                Err(e) => Some(e.to_string()),
                Ok((_, named)) if named != sha => {
                    Some(format!("uri names {named}, the chain names {sha}"))
                }
                Ok(_) => None,
            },
        };
        let outcome = match permanent {
            Some(why) => Outcome::Rejected(why),
            None => match self
                .fetch_contribution(c, self.cfg.max_contribution_bytes)
                .await
            {
                Ok((path, sha)) => self.score_file(c, path, sha).await?,
                Err(e) => {
                    let n = self.st.fetch_failures.entry(c.id).or_insert(0);
                    *n = n.saturating_add(1);
                    tracing::warn!(contribution = c.id, tries = *n, error = %one_line(&e), "download failed");
                    // The last chance to send is a tx landing at the epoch's last height.
                    if *n < MAX_FETCH_TRIES && height.saturating_add(1) < last {
                        return Ok(None);
                    }
                    Outcome::Rejected(format!("download failed: {}", one_line(&e)))
                }
            },
        };
        let rejected = match &outcome {
            Outcome::Rejected(why) => Some(why.clone()),
            Outcome::Scored { .. } => None,
        };
        tracing::info!(contribution = c.id, ?outcome, "scored");
        self.st.scores.insert(
            c.id,
            ScoreRecord {
                epoch: c.epoch,
                score: outcome.score(),
                rejected,
                ..Default::default()
            },
        );
        self.file.save(&self.st)?;
        Ok(Some(outcome.score()))
    }

    async fn score_file(
        &self,
        c: &pb::Contribution,
        path: PathBuf,
        sha: Digest,
    ) -> anyhow::Result<Outcome> {
        let cur = self
            .current
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("the pool's data is not loaded"))?;
        let (s, data, v) = (cur.schema.clone(), cur.data.clone(), cur.validation.clone());
        let (max, seed) = (
            self.cfg.max_contribution_bytes,
            score::seed(c.pool_id, c.id),
        );
        let work = self.cfg.state_dir.join("work");
        let cancel = self.cancel.clone();
        tokio::task::spawn_blocking(move || {
            score::score_contribution(&s, &data, &v, &path, sha, max, seed, &work, &cancel)
        })
        .await?
    }

    async fn send_score(&mut self, me: &str, contribution: u64, score: u16) {
        let msg = pb::MsgScoreContribution {
            validator: me.into(),
            contribution_id: contribution,
            score_u16: u32::from(score),
        };
        match self.chain.send_msg(&msg).await {
            Ok(c) => {
                tracing::info!(contribution, score, tx = %c.txhash, "score sent");
                if let Some(r) = self.st.scores.get_mut(&contribution) {
                    r.sent = true;
                    r.tx = c.txhash;
                }
                self.file.save_or_log(&self.st, "pool validator state");
            }
            Err(e) => {
                tracing::warn!(contribution, error = %one_line(&e), "MsgScoreContribution failed; retrying next tick")
            }
        }
    }
}
