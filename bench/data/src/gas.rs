//! Part 1: gas and wall time of each data message, and of the data module's `end_block`
//! when it settles a pool epoch of n scored contributions or refunds n undelivered grants,
//! driving the real deai-data module on an in-memory store the way the app's FinalizeBlock
//! runs it (decoded through the `Router`, executed on a `Ctx` overlay with a `GasMeter`;
//! see `deai_bench_common::exec`).
//!
//! Every measured run executes on an overlay of a prepared state and is never applied, so
//! each timed repetition does exactly the same work.

use anyhow::{anyhow, bail, Context, Result};
use prost::Name;
use sha2::{Digest, Sha256};

use deai_bench_common::exec::{any, coin, repeat, run_hook, run_msg, Run, DENOM};
use deai_bench_common::rng::SplitMix64 as Rng;
use deai_bench_common::stats::Summary;
use deai_data::{DataModule, DataRead, DataWrite, MAX_REFUNDS_PER_BLOCK};
use deai_framework::{Address, MemStore, Module, Router, StateRead};
use deai_proto::data::v1 as pb;

const FUNDS: u128 = 1_000_000_000_000_000;
/// Price of one datatoken.
const PRICE: u128 = 1_000;
/// Validators of every pool; each scores every contribution.
pub const VALIDATORS: usize = 3;
/// Pool epochs: created at [`POOL_HEIGHT`], settled by end_block at POOL_HEIGHT + EPOCH - 1.
const EPOCH: u64 = 100;
const POOL_HEIGHT: u64 = 10;
/// A wrapped data key as worker/data makes it.
const WRAPPED_KEY_LEN: usize = deai_worker_data::WRAPPED_KEY_LEN;

// Accounts.
const AUTHORITY: usize = 0;
const PUBLISHER: usize = 1;
const PROVIDER: usize = 2;
const BUYER: usize = 3;
const OWNER: usize = 4;
const FIRST_VALIDATOR: usize = 5;
const FIRST_CONTRIBUTOR: usize = FIRST_VALIDATOR + VALIDATORS;

/// Gas and time of one measured operation.
pub struct Row {
    pub what: String,
    /// The size of a block hook's work (contributions settled, grants refunded).
    pub n: Option<usize>,
    pub gas: u64,
    pub writes: usize,
    pub events: usize,
    pub time: Summary,
}

/// What part 1 measured.
pub struct Report {
    pub messages: Vec<Row>,
    pub blocks: Vec<Row>,
    /// Refund counts asked for above [`MAX_REFUNDS_PER_BLOCK`] (measured at the cap).
    pub refunds_capped: bool,
}

fn addr(i: usize) -> Address {
    let h: [u8; 32] = Sha256::new()
        .chain_update(b"deai/data-bench/account")
        .chain_update((i as u64).to_be_bytes())
        .finalize()
        .into();
    let mut a = [0u8; 20];
    a.copy_from_slice(&h[..20]);
    Address::from_hash20(a)
}

fn bech(i: usize) -> String {
    addr(i).to_bech32()
}

fn router() -> Router {
    let mut r = Router::new();
    deai_auth::AuthModule.register(&mut r);
    deai_bank::BankModule.register(&mut r);
    DataModule.register(&mut r);
    r
}

