//! The lazy reward index of a market: how a market's share reaches its tasks, topics or pools
//! without iterating them every block.
//!
//! Per market the mint module keeps (under its own keys):
//! - `index`: emission per unit of weight, in 10^-18 units, since the market's first share;
//! - each recipient's recorded `weight` and the `last_index` it was settled at;
//! - `total_weight`: the sum of the recorded weights (kept exact as weights are re-read);
//! - `unclaimed`: the shares received and not yet credited, held by the mint module account;
//! - `cursor`: where the rolling visit resumes.
//!
//! Every block, for each market with a sink ([`run_market`]):
//! 1. **Visit** at most `visits_per_block` recipients, the next ids from `cursor` in the
//!    union of the market's ids and the recorded items (so recipients that disappeared are
//!    settled too), wrapping to id 0 after the last. A visit settles the claim
//!    `floor(weight × (index − last_index) / 10^18)` (capped at `unclaimed`), credits it to
//!    the recipient's reward pool through the sink and moves the coin from the mint module
//!    account to the market's account (or to the community pool when the sink refuses it),
//!    then re-reads the weight: `total_weight += new − old`, `last_index = index`.
//! 2. **Distribute** the block's share: with `total_weight > 0`, `index += floor(share ×
//!    10^18 / total_weight)` and `unclaimed += share`; with nothing to receive the share goes
//!    to the community pool.
//! 3. **Sweep**: when `total_weight` is 0 no recipient has a claim, so whatever `unclaimed`
//!    holds is rounding dust: it goes to the community pool.
//!
//! Why no unit is created or lost: a recipient's weight is constant between two of its visits
//! and counted in `total_weight` for every share of that interval, so its claim is at most its
//! exact part of those shares, and the sum of the floored claims is at most what was
//! received; both roundings (of the index step and of each claim) leave the difference in
//! `unclaimed`, which the sweep returns. Claims are also capped at `unclaimed`, so even an
//! index that wrapped (see below) or a mint denom changed by governance cannot pay out more
//! than the mint module account holds.
//!
//! What a recipient is paid: its weight as of its last visit, times the index growth since.
//! Weights are stale for at most one visit cycle (`recipients / visits_per_block` blocks); a
//! recipient created since its last visit earns from its first visit on.
//!
//! The index is kept modulo 2^128 (only differences are read): exact as long as one
//! recipient's index growth between two visits stays below 2^128 / 10^18 ≈ 3.4·10^20 udeai per
//! unit of weight, i.e. for any weight ≥ 1 and any cycle shorter than 3.4·10^20 udeai of
//! market emission.

use deai_bank::{BankWrite, COMMUNITY_POOL};
use deai_framework::{sdk, typed_event, Coin, Coins, Ctx, TxError};
use deai_proto::mint::v1 as dpb;

use crate::keeper::{MintRead, MintWrite};
use crate::math::{mul_div_rem, DEC_SCALE};
use crate::sink::{EmissionSink, MAX_VISITS_PER_BLOCK};
use crate::MODULE_ACCOUNT;

/// A market's index state (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarketState {
    pub market: String,
    pub index: u128,
    pub total_weight: u128,
    pub cursor: u64,
    pub unclaimed: u128,
    pub denom: String,
}

/// One recipient's recorded weight and last settled index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub id: u64,
    pub weight: u128,
    pub last_index: u128,
}

fn parse_u128(s: &str, what: &str) -> Result<u128, String> {
    if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what}: invalid integer {s:?}"));
    }
    s.parse::<u128>()
        .map_err(|_| format!("{what}: invalid integer {s:?}"))
}

impl MarketState {
    pub fn new(market: &str, denom: &str) -> Self {
        Self {
            market: market.to_string(),
            index: 0,
            total_weight: 0,
            cursor: 0,
            unclaimed: 0,
            denom: denom.to_string(),
        }
    }

