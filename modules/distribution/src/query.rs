//! distribution's queries at the SDK's gRPC paths (`/cosmos.distribution.v1beta1.Query/...`).
//! The reward queries end the validator's period on a throw-away overlay, as the SDK's query
//! server does on its cached context (a metered query: nothing it writes is kept).

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};
use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;

use deai_framework::pagination::{paginate_range, MAX_WALK};
use deai_framework::query::parse_address;
use deai_framework::{records, sdk, Address, Ctx, Router, StateRead, TxError};
use deai_staking::address::{val_from_bech32, val_to_bech32};
use deai_staking::keeper::delegation_shares;
use deai_staking::StakingRead;

use crate::deccoins::DecCoins;
use crate::error::DistributionError;
use crate::keeper::DistributionRead;
use crate::{rewards, state_key, MODULE_NAME};

const Q: &str = "/cosmos.distribution.v1beta1.Query/";
/// Gas a reward query may burn (it walks slash events and, for the total, delegations).
pub const QUERY_GAS: u64 = 1_000_000_000;
/// Most delegations DelegationTotalRewards and DelegatorValidators read.
pub const MAX_DELEGATIONS: usize = 10_000;

fn val_arg(s: &str) -> Result<Address, TxError> {
    if s.is_empty() {
        return Err(sdk::invalid_request("empty validator address"));
    }
    val_from_bech32(s)
}

fn existing_validator(s: &dyn StateRead, val: &str) -> Result<Address, TxError> {
    let op = val_arg(val)?;
    if s.validator(&op)?.is_none() {
        return Err(DistributionError::NoValidatorExists(val.to_string()).into());
    }
    Ok(op)
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.distribution_params()?.to_proto()),
    })
}

fn outstanding(
    s: &dyn StateRead,
    r: pb::QueryValidatorOutstandingRewardsRequest,
) -> Result<pb::QueryValidatorOutstandingRewardsResponse, TxError> {
    let op = existing_validator(s, &r.validator_address)?;
    Ok(pb::QueryValidatorOutstandingRewardsResponse {
        rewards: Some(pb::ValidatorOutstandingRewards {
            rewards: s.outstanding(&op)?.unwrap_or_default().to_proto(),
        }),
    })
}

fn commission(
    s: &dyn StateRead,
    r: pb::QueryValidatorCommissionRequest,
) -> Result<pb::QueryValidatorCommissionResponse, TxError> {
    let op = existing_validator(s, &r.validator_address)?;
    Ok(pb::QueryValidatorCommissionResponse {
        commission: Some(pb::ValidatorAccumulatedCommission {
            commission: s.accumulated_commission(&op)?.to_proto(),
        }),
    })
}

/// A page of `val`'s slash events at heights `from..=to` (key or offset, limit, reverse,
/// count_total, with the SDK's semantics; keys relative to the validator's prefix).
fn slashes_page(
    s: &dyn StateRead,
    val: &Address,
    from: u64,
    to: u64,
    page: Option<PageRequest>,
) -> Result<(Vec<Vec<u8>>, PageResponse), TxError> {
    let prefix = state_key::slash_events_of(val);
    let lo = state_key::slash_events_from(val, from);
    let hi = match to.checked_add(1) {
        Some(h) => state_key::slash_events_from(val, h),
        None => deai_framework::keys::prefix_end(&prefix)
            .ok_or_else(|| sdk::internal("unbounded slash range"))?,
    };
    // The shared pager: offsets skipped and totals counted in chunks under MAX_WALK rows,
    // without loading them.
    let (rows, pagination) = paginate_range(s, &prefix, &lo, Some(&hi), page, MAX_WALK)?;
    Ok((rows.into_iter().map(|(_, v)| v).collect(), pagination))
}

fn slashes(
    s: &dyn StateRead,
    r: pb::QueryValidatorSlashesRequest,
) -> Result<pb::QueryValidatorSlashesResponse, TxError> {
    let op = val_arg(&r.validator_address)?;
    if r.ending_height < r.starting_height {
        return Err(sdk::invalid_request(format!(
            "starting height greater than ending height ({} > {})",
            r.starting_height, r.ending_height
        )));
    }
    let (values, pagination) =
        slashes_page(s, &op, r.starting_height, r.ending_height, r.pagination)?;
    let slashes = values
        .iter()
        .map(|v| records::decode(MODULE_NAME, v))
        .collect::<Result<Vec<pb::ValidatorSlashEvent>, _>>()?;
    Ok(pb::QueryValidatorSlashesResponse {
        slashes,
        pagination: Some(pagination),
    })
}