/// Auth, bank and data genesis with `accounts` funded accounts; data's params allow `n`
/// contributions an epoch and purchases of `n` tokens.
fn genesis(accounts: &[Address], n: usize) -> Result<MemStore> {
    let balances: Vec<_> = accounts
        .iter()
        .map(|a| {
            serde_json::json!({"address": a.to_bech32(),
                "coins": [{"denom": DENOM, "amount": FUNDS.to_string()}]})
        })
        .collect();
    let app = serde_json::json!({
        "auth": {"accounts": []},
        "bank": {"balances": balances},
        "data": {"authority": bech(AUTHORITY)},
    });
    let mut s = MemStore::new();
    let modules: [&dyn Module; 3] = [&deai_auth::AuthModule, &deai_bank::BankModule, &DataModule];
    for m in modules {
        m.init_genesis(&mut s, &app[m.name()])
            .map_err(|e| anyhow!("{} genesis: {e:?}", m.name()))?;
    }
    let mut p = s.data_params().map_err(|e| anyhow!("params: {e:?}"))?;
    let n32 = u32::try_from(n).context("n")?;
    p.max_contributions_per_epoch = p.max_contributions_per_epoch.max(n32);
    p.max_buy_count = p.max_buy_count.max(n as u64);
    s.set_data_params(&p)
        .map_err(|e| anyhow!("params: {e:?}"))?;
    Ok(s)
}

/// The chain being driven.
struct World {
    s: MemStore,
    router: Router,
    runs: usize,
}

impl World {
    /// Accounts 0..accounts and `extra` funded.
    fn new(accounts: usize, extra: &[Address], n: usize, runs: usize) -> Result<Self> {
        let all: Vec<Address> = (0..accounts)
            .map(addr)
            .chain(extra.iter().cloned())
            .collect();
        Ok(Self {
            s: genesis(&all, n)?,
            router: router(),
            runs,
        })
    }

    fn run<P: prost::Message + Name>(&self, h: u64, p: &P) -> Result<Run> {
        run_msg(&self.router, &self.s, h, &any(p))
            .map_err(|e| anyhow!("{} at {h}: {e:?}", P::type_url()))
    }

    /// Runs `p` at `h` and applies its writes; its decoded response.
    fn apply<P: prost::Message + Name, R: prost::Message + Default>(
        &mut self,
        h: u64,
        p: &P,
    ) -> Result<R> {
        let mut run = self.run(h, p)?;
        self.s.apply(std::mem::take(&mut run.writes));
        R::decode(run.response.value.as_slice()).context("response")
    }

    /// Times `p` at `h` on the current state (never applied).
    fn measure<P: prost::Message + Name>(&self, what: &str, h: u64, p: &P) -> Result<Row> {
        self.run(h, p)?; // a clear error before repeat's panic
        let m = any(p);
        let (first, time) = repeat(what, 10, self.runs, || {
            run_msg(&self.router, &self.s, h, &m).map_err(|e| format!("{e:?}"))
        });
        Ok(row(what, None, &first, time))
    }

    /// Times data's end_block at `h` on the current state (never applied); also returns
    /// its writes applied to a copy, to check what it did.
    fn measure_end_block(&self, what: &str, n: usize, h: u64) -> Result<(Row, MemStore)> {
        let hook = |s: &dyn StateRead| run_hook(s, h, |ctx| DataModule.end_block(ctx));
        let mut after = self.s.clone();
        let run = hook(&self.s).map_err(|e| anyhow!("end_block at {h}: {e:?}"))?;
        after.apply(run.writes);
        let (first, time) = repeat(what, 2, self.runs, || {
            hook(&self.s).map_err(|e| format!("{e:?}"))
        });
        Ok((row(what, Some(n), &first, time), after))
    }
}

fn row(what: &str, n: Option<usize>, r: &Run, time: Summary) -> Row {
    Row {
        what: what.into(),
        n,
        gas: r.gas,
        writes: r.writes.len(),
        events: r.events,
        time,
    }
}

fn publish_msg() -> pb::MsgPublishDataset {
    pb::MsgPublishDataset {
        publisher: bech(PUBLISHER),
        content_sha256: vec![7; 32],
        size: 100_000_000,
        metadata: r#"{"name":"weather","license":"CC-BY-4.0"}"#.into(),
        price: Some(coin(PRICE)),
        provider: Some(pb::Provider {
            address: bech(PROVIDER),
            host_uri: "https://provider.example".into(),
        }),
        access: pb::Access::Encrypted as i32,
    }
}

