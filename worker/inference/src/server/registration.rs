//! The models served (read from the model directory and checked against their chain
//! records) and this server's registration as a server of each.

use deai_proto::inference::v1::ServerState as PbServerState;

use super::*;

impl<C: Chain> Server<C> {
    /// Reads the model directory (once per model) and checks every model not yet served
    /// against its chain record. A model the chain does not know yet, or that could not be
    /// read from the chain, is tried again at the next reconcile. `Err` only when the
    /// directory itself cannot be read.
    pub async fn load_models(&mut self) -> anyhow::Result<()> {
        let dirs = model_dirs(&self.cfg.model_dir)?;
        for (id, dir) in dirs {
            if self.served.contains_key(&id) || self.refused.contains_key(&id) {
                continue;
            }
            let local = self.local.entry(id).or_insert_with(|| {
                tracing::info!(model = id, dir = %dir.display(), "reading model");
                LocalModel::read(id, &dir)
                    .map(Arc::new)
                    .map_err(|e| one_line(&e))
            });
            let local = match local {
                Ok(m) => m.clone(),
                Err(e) => {
                    tracing::error!(model = id, error = %e, "model refused");
                    self.refused.insert(id, e.clone());
                    continue;
                }
            };
            match self.chain.model(id).await {
                Ok(Some(m)) => match local.check(&m) {
                    Ok(()) => {
                        tracing::info!(model = id, name = %m.name, keyed = crate::models::has_key(&m), "model served");
                        self.served.insert(id, local);
                        self.records.insert(id, m);
                    }
                    Err(e) => {
                        let e = one_line(&e);
                        tracing::error!(model = id, error = %e, "model refused");
                        self.refused.insert(id, e);
                    }
                },
                Ok(None) => {
                    tracing::warn!(
                        model = id,
                        "model not registered on chain (yet); trying again later"
                    )
                }
                Err(e) => {
                    tracing::warn!(model = id, error = %one_line(&e), "reading model from the chain; trying again later")
                }
            }
        }
        Ok(())
    }

    pub(super) async fn params(&mut self) -> anyhow::Result<pb::Params> {
        if let Some(p) = &self.params {
            return Ok(p.clone());
        }
        let p = self.chain.params().await?;
        self.params = Some(p.clone());
        Ok(p)
    }

    /// Registers as a server of every served model it is not a server of yet (one
    /// `MsgRegisterServer` each). A failure is logged and retried at the next reconcile.
    pub async fn ensure_registered(&mut self) {
        let ids: Vec<u64> = self
            .served
            .keys()
            .filter(|id| !self.registered.contains(id))
            .copied()
            .collect();
        for id in ids {
            match self.chain.server(id, &self.me).await {
                Ok(Some(s)) if s.state == PbServerState::Active as i32 => {
                    tracing::info!(model = id, server = %self.me, "server already registered");
                    self.registered.insert(id);
                    continue;
                }
                Ok(Some(s)) => {
                    tracing::warn!(model = id, unbonding_end = s.unbonding_end, "server is unbonding: it gets no new requests until it is removed and registered again");
                    continue;
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(model = id, error = %one_line(&e), "reading the server registration");
                    continue;
                }
            }
            let stake = match &self.cfg.stake {
                Some(c) => c.to_proto(),
                None => match self.params().await {
                    Ok(p) => match p.server_min_stake {
                        Some(c) => c,
                        None => {
                            tracing::warn!("the chain has no server_min_stake; pass --stake");
                            continue;
                        }
                    },
                    Err(e) => {
                        tracing::warn!(error = %one_line(&e), "reading params");
                        continue;
                    }
                },
            };
            let msg = pb::MsgRegisterServer {
                server: self.me.clone(),
                model_id: id,
                stake: Some(stake.clone()),
            };
            match self.chain.send(vec![any(&msg)]).await {
                Ok(c) if c.ok() => {
                    tracing::info!(model = id, stake = %format!("{}{}", stake.amount, stake.denom), tx = %c.txhash, "server registered");
                    self.registered.insert(id);
                }
                Ok(c) => {
                    tracing::error!(model = id, code = c.code, log = %c.raw_log, "server registration refused; trying again later")
                }
                Err(e) => {
                    tracing::warn!(model = id, error = %one_line(&e), "registering the server; trying again later")
                }
            }
        }
    }
}
