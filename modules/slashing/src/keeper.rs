//! The slashing keeper, as extension traits on any state ([`SlashingRead`],
//! [`SlashingWrite`]), and the two block-time entry points the app calls from FinalizeBlock:
//! [`begin_blocker`] (the votes of `decided_last_commit`) and [`handle_equivocation`] (each
//! `misbehavior` of type duplicate vote). Staking's records are touched only through
//! `deai_staking`'s keeper traits and `slash`.

use bech32::Hrp;
use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use prost::Message;
use tendermint_proto::google::protobuf::Timestamp;

use deai_framework::{records, sdk, Address, Ctx, StateRead, StateWrite, TxError};
use deai_staking::keeper::UNBONDED;
use deai_staking::{StakingHooks, StakingRead, StakingWrite};

use crate::params::{Params, MAX_SIGNED_BLOCKS_WINDOW};
use crate::{events, state_key, MODULE_NAME};

/// The SDK's `sdk.ValidatorUpdateDelay`: a validator set decided at height h signs from h + 2.
pub const VALIDATOR_UPDATE_DELAY: i64 = 1;
/// The SDK's `DoubleSignJailEndTime`: 9999-12-31T23:59:59Z, "jailed forever".
pub const DOUBLE_SIGN_JAIL_END: i64 = 253_402_300_799;
/// CometBFT's default evidence max age (consensus params `evidence.max_age_num_blocks` and
/// `max_age_duration`); evidence older than both is ignored.
pub const DEFAULT_MAX_AGE_BLOCKS: i64 = 100_000;
pub const DEFAULT_MAX_AGE_SECS: i64 = 48 * 60 * 60;
/// Most votes one begin_blocker handles (a commit has one per validator of the set, which
/// staking bounds at 1000).
pub const MAX_VOTES: usize = 10_000;

pub const CONSENSUS_PREFIX: &str = deai_staking::address::CONSENSUS_PREFIX;

/// A consensus address (CometBFT's 20-byte validator address) as an [`Address`].
pub fn cons_addr(bytes: &[u8]) -> Result<Address, TxError> {
    Address::from_bytes(bytes)
}

pub fn cons_to_bech32(a: &Address) -> String {
    deai_staking::address::cons_to_bech32(a)
}

/// Parses a `deaivalcons1…` string.
pub fn cons_from_bech32(s: &str) -> Result<Address, TxError> {
    let (hrp, data) = bech32::decode(s)
        .map_err(|e| sdk::invalid_address(format!("invalid address {s:?}: {e}")))?;
    if hrp != Hrp::parse_unchecked(CONSENSUS_PREFIX) {
        return Err(sdk::invalid_address(format!(
            "invalid address {s:?}: expected prefix {CONSENSUS_PREFIX:?}"
        )));
    }
    Address::from_bytes(&data)
}

pub fn ts(secs: i64) -> Timestamp {
    Timestamp {
        seconds: secs,
        nanos: 0,
    }
}

pub fn secs(t: &Option<Timestamp>) -> i64 {
    t.as_ref().map_or(0, |t| t.seconds)
}

/// A fresh signing info, as the SDK's AfterValidatorBonded hook writes it.
pub fn new_signing_info(cons: &Address, start_height: i64) -> pb::ValidatorSigningInfo {
    pb::ValidatorSigningInfo {
        address: cons_to_bech32(cons),
        start_height,
        index_offset: 0,
        jailed_until: Some(ts(0)),
        tombstoned: false,
        missed_blocks_counter: 0,
    }
}

pub trait SlashingRead: StateRead {
    fn slashing_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    fn signing_info(&self, cons: &Address) -> Result<Option<pb::ValidatorSigningInfo>, TxError> {
        records::get(MODULE_NAME, self, &state_key::signing_info(cons))
    }

    fn is_tombstoned(&self, cons: &Address) -> Result<bool, TxError> {
        Ok(self.signing_info(cons)?.is_some_and(|i| i.tombstoned))
    }

    fn missed(&self, cons: &Address, index: u64) -> Result<bool, TxError> {
        Ok(self.get(&state_key::missed(cons, index))?.is_some())
    }