fn buy_msg(buyer: &str, dataset_id: u64, count: u64) -> pb::MsgBuyAccess {
    pb::MsgBuyAccess {
        buyer: buyer.into(),
        dataset_id,
        count,
        max_price: Some(coin(PRICE)),
        ..Default::default()
    }
}

fn redeem_msg(grantee: &str, dataset_id: u64) -> pb::MsgRedeemAccess {
    pb::MsgRedeemAccess {
        grantee: grantee.into(),
        dataset_id,
    }
}

fn pool_msg() -> pb::MsgCreatePool {
    pb::MsgCreatePool {
        owner: bech(OWNER),
        schema: r#"{"type":"csv","columns":65}"#.into(),
        reward_per_epoch: Some(coin(1_000_000)),
        epoch_length: EPOCH,
        min_contributor_stake: Some(coin(1_000)),
        score_threshold_u16: 30_000,
        validators: (0..VALIDATORS).map(|v| bech(FIRST_VALIDATOR + v)).collect(),
        funds: Some(coin(1_000_000_000)),
    }
}

fn bond_msg(v: usize, pool_id: u64) -> pb::MsgBondPoolValidator {
    pb::MsgBondPoolValidator {
        validator: bech(FIRST_VALIDATOR + v),
        pool_id,
        stake: Some(coin(1_000_000 * (v as u128 + 1))),
    }
}

fn contribute_msg(i: usize, pool_id: u64) -> pb::MsgContribute {
    let hash: [u8; 32] = Sha256::new()
        .chain_update(b"deai/data-bench/contribution")
        .chain_update((i as u64).to_be_bytes())
        .finalize()
        .into();
    pb::MsgContribute {
        contributor: bech(FIRST_CONTRIBUTOR + i),
        pool_id,
        content_sha256: hash.to_vec(),
        uri: format!("https://data.example/contributions/{i}.csv"),
        stake: Some(coin(1_000)),
    }
}

fn score_msg(v: usize, contribution_id: u64, score: u32) -> pb::MsgScoreContribution {
    pb::MsgScoreContribution {
        validator: bech(FIRST_VALIDATOR + v),
        contribution_id,
        score_u16: score,
    }
}

/// Every data message once, each on a state where it succeeds.
fn messages(runs: usize) -> Result<Vec<Row>> {
    let mut w = World::new(FIRST_CONTRIBUTOR + 1, &[], 100, runs)?;
    let mut rows = vec![w.measure("MsgPublishDataset", 1, &publish_msg())?];
    let r: pb::MsgPublishDatasetResponse = w.apply(1, &publish_msg())?;
    let id = r.dataset_id;
    let update = pb::MsgUpdateDataset {
        publisher: bech(PUBLISHER),
        dataset_id: id,
        metadata: r#"{"name":"weather","description":"hourly, 1990-2025","license":"CC-BY-4.0"}"#
            .into(),
        price: Some(coin(PRICE)),
        provider_host_uri: "https://provider2.example".into(),
        disabled: false,
    };
    rows.push(w.measure("MsgUpdateDataset", 2, &update)?);
    rows.push(w.measure("MsgBuyAccess (count 1)", 2, &buy_msg(&bech(BUYER), id, 1))?);
    rows.push(w.measure(
        "MsgBuyAccess (count 100)",
        2,
        &buy_msg(&bech(BUYER), id, 100),
    )?);
    w.apply::<_, pb::MsgBuyAccessResponse>(2, &buy_msg(&bech(BUYER), id, 100))?;
    rows.push(w.measure("MsgRedeemAccess", 3, &redeem_msg(&bech(BUYER), id))?);
    let g: pb::MsgRedeemAccessResponse = w.apply(3, &redeem_msg(&bech(BUYER), id))?;
    let deliver = pb::MsgDeliverKey {
        provider: bech(PROVIDER),
        grant_id: g.grant_id,
        wrapped_key: vec![0x5a; WRAPPED_KEY_LEN],
    };
    rows.push(w.measure("MsgDeliverKey", 4, &deliver)?);
    rows.push(w.measure("MsgCreatePool", POOL_HEIGHT, &pool_msg())?);
    let p: pb::MsgCreatePoolResponse = w.apply(POOL_HEIGHT, &pool_msg())?;
    rows.push(w.measure("MsgBondPoolValidator", POOL_HEIGHT, &bond_msg(0, p.pool_id))?);
    for v in 0..VALIDATORS {
        w.apply::<_, pb::MsgBondPoolValidatorResponse>(POOL_HEIGHT, &bond_msg(v, p.pool_id))?;
    }
    let contribute = contribute_msg(0, p.pool_id);
    rows.push(w.measure("MsgContribute", POOL_HEIGHT + 1, &contribute)?);
    let c: pb::MsgContributeResponse = w.apply(POOL_HEIGHT + 1, &contribute)?;
    let score = score_msg(0, c.contribution_id, 40_000);
    rows.push(w.measure("MsgScoreContribution", POOL_HEIGHT + 2, &score)?);
    Ok(rows)
}