/// The rewards `del` has earned from `val` up to now (the period ended on the overlay).
fn rewards_now(ctx: &mut Ctx, val: &Address, del: &Address) -> Result<DecCoins, TxError> {
    let d = ctx
        .delegation(del, val)?
        .ok_or(DistributionError::NoDelegationExists)?;
    let mut scratch = Vec::new();
    let ending = rewards::increment_period(ctx, val, &mut scratch)?;
    let v = ctx.must_validator(val)?;
    let h = ctx.block.height;
    rewards::calculate_rewards(&*ctx, &v, val, del, delegation_shares(&d)?, ending, h)
}

fn distribution_info(
    ctx: &mut Ctx,
    r: pb::QueryValidatorDistributionInfoRequest,
) -> Result<pb::QueryValidatorDistributionInfoResponse, TxError> {
    let op = existing_validator(&*ctx, &r.validator_address)?;
    let self_bond_rewards = rewards_now(ctx, &op, &op)?;
    Ok(pb::QueryValidatorDistributionInfoResponse {
        operator_address: op.to_bech32(),
        self_bond_rewards: self_bond_rewards.to_proto(),
        commission: ctx.accumulated_commission(&op)?.to_proto(),
    })
}

fn delegation_rewards(
    ctx: &mut Ctx,
    r: pb::QueryDelegationRewardsRequest,
) -> Result<pb::QueryDelegationRewardsResponse, TxError> {
    let del = parse_address(&r.delegator_address)?;
    let op = existing_validator(&*ctx, &r.validator_address)?;
    Ok(pb::QueryDelegationRewardsResponse {
        rewards: rewards_now(ctx, &op, &del)?.to_proto(),
    })
}

fn delegation_total_rewards(
    ctx: &mut Ctx,
    r: pb::QueryDelegationTotalRewardsRequest,
) -> Result<pb::QueryDelegationTotalRewardsResponse, TxError> {
    let del = parse_address(&r.delegator_address)?;
    let mut total = DecCoins::new();
    let mut out = Vec::new();
    for d in ctx.delegations_of(&del, MAX_DELEGATIONS)? {
        let op = deai_staking::address::stored_val(&d.validator_address)?;
        let rw = rewards_now(ctx, &op, &del)?;
        total.add(&rw)?;
        out.push(pb::DelegationDelegatorReward {
            validator_address: val_to_bech32(&op),
            reward: rw.to_proto(),
        });
    }
    Ok(pb::QueryDelegationTotalRewardsResponse {
        rewards: out,
        total: total.to_proto(),
    })
}

fn delegator_validators(
    s: &dyn StateRead,
    r: pb::QueryDelegatorValidatorsRequest,
) -> Result<pb::QueryDelegatorValidatorsResponse, TxError> {
    let del = parse_address(&r.delegator_address)?;
    let validators = s
        .delegations_of(&del, MAX_DELEGATIONS)?
        .into_iter()
        .map(|d| d.validator_address)
        .collect();
    Ok(pb::QueryDelegatorValidatorsResponse { validators })
}

fn withdraw_address(
    s: &dyn StateRead,
    r: pb::QueryDelegatorWithdrawAddressRequest,
) -> Result<pb::QueryDelegatorWithdrawAddressResponse, TxError> {
    let del = parse_address(&r.delegator_address)?;
    Ok(pb::QueryDelegatorWithdrawAddressResponse {
        withdraw_address: s.withdraw_addr(&del)?.to_bech32(),
    })
}

fn community_pool(
    s: &dyn StateRead,
    _: pb::QueryCommunityPoolRequest,
) -> Result<pb::QueryCommunityPoolResponse, TxError> {
    Ok(pb::QueryCommunityPoolResponse {
        pool: rewards::community_pool(s)?.to_proto(),
    })
}

pub fn register(router: &mut Router) {
    router.add_query(&format!("{Q}Params"), params);
    router.add_metered_query(
        &format!("{Q}ValidatorDistributionInfo"),
        QUERY_GAS,
        distribution_info,
    );
    router.add_query(&format!("{Q}ValidatorOutstandingRewards"), outstanding);
    router.add_query(&format!("{Q}ValidatorCommission"), commission);
    router.add_query(&format!("{Q}ValidatorSlashes"), slashes);
    router.add_metered_query(
        &format!("{Q}DelegationRewards"),
        QUERY_GAS,
        delegation_rewards,
    );
    router.add_metered_query(
        &format!("{Q}DelegationTotalRewards"),
        QUERY_GAS,
        delegation_total_rewards,
    );
    router.add_query(&format!("{Q}DelegatorValidators"), delegator_validators);
    router.add_query(&format!("{Q}DelegatorWithdrawAddress"), withdraw_address);
    router.add_query(&format!("{Q}CommunityPool"), community_pool);
}