    /// The missed indexes of `cons`'s bitmap, ascending (at most the largest window).
    fn missed_indexes(&self, cons: &Address) -> Result<Vec<u64>, TxError> {
        let prefix = state_key::missed_of(cons);
        let end = deai_framework::keys::prefix_end(&prefix);
        let mut out = Vec::new();
        for (k, _) in self.scan(
            &prefix,
            end.as_deref(),
            false,
            MAX_SIGNED_BLOCKS_WINDOW as usize,
        )? {
            let rest = &k[prefix.len()..];
            let b: [u8; 8] = rest
                .try_into()
                .map_err(|_| sdk::internal("corrupt missed-block key"))?;
            out.push(u64::from_be_bytes(b));
        }
        Ok(out)
    }
}

impl<T: StateRead + ?Sized> SlashingRead for T {}

pub trait SlashingWrite: StateWrite {
    fn set_slashing_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    fn set_signing_info(
        &mut self,
        cons: &Address,
        info: &pb::ValidatorSigningInfo,
    ) -> Result<(), TxError> {
        self.put(state_key::signing_info(cons), info.encode_to_vec())
    }

    fn set_missed(&mut self, cons: &Address, index: u64, missed: bool) -> Result<(), TxError> {
        if missed {
            self.put(state_key::missed(cons, index), Vec::new())
        } else {
            self.delete(state_key::missed(cons, index))
        }
    }

    fn clear_missed(&mut self, cons: &Address) -> Result<(), TxError> {
        for i in self.missed_indexes(cons)? {
            self.delete(state_key::missed(cons, i))?;
        }
        Ok(())
    }
}

impl<T: StateWrite + ?Sized> SlashingWrite for T {}

/// One vote of `decided_last_commit`: the validator's consensus address, its power, and
/// whether it signed (CometBFT's `BlockIDFlagAbsent` is the only "missed"; a nil vote signed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vote {
    pub cons: Vec<u8>,
    pub power: i64,
    pub signed: bool,
}

impl From<(Vec<u8>, i64, bool)> for Vote {
    fn from((cons, power, signed): (Vec<u8>, i64, bool)) -> Self {
        Self {
            cons,
            power,
            signed,
        }
    }
}

/// The SDK's BeginBlocker: [`handle_signature`] for every vote of the last commit.
pub fn begin_blocker(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    votes: &[Vote],
) -> Result<(), TxError> {
    if votes.len() > MAX_VOTES {
        return Err(sdk::internal(format!(
            "{} votes in a commit, more than {MAX_VOTES}",
            votes.len()
        )));
    }
    let params = ctx.slashing_params()?;
    for v in votes {
        handle_signature(ctx, hooks, &params, &v.cons, v.power, v.signed)?;
    }
    Ok(())
}

fn height(ctx: &Ctx) -> i64 {
    i64::try_from(ctx.block.height).unwrap_or(i64::MAX)
}

/// The SDK's `HandleValidatorSignature`. Votes of consensus addresses staking does not know
/// are skipped (the SDK fails the block); a validator's first vote creates its signing info
/// with `start_height` = this height (the SDK does that in staking's AfterValidatorBonded hook,
/// which deai does not have yet).
pub fn handle_signature(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    params: &Params,
    cons_bytes: &[u8],
    power: i64,
    signed: bool,
) -> Result<(), TxError> {
    let h = height(ctx);
    let cons =
        cons_addr(cons_bytes).map_err(|_| sdk::internal("invalid consensus address in commit"))?;
    let Some(op) = ctx.validator_by_cons(cons_bytes)? else {
        return Ok(());
    };
    let Some(v) = ctx.validator(&op)? else {
        return Ok(());
    };
    if v.jailed {
        return Ok(());
    }
    let mut info = match ctx.signing_info(&cons)? {
        Some(i) => i,
        None => new_signing_info(&cons, h),
    };
    let window = params.signed_blocks_window;
    let index = info.index_offset.rem_euclid(window) as u64;
    info.index_offset = info.index_offset.saturating_add(1);
    let previous = ctx.missed(&cons, index)?;
    let missed = !signed;
    if !previous && missed {
        ctx.set_missed(&cons, index, true)?;
        info.missed_blocks_counter = info.missed_blocks_counter.saturating_add(1);
    } else if previous && !missed {
        ctx.set_missed(&cons, index, false)?;
        info.missed_blocks_counter = info.missed_blocks_counter.saturating_sub(1).max(0);
    }
    let cons_str = cons_to_bech32(&cons);
    if missed {
        ctx.emit(events::liveness(
            &cons_str,
            info.missed_blocks_counter,
            ctx.block.height,
        ));
    }
    let min_height = info.start_height.saturating_add(window);
    let max_missed = window - params.min_signed_per_window_int();
    if h > min_height && info.missed_blocks_counter > max_missed {
        // Jailed validators returned above; this one is bonded or unbonding.
        let distribution_height = h - VALIDATOR_UPDATE_DELAY - 1;
        let burned = if v.status == UNBONDED {
            0
        } else {
            deai_staking::slash(
                ctx,
                hooks,
                cons_bytes,
                distribution_height,
                power,
                params.slash_fraction_downtime,
            )?
            .total()
        };
        ctx.emit(events::slash(
            &cons_str,
            power,
            "missing_signature",
            burned,
            true,
        ));
        ctx.jail(&op)?;
        info.jailed_until = Some(ts(ctx
            .block
            .time_unix
            .saturating_add(params.downtime_jail_secs)));
        info.missed_blocks_counter = 0;
        info.index_offset = 0;
        ctx.clear_missed(&cons)?;
    }
    ctx.set_signing_info(&cons, &info)
}