/// end_block at a pool's settlement height, the epoch holding `n` contributions each
/// scored by every validator (a seeded quality per contribution, validators within
/// ±4,000 of it, so some contributions pass the threshold and some are slashed).
fn settle(n: usize, runs: usize, seed: u64) -> Result<Row> {
    let mut w = World::new(FIRST_CONTRIBUTOR + n, &[], n, runs)?;
    let p: pb::MsgCreatePoolResponse = w.apply(POOL_HEIGHT, &pool_msg())?;
    for v in 0..VALIDATORS {
        w.apply::<_, pb::MsgBondPoolValidatorResponse>(POOL_HEIGHT, &bond_msg(v, p.pool_id))?;
    }
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let c: pb::MsgContributeResponse =
            w.apply(POOL_HEIGHT + 1, &contribute_msg(i, p.pool_id))?;
        ids.push(c.contribution_id);
    }
    let mut rng = Rng::new(seed ^ 0x6461_7461);
    for &id in &ids {
        let quality = rng.range(0, 65_536) as i64;
        for v in 0..VALIDATORS {
            let score = (quality + rng.range(0, 8_001) as i64 - 4_000).clamp(0, 65_535);
            w.apply::<_, pb::MsgScoreContributionResponse>(
                POOL_HEIGHT + 2,
                &score_msg(v, id, score as u32),
            )?;
        }
    }
    let h = POOL_HEIGHT + EPOCH - 1;
    let (row, after) = w.measure_end_block("end_block (settle pool epoch)", n, h)?;
    for &id in &ids {
        let c = after
            .get_contribution(id)
            .map_err(|e| anyhow!("{e:?}"))?
            .ok_or_else(|| anyhow!("contribution {id} missing"))?;
        if !c.settled {
            bail!("end_block at {h} left contribution {id} unsettled");
        }
    }
    Ok(row)
}

/// end_block at the delivery deadline of `n` grants of an encrypted dataset whose keys
/// were never delivered: each refunded from the publisher's deposit.
fn refund(n: usize, runs: usize) -> Result<Row> {
    let mut w = World::new(FIRST_CONTRIBUTOR, &[], n, runs)?;
    let r: pb::MsgPublishDatasetResponse = w.apply(1, &publish_msg())?;
    w.apply::<_, pb::MsgBuyAccessResponse>(2, &buy_msg(&bech(BUYER), r.dataset_id, n as u64))?;
    let mut grants = Vec::with_capacity(n);
    let mut deadline = 0;
    for _ in 0..n {
        let g: pb::MsgRedeemAccessResponse = w.apply(3, &redeem_msg(&bech(BUYER), r.dataset_id))?;
        grants.push(g.grant_id);
        let grant =
            w.s.get_grant(g.grant_id)
                .map_err(|e| anyhow!("{e:?}"))?
                .ok_or_else(|| anyhow!("grant {} missing", g.grant_id))?;
        deadline = grant.delivery_deadline;
    }
    let (row, after) = w.measure_end_block("end_block (refund undelivered grants)", n, deadline)?;
    for &id in &grants {
        let g = after
            .get_grant(id)
            .map_err(|e| anyhow!("{e:?}"))?
            .ok_or_else(|| anyhow!("grant {id} missing"))?;
        if !g.refunded {
            bail!("end_block at {deadline} did not refund grant {id}");
        }
    }
    Ok(row)
}

