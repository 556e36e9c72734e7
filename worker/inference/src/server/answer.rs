//! Answering an assigned request: check the chain, compute (and in zk mode prove), record,
//! submit; a refused submission is checked against the chain before it is tried again.

use super::*;

impl<C: Chain> Server<C> {
    /// Answers request `id`: checks the chain first (still pending, assigned to this server,
    /// not answered by it yet, before its deadline), computes the output (and in zk mode
    /// proves it) unless an answer is recorded, records it, then submits it. A request the
    /// chain could not be asked about stays for the next reconcile.
    pub async fn serve(&mut self, id: u64) {
        let Some(rec) = self.state.requests.get(&id).cloned() else {
            return;
        };
        if rec.stage.finished() {
            return;
        }
        let r = match self.chain.request(id).await {
            Ok(Some(r)) => r,
            Ok(None) => return self.fail(id, "the chain has no such request".into()),
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the request; trying again later");
                return;
            }
        };
        match RequestState::try_from(r.state) {
            Ok(RequestState::Pending) => {}
            Ok(s) if s != RequestState::Unspecified => return self.ended(id, s),
            _ => return self.fail(id, format!("request in state {}", r.state)),
        }
        if !r.servers.contains(&self.me) {
            return self.fail(id, "not assigned to this server".into());
        }
        let mode = match VerificationMode::try_from(r.mode) {
            Ok(VerificationMode::Zk) => AnswerMode::Zk,
            Ok(VerificationMode::Optimistic) => AnswerMode::Optimistic,
            Ok(VerificationMode::Redundant) => AnswerMode::Redundant,
            _ => return self.fail(id, format!("unknown mode {}", r.mode)),
        };
        let Some(model) = self.served.get(&r.model_id).cloned() else {
            if self.local.get(&r.model_id).is_some_and(|m| m.is_ok())
                && !self.refused.contains_key(&r.model_id)
            {
                tracing::warn!(
                    request = id,
                    model = r.model_id,
                    "model not checked against the chain yet; trying again later"
                );
                return;
            }
            return self.fail(id, format!("model {} is not served here", r.model_id));
        };
        if mode == AnswerMode::Redundant {
            // Each drawn server answers once: the chain's record decides.
            match self.chain.submissions(id).await {
                Ok(subs) if subs.iter().any(|s| s.server == self.me) => {
                    self.dequeue(id);
                    if let Some(rec) = self.state.requests.get_mut(&id) {
                        tracing::info!(request = id, "inference already on chain");
                        rec.stage = Stage::Submitted;
                    }
                    self.save();
                    return;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(request = id, error = %one_line(&e), "reading the submissions; trying again later");
                    return;
                }
            }
        }
        match self.chain.height().await {
            // The tx lands in a later block, which must not be past the deadline.
            Ok(h) if h >= r.deadline => {
                tracing::warn!(
                    request = id,
                    height = h,
                    deadline = r.deadline,
                    "too late to answer"
                );
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the height; trying again later");
                return;
            }
        }
        let ready = match mode {
            AnswerMode::Zk => rec.stage == Stage::Proved && !rec.proof.is_empty(),
            _ => rec.stage == Stage::Computed && !rec.output.is_empty(),
        };
        let (output, proof) = if ready {
            match hex::decode(&rec.proof) {
                Ok(p) => (rec.output.clone(), p),
                Err(e) => return self.fail(id, format!("recorded proof: {e}")),
            }
        } else if mode == AnswerMode::Zk {
            let context = request_context(&self.chain_id, id, &self.me);
            let input = r.input.clone();
            let m = model.clone();
            let started = std::time::Instant::now();
            let proved =
                tokio::task::spawn_blocking(move || prove_request(&m, &input, &context)).await;
            let out = match proved {
                Ok(Ok(out)) => out,
                Ok(Err(e)) => return self.fail(id, format!("proving: {}", one_line(&e))),
                Err(e) => return self.fail(id, format!("proving task: {e}")),
            };
            tracing::info!(
                request = id,
                seconds = started.elapsed().as_secs_f64(),
                "proved"
            );
            let output = out.statement.output.clone();
            if let Some(rec) = self.state.requests.get_mut(&id) {
                rec.stage = Stage::Proved;
                rec.output = output.clone();
                rec.proof = hex::encode(&out.proof);
            }
            // Recorded before it is sent: a restart submits this answer, not a new one.
            self.save();
            (output, out.proof)
        } else {
            let Some(record) = self.records.get(&r.model_id) else {
                return self.fail(id, format!("model {} has no chain record", r.model_id));
            };
            let output = match model.answer(record, &r.input) {
                Ok(o) => o,
                Err(e) => return self.fail(id, format!("inference: {}", one_line(&e))),
            };
            tracing::info!(request = id, mode = ?mode, "computed");
            if let Some(rec) = self.state.requests.get_mut(&id) {
                rec.stage = Stage::Computed;
                rec.mode = mode;
                rec.output = output.clone();
            }
            self.save();
            (output, Vec::new())
        };
        let msg = pb::MsgSubmitInference {
            server: self.me.clone(),
            request_id: id,
            output: output.clone(),
            proof,
        };
        match self.chain.send(vec![any(&msg)]).await {
            Ok(c) if c.ok() => {
                self.dequeue(id);
                if let Some(rec) = self.state.requests.get_mut(&id) {
                    rec.stage = Stage::Submitted;
                    rec.txhash = c.txhash.clone();
                }
                self.save();
                tracing::info!(request = id, mode = ?mode, tx = %c.txhash, height = %c.height, output = ?output, "inference submitted");
            }
            Ok(c) => {
                let e = format!(
                    "MsgSubmitInference refused: code {} ({}): {}",
                    c.code, c.codespace, c.raw_log
                );
                self.after_failed_submit(id, e).await
            }
            Err(e) => self.after_failed_submit(id, one_line(&e)).await,
        }
    }

    /// A submission failed (refused, or not seen committed): if the chain has the request
    /// answered after all (or, redundant, has this server's answer), that is recorded;
    /// otherwise it is tried again later, up to [`MAX_ATTEMPTS`] submissions.
    pub(crate) async fn after_failed_submit(&mut self, id: u64, error: String) {
        if let Ok(Some(r)) = self.chain.request(id).await {
            match RequestState::try_from(r.state) {
                Ok(RequestState::Pending) | Err(_) => {}
                Ok(s) => return self.ended(id, s),
            }
            if r.mode == VerificationMode::Redundant as i32 {
                if let Ok(subs) = self.chain.submissions(id).await {
                    if subs.iter().any(|s| s.server == self.me) {
                        self.dequeue(id);
                        if let Some(rec) = self.state.requests.get_mut(&id) {
                            tracing::info!(request = id, "inference already on chain");
                            rec.stage = Stage::Submitted;
                        }
                        self.save();
                        return;
                    }
                }
            }
        }
        if self.may_retry(id) {
            tracing::warn!(request = id, error = %error, "submitting; trying again at the next reconcile");
        } else {
            self.fail(id, error);
        }
    }
}
