//! mint's begin block: the SDK's x/mint `BeginBlocker` (v0.50), then deai's emission split.
//!
//! 1. bonded ratio = bonded pool balance / supply of the staking bond denom;
//! 2. inflation moves toward `goal_bonded` (`NextInflationRate`), clamped to [min, max];
//! 3. annual provisions = inflation × supply of the bond denom; stored with the minter;
//! 4. block provision = annual provisions / blocks per year, truncated, minted in the mint
//!    denom into the `mint` module account (permission `minter`); the SDK's `mint` event;
//! 5. the provision is split ([`crate::split`]): validators' share to `fee_collector`
//!    (allocated by distribution's begin block, which must run after this one), each
//!    market's share into its lazy index ([`crate::index`]), the rest to `community_pool`.

use deai_auth::FEE_COLLECTOR;
use deai_bank::{BankRead, BankWrite, COMMUNITY_POOL};
use deai_framework::{typed_event, Coin, Coins, Ctx, TxError};
use deai_proto::mint::v1 as dpb;
use deai_staking::{StakingRead, BONDED_POOL};

use crate::index::{pay_module, run_market};
use crate::keeper::{MintRead, MintWrite};
use crate::math::{
    annual_provisions, block_provision, bonded_ratio, inflation_change, next_inflation,
};
use crate::sink::EmissionSink;
use crate::split::split;
use crate::{events, MARKETS, MODULE_ACCOUNT};

/// What one block minted and where it went (the five sum to `minted`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Minted {
    pub minted: u128,
    pub validators: u128,
    pub training: u128,
    pub inference: u128,
    pub data: u128,
    pub community_pool: u128,
}

/// The sink of `market`: the first in `sinks` with that name.
fn sink_of<'a>(sinks: &'a [Box<dyn EmissionSink>], market: &str) -> Option<&'a dyn EmissionSink> {
    sinks
        .iter()
        .find(|s| s.market() == market)
        .map(|s| s.as_ref())
}

pub fn begin_blocker(ctx: &mut Ctx, sinks: &[Box<dyn EmissionSink>]) -> Result<Minted, TxError> {
    let params = ctx.mint_params()?;
    let mut minter = ctx.minter()?;
    let bond_denom = ctx.staking_params()?.bond_denom;
    let supply = ctx.supply_of(&bond_denom)?;
    let bonded = ctx.module_balance(BONDED_POOL, &bond_denom)?;
    let ratio = bonded_ratio(bonded, supply)?;
    let change = inflation_change(
        ratio,
        params.goal_bonded,
        params.inflation_rate_change,
        params.blocks_per_year,
    )?;
    minter.inflation = next_inflation(
        minter.inflation,
        change,
        params.inflation_min,
        params.inflation_max,
    )?;
    minter.annual_provisions = annual_provisions(minter.inflation, supply)?;
    ctx.set_minter(&minter)?;

    let minted = block_provision(minter.annual_provisions, params.blocks_per_year);
    let denom = params.mint_denom.as_str();
    if minted > 0 {
        let coins = Coins::new(vec![Coin::new(denom, minted)?])?;
        let ev = ctx.mint(MODULE_ACCOUNT, &coins)?;
        ctx.events.extend(ev);
    }
    ctx.emit(events::mint(
        ratio,
        minter.inflation,
        minter.annual_provisions,
        minted,
    ));

    let shares = split(minted, &ctx.emission_split()?)?;
    let mut out = Minted {
        minted,
        validators: shares.validators,
        community_pool: shares.community_pool,
        ..Minted::default()
    };
    pay_module(ctx, FEE_COLLECTOR, denom, shares.validators)?;
    for market in MARKETS {
        let share = shares.of_market(market);
        let to_market = match sink_of(sinks, market) {
            Some(sink) => {
                let o = run_market(ctx, sink, denom, share)?;
                out.community_pool += o.to_community;
                o.to_market
            }
            None => {
                out.community_pool += share;
                0
            }
        };
        match market {
            crate::TRAINING => out.training = to_market,
            crate::INFERENCE => out.inference = to_market,
            _ => out.data = to_market,
        }
    }
    // The community pool's own share, the rounding remainder and the shares of markets
    // without a sink (those with a sink and nothing to receive were paid by run_market).
    let direct = shares.community_pool
        + MARKETS
            .iter()
            .filter(|m| sink_of(sinks, m).is_none())
            .map(|m| shares.of_market(m))
            .sum::<u128>();
    pay_module(ctx, COMMUNITY_POOL, denom, direct)?;
    ctx.emit(typed_event(&dpb::EventEmission {
        height: ctx.block.height,
        denom: denom.to_string(),
        minted: minted.to_string(),
        validators: out.validators.to_string(),
        training: out.training.to_string(),
        inference: out.inference.to_string(),
        data: out.data.to_string(),
        community_pool: out.community_pool.to_string(),
    }));
    Ok(out)
}