/// The provider of every published dataset (bech32).
pub fn provider() -> String {
    bech(PROVIDER)
}

/// A chain where `grantee` holds `counts[i]` grants of dataset i + 1 (encrypted, provided
/// by [`provider`]), redeemed at height 3 and undelivered: what part 3's grant check reads.
pub struct GrantChain {
    pub store: MemStore,
    /// The datasets' ids, in the order of `counts`.
    pub datasets: Vec<u64>,
    /// The grant ids of each dataset.
    pub grants: Vec<Vec<u64>>,
    /// A height at which every grant is live.
    pub height: u64,
}

pub fn grant_chain(grantee: &Address, counts: &[usize]) -> Result<GrantChain> {
    let most = counts.iter().copied().max().unwrap_or(1);
    let mut w = World::new(FIRST_CONTRIBUTOR, std::slice::from_ref(grantee), most, 1)?;
    let who = grantee.to_bech32();
    let mut grants = Vec::with_capacity(counts.len());
    let mut datasets = Vec::with_capacity(counts.len());
    for &count in counts {
        let r: pb::MsgPublishDatasetResponse = w.apply(1, &publish_msg())?;
        datasets.push(r.dataset_id);
        w.apply::<_, pb::MsgBuyAccessResponse>(2, &buy_msg(&who, r.dataset_id, count as u64))?;
        let mut ids = Vec::with_capacity(count);
        for _ in 0..count {
            let g: pb::MsgRedeemAccessResponse = w.apply(3, &redeem_msg(&who, r.dataset_id))?;
            ids.push(g.grant_id);
        }
        grants.push(ids);
    }
    Ok(GrantChain {
        store: w.s,
        datasets,
        grants,
        height: 13,
    })
}

/// Part 1: every message, then the block hooks for each n (refunds capped at
/// [`MAX_REFUNDS_PER_BLOCK`], what one block refunds).
pub fn measure(ns: &[usize], runs: usize, block_runs: usize, seed: u64) -> Result<Report> {
    eprintln!("gas: messages…");
    let messages = messages(runs)?;
    let mut blocks = Vec::new();
    for &n in ns {
        eprintln!("gas: end_block settling {n} contributions…");
        blocks.push(settle(n, block_runs, seed)?);
    }
    let mut refunds: Vec<usize> = ns.iter().map(|&n| n.min(MAX_REFUNDS_PER_BLOCK)).collect();
    refunds.dedup();
    for n in refunds {
        eprintln!("gas: end_block refunding {n} grants…");
        blocks.push(refund(n, block_runs)?);
    }
    Ok(Report {
        messages,
        blocks,
        refunds_capped: ns.iter().any(|&n| n > MAX_REFUNDS_PER_BLOCK),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_and_both_block_hooks_run() {
        let r = measure(&[3, 300], 1, 1, 7).unwrap();
        assert_eq!(r.messages.len(), 10);
        assert!(r.messages.iter().all(|m| m.gas > 0 && m.writes > 0));
        let hooks: Vec<(String, Option<usize>)> =
            r.blocks.iter().map(|b| (b.what.clone(), b.n)).collect();
        assert_eq!(hooks.len(), 4);
        assert_eq!(hooks[3].1, Some(MAX_REFUNDS_PER_BLOCK));
        assert!(r.refunds_capped);
        assert!(r.blocks.iter().all(|b| b.gas > 0 && b.writes > 0));
    }
}
