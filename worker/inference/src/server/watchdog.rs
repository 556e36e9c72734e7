//! `--watchdog`: other servers' optimistic answers recomputed; a wrong one is challenged and
//! then adjudicated (at once for a keyless model, near the dispute deadline otherwise).

use super::*;

impl<C: Chain> Server<C> {
    pub(crate) fn watch_done(&mut self, id: u64, stage: WatchStage, error: Option<String>) {
        if let Some(w) = self.state.watched.get_mut(&id) {
            w.stage = stage;
            if error.is_some() {
                w.error = error;
            }
            self.save();
        }
    }

    /// The watchdog: checks the queued answers, and moves its open challenges on.
    pub async fn watchdog(&mut self) {
        if !self.cfg.watchdog {
            return;
        }
        let mut ids: BTreeSet<u64> = std::mem::take(&mut self.watch_queue);
        ids.extend(
            self.state
                .watched
                .iter()
                .filter(|(_, w)| !w.stage.finished())
                .map(|(id, _)| *id),
        );
        for id in ids {
            self.check(id).await;
        }
    }

    /// One step of the watchdog on request `id`: recompute a fresh answer and challenge it
    /// when wrong; send a challenge recorded but not seen committed (after reading the
    /// chain's challenge, so never twice); adjudicate an open challenge of ours (at once
    /// without a key, else near the end of the response window).
    pub async fn check(&mut self, id: u64) {
        let rec = self.state.watched.get(&id).cloned();
        if rec.as_ref().is_some_and(|w| w.stage.finished()) {
            return;
        }
        let r = match self.chain.request(id).await {
            Ok(Some(r)) => r,
            Ok(None) => {
                if rec.is_some() {
                    self.watch_done(id, WatchStage::Skipped, Some("no such request".into()));
                }
                return;
            }
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the request; trying again later");
                if rec.is_none() {
                    self.watch(id);
                }
                return;
            }
        };
        let h = match self.chain.height().await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the height; trying again later");
                if rec.is_none() {
                    self.watch(id);
                }
                return;
            }
        };
        let (Some(local), Some(record)) = (
            self.served.get(&r.model_id).cloned(),
            self.records.get(&r.model_id).cloned(),
        ) else {
            return;
        };
        let Some(rec) = rec else {
            if r.mode == VerificationMode::Redundant as i32 {
                // A tie of other servers: settled by re-execution like our own challenge.
                if r.state != RequestState::Disputed as i32 || r.servers.contains(&self.me) {
                    return;
                }
                tracing::warn!(
                    request = id,
                    dispute_deadline = r.dispute_deadline,
                    "redundant tie of other servers"
                );
                self.state.watched.insert(
                    id,
                    WatchRecord {
                        model_id: r.model_id,
                        server: r.servers.join(","),
                        stage: WatchStage::Challenged,
                        posted: Vec::new(),
                        expected: Vec::new(),
                        dispute_deadline: r.dispute_deadline,
                        txhash: String::new(),
                        error: None,
                    },
                );
                self.save();
                return self.after_challenge(id, &r, h, &local, &record).await;
            }
            // A fresh answer: only an optimistic one of another server, in its window.
            if r.mode != VerificationMode::Optimistic as i32
                || r.state != RequestState::ChallengeWindow as i32
                || r.servers.contains(&self.me)
                || h >= r.challenge_deadline
            {
                return;
            }
            let expected = match local.answer(&record, &r.input) {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(request = id, error = %one_line(&e), "recomputing; not checked");
                    return;
                }
            };
            let wrong = expected != r.output;
            let server = r.servers.first().cloned().unwrap_or_default();
            self.state.watched.insert(
                id,
                WatchRecord {
                    model_id: r.model_id,
                    server: server.clone(),
                    stage: if wrong {
                        WatchStage::Challenging
                    } else {
                        WatchStage::Agreed
                    },
                    posted: r.output.clone(),
                    expected: expected.clone(),
                    dispute_deadline: 0,
                    txhash: String::new(),
                    error: None,
                },
            );
            // Recorded before the challenge is sent: a restart reads the chain first.
            self.save();
            if !wrong {
                tracing::info!(request = id, server = %server, "optimistic answer checked: right");
                return;
            }
            tracing::warn!(request = id, server = %server, posted = ?r.output, expected = ?expected, "wrong optimistic answer");
            return self.challenge(id, &r, h, &local, &record).await;
        };
        match rec.stage {
            WatchStage::Challenging => self.challenge(id, &r, h, &local, &record).await,
            WatchStage::Challenged => self.after_challenge(id, &r, h, &local, &record).await,
            _ => {}
        }
    }

    /// Sends our `MsgChallenge` of request `id`, unless the chain already has a challenge
    /// (ours: recorded; another's: settled for us).
    pub(crate) async fn challenge(
        &mut self,
        id: u64,
        r: &pb::Request,
        h: u64,
        local: &LocalModel,
        record: &pb::Model,
    ) {
        if r.state == RequestState::Disputed as i32 {
            return self.found_challenge(id, r, h, local, record).await;
        }
        if r.state != RequestState::ChallengeWindow as i32 || h >= r.challenge_deadline {
            return self.watch_done(
                id,
                WatchStage::Skipped,
                Some(format!(
                    "not challengeable any more (state {}, height {h}, window until {})",
                    r.state, r.challenge_deadline
                )),
            );
        }
        let bond = match self.params().await {
            Ok(p) => match p.challenge_bond {
                Some(b) => b,
                None => {
                    return self.watch_done(
                        id,
                        WatchStage::Skipped,
                        Some("the chain has no challenge_bond".into()),
                    )
                }
            },
            Err(e) => {
                tracing::warn!(error = %one_line(&e), "reading params; trying again later");
                return;
            }
        };
        let msg = pb::MsgChallenge {
            challenger: self.me.clone(),
            request_id: id,
            bond: Some(bond.clone()),
        };
        match self.chain.send(vec![any(&msg)]).await {
            Ok(c) if c.ok() => {
                let deadline = typed_events_in::<pb::EventChallengeOpened>(&c.events)
                    .into_iter()
                    .find(|e| e.request_id == id)
                    .map(|e| e.response_deadline)
                    .unwrap_or(0);
                tracing::warn!(request = id, tx = %c.txhash, bond = %format!("{}{}", bond.amount, bond.denom), "challenged");
                if let Some(w) = self.state.watched.get_mut(&id) {
                    w.stage = WatchStage::Challenged;
                    w.txhash = c.txhash.clone();
                    w.dispute_deadline = deadline;
                }
                self.save();
                if !crate::models::has_key(record) {
                    // Nothing to wait for: re-execution is the only settlement.
                    if let Ok(Some(r)) = self.chain.request(id).await {
                        self.after_challenge(id, &r, h, local, record).await;
                    }
                }
            }
            Ok(c) => {
                tracing::warn!(request = id, code = c.code, log = %c.raw_log, "MsgChallenge refused");
                self.challenge_failed(id).await
            }
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "challenging");
                self.challenge_failed(id).await
            }
        }
    }

    /// A challenge that failed or was not seen committed: the chain's challenge decides.
    pub(crate) async fn challenge_failed(&mut self, id: u64) {
        if let Ok(Some(r)) = self.chain.request(id).await {
            if r.state == RequestState::Disputed as i32 {
                if let (Some(local), Some(record), Ok(h)) = (
                    self.served.get(&r.model_id).cloned(),
                    self.records.get(&r.model_id).cloned(),
                    self.chain.height().await,
                ) {
                    return self.found_challenge(id, &r, h, &local, &record).await;
                }
            }
        }
        if !self.may_retry_dispute(id) {
            self.watch_done(id, WatchStage::Skipped, Some("MsgChallenge failed".into()));
        }
    }

    /// The request is disputed: by our challenge (recorded, then moved on) or another's.
    pub(crate) async fn found_challenge(
        &mut self,
        id: u64,
        r: &pb::Request,
        h: u64,
        local: &LocalModel,
        record: &pb::Model,
    ) {
        match self.chain.challenge(id).await {
            Ok(Some(ch)) if ch.challenger == self.me => {
                tracing::info!(request = id, "our challenge is on chain");
                if let Some(w) = self.state.watched.get_mut(&id) {
                    w.stage = WatchStage::Challenged;
                    w.dispute_deadline = ch.response_deadline;
                }
                self.save();
                self.after_challenge(id, r, h, local, record).await
            }
            Ok(_) => self.watch_done(
                id,
                WatchStage::Settled,
                Some("challenged by another first".into()),
            ),
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the challenge; trying again later")
            }
        }
    }

    /// Our challenge (or another servers' redundant tie) is open: adjudicate at once for a
    /// model without key, else once the response window is about to end with the dispute
    /// still open (a server may settle it with a proof first).
    pub(crate) async fn after_challenge(
        &mut self,
        id: u64,
        r: &pb::Request,
        h: u64,
        local: &LocalModel,
        record: &pb::Model,
    ) {
        if r.state != RequestState::Disputed as i32 {
            tracing::info!(request = id, state = r.state, "our challenge is settled");
            return self.watch_done(id, WatchStage::Settled, None);
        }
        if h >= r.dispute_deadline {
            // Lands too late; the chain times the dispute out (a keyed model: the server
            // loses for not proving).
            return;
        }
        let keyed = crate::models::has_key(record);
        if keyed && h.saturating_add(ADJUDICATE_MARGIN) < r.dispute_deadline {
            return; // the server's response window is still running
        }
        match self.adjudicate(id, local).await {
            Ok(txhash) => {
                if let Some(w) = self.state.watched.get_mut(&id) {
                    w.stage = WatchStage::Adjudicated;
                    w.txhash = txhash;
                }
                self.save();
            }
            Err(e) => {
                if let Ok(Some(r)) = self.chain.request(id).await {
                    if r.state != RequestState::Disputed as i32 {
                        return self.watch_done(id, WatchStage::Settled, None);
                    }
                }
                if !self.may_retry_dispute(id) {
                    self.watch_done(id, WatchStage::Skipped, Some(e));
                } else {
                    tracing::warn!(request = id, error = %e, "adjudicating; trying again");
                }
            }
        }
    }
}