    pub fn from_proto(m: &dpb::MarketIndex) -> Result<Self, String> {
        Ok(Self {
            market: m.market.clone(),
            index: parse_u128(&m.index, "index")?,
            total_weight: parse_u128(&m.total_weight, "total_weight")?,
            cursor: m.cursor,
            unclaimed: parse_u128(&m.unclaimed, "unclaimed")?,
            denom: m.denom.clone(),
        })
    }

    pub fn to_proto(&self) -> dpb::MarketIndex {
        dpb::MarketIndex {
            market: self.market.clone(),
            index: self.index.to_string(),
            total_weight: self.total_weight.to_string(),
            cursor: self.cursor,
            unclaimed: self.unclaimed.to_string(),
            denom: self.denom.clone(),
        }
    }
}

impl Item {
    pub fn from_proto(i: &dpb::IndexItem) -> Result<Self, String> {
        Ok(Self {
            id: i.id,
            weight: parse_u128(&i.weight, "weight")?,
            last_index: parse_u128(&i.last_index, "last_index")?,
        })
    }

    pub fn to_proto(&self) -> dpb::IndexItem {
        dpb::IndexItem {
            id: self.id,
            weight: self.weight.to_string(),
            last_index: self.last_index.to_string(),
        }
    }
}

fn coins(denom: &str, amount: u128) -> Result<Coins, TxError> {
    if amount == 0 {
        return Ok(Coins::empty());
    }
    Coins::new(vec![Coin::new(denom, amount)?])
}

/// Moves `amount` of `denom` from the mint module account to module `to`.
pub(crate) fn pay_module(
    ctx: &mut Ctx,
    to: &str,
    denom: &str,
    amount: u128,
) -> Result<(), TxError> {
    if amount == 0 {
        return Ok(());
    }
    let ev = ctx.send_module_to_module(MODULE_ACCOUNT, to, &coins(denom, amount)?)?;
    ctx.events.extend(ev);
    Ok(())
}

/// The claim of `item` at `index`: floor(weight × (index − last) / 10^18), at most `cap`.
pub fn claim_of(item: &Item, index: u128, cap: u128) -> u128 {
    if item.weight == 0 {
        return 0;
    }
    let growth = index.wrapping_sub(item.last_index);
    match mul_div_rem(item.weight, growth, DEC_SCALE) {
        Some((q, _)) => q.min(cap),
        None => cap,
    }
}

/// Settles one recipient (pays its claim) and re-reads its weight.
fn visit(
    ctx: &mut Ctx,
    sink: &dyn EmissionSink,
    st: &mut MarketState,
    id: u64,
) -> Result<(), TxError> {
    let market = sink.market();
    let item = ctx.index_item(market, id)?.unwrap_or(Item {
        id,
        weight: 0,
        last_index: st.index,
    });
    let claim = claim_of(&item, st.index, st.unclaimed);
    if claim > 0 {
        st.unclaimed -= claim;
        let coin = Coin::new(st.denom.clone(), claim)?;
        let credited = sink.credit(ctx, id, &coin)?;
        let to = if credited {
            sink.account()
        } else {
            COMMUNITY_POOL
        };
        pay_module(ctx, to, &st.denom, claim)?;
        ctx.emit(typed_event(&dpb::EventEmissionClaimed {
            market: market.to_string(),
            id,
            amount: claim.to_string(),
            to_community_pool: !credited,
        }));
    }
    let weight = sink.weight(ctx, id)?;
    st.total_weight = st
        .total_weight
        .checked_sub(item.weight)
        .and_then(|t| t.checked_add(weight))
        .ok_or_else(|| sdk::internal(format!("{market} emission weights out of range")))?;
    ctx.put_index_item(
        market,
        &Item {
            id,
            weight,
            last_index: st.index,
        },
    )
}