/// [`handle_equivocation_with`] with CometBFT's default evidence max age.
pub fn handle_equivocation(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    cons: &[u8],
    infraction_height: i64,
    infraction_time: i64,
    power: i64,
) -> Result<bool, TxError> {
    handle_equivocation_with(
        ctx,
        hooks,
        cons,
        infraction_height,
        infraction_time,
        power,
        DEFAULT_MAX_AGE_BLOCKS,
        DEFAULT_MAX_AGE_SECS,
    )
}

/// The SDK's `x/evidence` `HandleEquivocationEvidence` for one `misbehavior` (duplicate
/// vote): ignored (Ok(false)) for an unknown or unbonded validator, evidence older than both
/// max ages, or a tombstoned validator; otherwise the validator is slashed by the double-sign
/// fraction at `infraction_height - 1` (with the unbonding delegations and redelegations begun
/// since, through staking), jailed until 9999-12-31 and tombstoned (Ok(true)).
#[allow(clippy::too_many_arguments)]
pub fn handle_equivocation_with(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    cons_bytes: &[u8],
    infraction_height: i64,
    infraction_time: i64,
    power: i64,
    max_age_blocks: i64,
    max_age_secs: i64,
) -> Result<bool, TxError> {
    let h = height(ctx);
    let Ok(cons) = cons_addr(cons_bytes) else {
        return Ok(false);
    };
    let Some(op) = ctx.validator_by_cons(cons_bytes)? else {
        return Ok(false);
    };
    let Some(v) = ctx.validator(&op)? else {
        return Ok(false);
    };
    if v.status == UNBONDED {
        return Ok(false);
    }
    let age_secs = ctx.block.time_unix.saturating_sub(infraction_time);
    let age_blocks = h.saturating_sub(infraction_height);
    if age_secs > max_age_secs && age_blocks > max_age_blocks {
        return Ok(false);
    }
    if infraction_height > h || infraction_height < 1 {
        return Ok(false);
    }
    let mut info = match ctx.signing_info(&cons)? {
        Some(i) => i,
        None => new_signing_info(&cons, h),
    };
    if info.tombstoned {
        return Ok(false);
    }
    let params = ctx.slashing_params()?;
    let distribution_height = infraction_height - VALIDATOR_UPDATE_DELAY;
    let burned = deai_staking::slash(
        ctx,
        hooks,
        cons_bytes,
        distribution_height,
        power,
        params.slash_fraction_double_sign,
    )?
    .total();
    let cons_str = cons_to_bech32(&cons);
    ctx.emit(events::slash(
        &cons_str,
        power,
        "double_sign",
        burned,
        false,
    ));
    ctx.jail(&op)?;
    info.jailed_until = Some(ts(DOUBLE_SIGN_JAIL_END));
    info.tombstoned = true;
    ctx.set_signing_info(&cons, &info)?;
    Ok(true)
}
