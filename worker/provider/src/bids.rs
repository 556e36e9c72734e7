//! Registration and bidding: the provider registers itself if its key has no provider, and
//! bids on the open orders it can run (see [`crate::orders::assess`]).

use std::sync::Arc;

use cosmos_sdk_proto::Any;
use deai_client::to_any;
use deai_framework::Coin;
use deai_proto::compute::v1 as pb;

use crate::c2d;
use crate::chain::Chain;
use crate::daemon::Daemon;
use crate::notices::created_bid_id;
use crate::orders::{assess, Offer, MAX_JOB_CHECKPOINTS};
use crate::state::BidRecord;

fn coin_of(
    c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>,
    what: &str,
) -> anyhow::Result<Coin> {
    let c = c
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("the chain's params have no {what}"))?;
    Coin::from_proto(c).map_err(|e| anyhow::anyhow!("{what}: {}", e.log))
}

impl<C: Chain> Daemon<C> {
    /// Sends `msgs` in one tx; `Ok` only if it committed with code 0.
    pub(crate) async fn send(
        &mut self,
        what: &str,
        msgs: Vec<Any>,
    ) -> anyhow::Result<crate::chain::Committed> {
        let c = self.chain.send(msgs).await?;
        anyhow::ensure!(
            c.ok(),
            "{what} failed in tx {}: {} (codespace {}, code {})",
            c.txhash,
            c.raw_log,
            c.codespace,
            c.code
        );
        Ok(c)
    }

    /// Registers the provider unless its key already has one.
    pub async fn ensure_registered(&mut self) -> anyhow::Result<()> {
        if let Some(p) = self.chain.provider(&self.me).await? {
            tracing::info!(provider = %self.me, host_uri = %p.host_uri, jailed = p.jailed, "provider already registered");
            if self.cfg.verifier
                && !p
                    .attributes
                    .iter()
                    .any(|a| a.key == "verifier" && a.value == "true")
            {
                tracing::warn!("--verifier is set but the registered provider lacks the attribute verifier=true (update the provider)");
            }
            return Ok(());
        }
        let params = self.params().await?;
        let stake = match &self.cfg.stake {
            Some(s) => s.clone(),
            None => coin_of(&params.provider_min_stake, "provider_min_stake")?,
        };
        let msg = pb::MsgCreateProvider {
            owner: self.me.clone(),
            host_uri: self.cfg.host_uri.clone(),
            attributes: self.cfg.offered_attributes(),
            capacity: Some(self.cfg.capacity),
            stake: Some(stake.to_proto()),
        };
        let c = self.send("MsgCreateProvider", vec![to_any(&msg)]).await?;
        tracing::info!(provider = %self.me, stake = %stake, tx = %c.txhash, "provider registered");
        Ok(())
    }

    fn offer(&self, params: &pb::Params) -> Offer {
        let chain_max = if params.max_checkpoints == 0 {
            MAX_JOB_CHECKPOINTS
        } else {
            params.max_checkpoints as usize
        };
        Offer {
            attributes: self.cfg.offered_attributes(),
            price: self.cfg.price.clone(),
            max_checkpoints: chain_max.min(MAX_JOB_CHECKPOINTS),
        }
    }

    pub(crate) async fn reconcile_orders(&mut self) {
        match self.chain.provider(&self.me).await {
            Ok(Some(p)) if p.jailed => {
                if !self.jailed {
                    tracing::warn!(provider = %self.me, "the provider is jailed: it places no bids");
                }
                self.jailed = true;
                return;
            }
            Ok(_) => self.jailed = false,
            Err(e) => tracing::warn!(error = %crate::one_line(&e), "reading the provider"),
        }
        match self.chain.open_orders().await {
            Ok(orders) => {
                for o in orders {
                    self.consider_order(o).await;
                }
            }
            Err(e) => tracing::warn!(error = %crate::one_line(&e), "reading open orders"),
        }
    }

    pub(crate) async fn consider_order_id(&mut self, order_id: u64) {
        if self.state.bids.contains_key(&order_id) || self.refused.contains(&order_id) {
            return;
        }
        match self.chain.order(order_id).await {
            Ok(Some(o)) => self.consider_order(o).await,
            Ok(None) => tracing::warn!(order = order_id, "order not found"),
            Err(e) => {
                tracing::warn!(order = order_id, error = %crate::one_line(&e), "reading order")
            }
        }
    }

    /// Bids on `order` once, if the provider can run it.
    pub(crate) async fn consider_order(&mut self, order: pb::Order) {
        let id = order.id;
        if self.jailed || self.state.bids.contains_key(&id) || self.refused.contains(&id) {
            return;
        }
        let params = match self.params().await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(order = id, error = %crate::one_line(&e), "reading params");
                return;
            }
        };
        let offer = self.offer(&params);
        // Compute-to-data: only the dataset's provider bids, and only on local data.
        let dataset = if order.dataset_id == 0 {
            None
        } else {
            match self.chain.dataset(order.dataset_id).await {
                Ok(d) => {
                    if let Some(why) = c2d::refusal(&order, d.as_ref(), &self.me) {
                        tracing::info!(reason = %why, "order skipped order={id}");
                        self.refused.insert(id);
                        return;
                    }
                    d
                }
                Err(e) => {
                    tracing::warn!(order = id, error = %crate::one_line(&e), "reading the order's dataset");
                    return;
                }
            }
        };
        // Resolving the data and planning the job reads the dataset: off the event loop.
        let runner = Arc::clone(&self.runner);
        let store = Arc::clone(&self.store);
        let verdict = tokio::task::spawn_blocking(move || {
            assess(&order, &offer, |spec| {
                // Checked before the runner resolves anything, so nothing is fetched.
                if let Some(d) = &dataset {
                    c2d::local_data(spec, d, runner.as_ref(), &store)?;
                }
                runner.checkpoints(spec)
            })
        })
        .await;
        let spec = match verdict {
            Ok(Ok(spec)) => spec,
            Ok(Err(why)) => {
                tracing::info!(reason = %why, "order refused order={id}");
                self.refused.insert(id);
                return;
            }
            Err(e) => {
                tracing::error!(order = id, error = %e, "assessing the order failed");
                self.refused.insert(id);
                return;
            }
        };
        let deposit = match &self.cfg.bid_deposit {
            Some(d) => d.clone(),
            None => match coin_of(&params.bid_min_deposit, "bid_min_deposit") {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(order = id, error = %crate::one_line(&e), "no bid deposit");
                    return;
                }
            },
        };
        let msg = pb::MsgCreateBid {
            provider: self.me.clone(),
            order_id: id,
            price: Some(self.cfg.price.to_proto()),
            deposit: Some(deposit.to_proto()),
        };
        match self.send("MsgCreateBid", vec![to_any(&msg)]).await {
            Ok(c) => {
                let bid_id = created_bid_id(&c.events).unwrap_or(0);
                self.state.bids.insert(
                    id,
                    BidRecord {
                        bid_id,
                        price: self.cfg.price.to_string(),
                    },
                );
                self.save();
                tracing::info!(price = %self.cfg.price, spec = %spec.hash(), tx = %c.txhash, "bid placed order={id} bid={bid_id}");
            }
            Err(e) => {
                // Not retried: the order may have closed or filled; a restart re-assesses it.
                tracing::warn!(error = %crate::one_line(&e), "bid not placed order={id}");
                self.refused.insert(id);
            }
        }
    }
}