/// The next ids to visit from `cursor`: the smallest `k` of the union of the market's ids and
/// the recorded items' ids, and the cursor after them (0 when both lists are exhausted).
fn next_visits(
    ctx: &Ctx,
    sink: &dyn EmissionSink,
    cursor: u64,
    k: usize,
) -> Result<(Vec<u64>, u64), TxError> {
    let mut ids = sink.ids_from(ctx, cursor, k)?;
    ids.truncate(k);
    let market_full = ids.len() == k;
    let own: Vec<u64> = ctx
        .index_items_from(sink.market(), cursor, k)?
        .into_iter()
        .map(|i| i.id)
        .collect();
    let own_full = own.len() == k;
    ids.extend(own);
    ids.retain(|id| *id >= cursor);
    ids.sort_unstable();
    ids.dedup();
    let cut = ids.len() > k;
    ids.truncate(k);
    let next = if market_full || own_full || cut {
        ids.last().and_then(|last| last.checked_add(1)).unwrap_or(0)
    } else {
        0
    };
    Ok((ids, next))
}

/// What one market did with its share this block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Added to the market's unclaimed emission.
    pub to_market: u128,
    /// Sent to the community pool (nothing to receive).
    pub to_community: u128,
}

/// One block of `sink`'s market: visits, the share (already in the mint module account, in
/// `denom`) and the sweep. See the module docs.
pub fn run_market(
    ctx: &mut Ctx,
    sink: &dyn EmissionSink,
    denom: &str,
    share: u128,
) -> Result<Outcome, TxError> {
    let market = sink.market();
    let mut st = ctx
        .market_state(market)?
        .unwrap_or_else(|| MarketState::new(market, denom));
    if st.denom != denom {
        // Governance changed the mint denom: the old denom's unclaimed emission goes to the
        // community pool (outstanding claims are capped at the new unclaimed amount).
        let old = std::mem::replace(&mut st.denom, denom.to_string());
        pay_module(ctx, COMMUNITY_POOL, &old, st.unclaimed)?;
        st.unclaimed = 0;
    }
    let k = sink.visits_per_block().clamp(1, MAX_VISITS_PER_BLOCK);
    let (ids, next) = next_visits(ctx, sink, st.cursor, k)?;
    for id in ids {
        visit(ctx, sink, &mut st, id)?;
    }
    st.cursor = next;
    let mut out = Outcome::default();
    if share > 0 {
        // A step that does not fit 128 bits (a share above 3.4·10^20 units per unit of
        // weight) is treated as nothing to receive rather than halting the chain.
        let step = match st.total_weight {
            0 => None,
            t => mul_div_rem(share, DEC_SCALE, t).map(|(q, _)| q),
        };
        if let Some(step) = step {
            st.index = st.index.wrapping_add(step);
            st.unclaimed = st
                .unclaimed
                .checked_add(share)
                .ok_or_else(|| sdk::internal(format!("{market} unclaimed emission overflows")))?;
            out.to_market = share;
        } else {
            pay_module(ctx, COMMUNITY_POOL, denom, share)?;
            out.to_community = share;
        }
    }
    sweep(ctx, &mut st)?;
    ctx.put_market_state(&st)?;
    Ok(out)
}

/// With no recorded weight no recipient has a claim: the unclaimed emission is rounding
/// dust (or forfeited), and goes to the community pool.
fn sweep(ctx: &mut Ctx, st: &mut MarketState) -> Result<(), TxError> {
    if st.total_weight == 0 && st.unclaimed > 0 {
        pay_module(ctx, COMMUNITY_POOL, &st.denom, st.unclaimed)?;
        st.unclaimed = 0;
    }
    Ok(())
}

/// Settles recipient `id` of `sink`'s market now and re-reads its weight: the rolling visit,
/// out of turn. A market may call it right after a recipient's stake changes (in the same
/// context), so that its weight is exact from then on rather than at its next visit. One
/// recipient: bounded. Nothing happens before the market's first share (its first visit
/// records it).
pub fn touch(ctx: &mut Ctx, sink: &dyn EmissionSink, id: u64) -> Result<(), TxError> {
    let Some(mut st) = ctx.market_state(sink.market())? else {
        return Ok(());
    };
    visit(ctx, sink, &mut st, id)?;
    sweep(ctx, &mut st)?;
    ctx.put_market_state(&st)
}
