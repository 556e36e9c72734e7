//! Defending this server's own challenged answers: a proof when the model has a key, else
//! (or when the proof is refused) adjudication with the canonical quantized weights.

use super::*;

impl<C: Chain> Server<C> {
    /// Counts a failed dispute tx; whether it may be tried again.
    pub(crate) fn may_retry_dispute(&mut self, id: u64) -> bool {
        let n = self.dispute_attempts.entry(id).or_insert(0);
        *n += 1;
        *n < MAX_ATTEMPTS
    }

    pub(crate) fn defense_failed(&mut self, id: u64, error: String) {
        if let Some(d) = self.state.defenses.get_mut(&id) {
            tracing::error!(request = id, error = %error, "dispute not defended");
            d.stage = DefenseStage::Failed;
            d.error = Some(error);
            self.save();
        }
    }

    /// Defends every open dispute of its answers.
    pub async fn defend_all(&mut self) {
        let open: Vec<u64> = self
            .state
            .defenses
            .iter()
            .filter(|(_, d)| !d.stage.finished())
            .map(|(id, _)| *id)
            .collect();
        for id in open {
            self.defend(id).await;
        }
    }

    /// Defends request `id`'s disputed answer: reads the chain first (still disputed,
    /// before its deadline, this server's posted output is the one its model computes),
    /// then sends `MsgRespondChallenge` with a proof of the posted output (recorded first)
    /// when the model has a key, else (or if the proof is refused) `MsgAdjudicate` with the
    /// canonical quantized weights.
    pub async fn defend(&mut self, id: u64) {
        let Some(d) = self.state.defenses.get(&id).cloned() else {
            return;
        };
        if d.stage.finished() {
            return;
        }
        let r = match self.chain.request(id).await {
            Ok(Some(r)) => r,
            Ok(None) => return self.defense_failed(id, "the chain has no such request".into()),
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the request; trying again later");
                return;
            }
        };
        if r.state != RequestState::Disputed as i32 {
            if let Ok(s) = RequestState::try_from(r.state) {
                self.ended(id, s);
            }
            return self.dispute_ended(id);
        }
        match self.chain.height().await {
            Ok(h) if h >= r.dispute_deadline => {
                return self.defense_failed(
                    id,
                    format!(
                        "height {h}: too late for the dispute's deadline {}",
                        r.dispute_deadline
                    ),
                )
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the height; trying again later");
                return;
            }
        }
        let posted = match self.chain.submissions(id).await {
            Ok(subs) => match subs.into_iter().find(|s| s.server == self.me) {
                Some(s) => s.output,
                None => return self.defense_failed(id, "no answer of this server".into()),
            },
            Err(e) => {
                tracing::warn!(request = id, error = %one_line(&e), "reading the submissions; trying again later");
                return;
            }
        };
        let (Some(local), Some(record)) = (
            self.served.get(&r.model_id).cloned(),
            self.records.get(&r.model_id).cloned(),
        ) else {
            return self.defense_failed(id, format!("model {} is not served here", r.model_id));
        };
        match local.answer(&record, &r.input) {
            Ok(o) if o == posted => {}
            Ok(o) => {
                return self.defense_failed(
                    id,
                    format!("the posted output {posted:?} is not this model's {o:?}"),
                )
            }
            Err(e) => return self.defense_failed(id, format!("inference: {}", one_line(&e))),
        }
        let proof_refused = self.dispute_attempts.get(&id).copied().unwrap_or(0) > 0;
        if crate::models::has_key(&record) && local.zk.is_some() && !proof_refused {
            let proof = if d.stage == DefenseStage::Proved && !d.proof.is_empty() {
                match hex::decode(&d.proof) {
                    Ok(p) => p,
                    Err(e) => return self.defense_failed(id, format!("recorded proof: {e}")),
                }
            } else {
                let context = request_context(&self.chain_id, id, &self.me);
                let input = r.input.clone();
                let m = local.clone();
                let proved =
                    tokio::task::spawn_blocking(move || prove_request(&m, &input, &context)).await;
                let out = match proved {
                    Ok(Ok(out)) => out,
                    Ok(Err(e)) => {
                        return self.defense_failed(id, format!("proving: {}", one_line(&e)))
                    }
                    Err(e) => return self.defense_failed(id, format!("proving task: {e}")),
                };
                if out.statement.output != posted {
                    return self.defense_failed(id, "the proof is of another output".into());
                }
                if let Some(d) = self.state.defenses.get_mut(&id) {
                    d.stage = DefenseStage::Proved;
                    d.proof = hex::encode(&out.proof);
                }
                self.save();
                out.proof
            };
            let msg = pb::MsgRespondChallenge {
                server: self.me.clone(),
                request_id: id,
                proof,
            };
            match self.chain.send(vec![any(&msg)]).await {
                Ok(c) if c.ok() => {
                    if let Some(d) = self.state.defenses.get_mut(&id) {
                        d.stage = DefenseStage::Responded;
                        d.txhash = c.txhash.clone();
                    }
                    self.save();
                    tracing::info!(request = id, tx = %c.txhash, "challenge answered with a proof");
                    return;
                }
                Ok(c) => {
                    tracing::warn!(request = id, code = c.code, log = %c.raw_log, "MsgRespondChallenge refused; adjudicating instead");
                }
                Err(e) => {
                    tracing::warn!(request = id, error = %one_line(&e), "responding to the challenge; trying again");
                }
            }
            if self.settled_meanwhile(id).await {
                return;
            }
            if !self.may_retry_dispute(id) {
                return self.defense_failed(id, "MsgRespondChallenge failed".into());
            }
            // A refused proof falls back to re-execution at once.
        }
        match self.adjudicate(id, &local).await {
            Ok(txhash) => {
                if let Some(d) = self.state.defenses.get_mut(&id) {
                    d.stage = DefenseStage::Adjudicated;
                    d.txhash = txhash;
                }
                self.save();
            }
            Err(e) => {
                if self.settled_meanwhile(id).await {
                    return;
                }
                if !self.may_retry_dispute(id) {
                    self.defense_failed(id, e);
                } else {
                    tracing::warn!(request = id, error = %e, "adjudicating; trying again");
                }
            }
        }
    }

    /// Whether a dispute tx that failed (or was not seen committed) was settled on chain
    /// after all; recorded if so.
    pub(crate) async fn settled_meanwhile(&mut self, id: u64) -> bool {
        match self.chain.request(id).await {
            Ok(Some(r)) if r.state != RequestState::Disputed as i32 => {
                if let Ok(s) = RequestState::try_from(r.state) {
                    self.ended(id, s);
                }
                self.dispute_ended(id);
                true
            }
            _ => false,
        }
    }

    /// Sends `MsgAdjudicate{request, canonical quantized weights}` for a disputed request,
    /// within the chain's re-execution bounds; the committed tx's hash.
    pub(crate) async fn adjudicate(
        &mut self,
        id: u64,
        local: &LocalModel,
    ) -> Result<String, String> {
        let params = self.params().await.map_err(|e| one_line(&e))?;
        let macs = local.model.macs();
        if macs > params.max_adjudication_macs {
            return Err(format!(
                "the model takes {macs} multiply-accumulates, the chain re-executes at most {}",
                params.max_adjudication_macs
            ));
        }
        let weights = local.canonical_bytes();
        if weights.len() as u64 > params.max_adjudication_bytes {
            return Err(format!(
                "{} bytes of weights, the chain takes at most {}",
                weights.len(),
                params.max_adjudication_bytes
            ));
        }
        let msg = pb::MsgAdjudicate {
            sender: self.me.clone(),
            request_id: id,
            quantized_weights: weights,
        };
        match self.chain.send(vec![any(&msg)]).await {
            Ok(c) if c.ok() => {
                tracing::info!(request = id, tx = %c.txhash, "adjudicated with the canonical weights");
                Ok(c.txhash)
            }
            Ok(c) => Err(format!(
                "MsgAdjudicate refused: code {} ({}): {}",
                c.code, c.codespace, c.raw_log
            )),
            Err(e) => Err(one_line(&e)),
        }
    }
}
