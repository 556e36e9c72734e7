//! Data pools: MsgCreatePool, MsgBondPoolValidator, MsgContribute, MsgScoreContribution
//! (MsgClosePool in `close.rs`). Settlement is in [`crate::settle`].

use std::collections::BTreeSet;

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Coin, Ctx, Message, TxError};
use deai_proto::data::v1 as pb;

use super::{coins_of, emit_all, required_coin, response, sender_event};
use crate::datasets::{check_hash, check_uri};
use crate::error::DataError;
use crate::keeper::{DataRead, DataWrite};
use crate::params::{Params, MAX_SCORE};
use crate::{events, MODULE_ACCOUNT, MODULE_NAME};

/// The counters of pool and contribution ids.
pub const POOL_SEQ: &str = "pool";
pub const CONTRIBUTION_SEQ: &str = "contribution";
/// Longest epoch, in blocks (keeps every settlement height far from overflow).
pub const MAX_EPOCH_LENGTH: u64 = 1 << 40;

fn bad(m: impl Into<String>) -> DataError {
    DataError::BadPool(m.into())
}

/// A positive coin in the bond denom.
fn bond_coin(params: &Params, c: &Coin, what: &str) -> Result<(), DataError> {
    if c.denom != params.bond_denom() {
        return Err(DataError::DenomMismatch(format!(
            "{what} must be in {}",
            params.bond_denom()
        )));
    }
    if c.amount == 0 {
        return Err(bad(format!("{what} must be positive")));
    }
    Ok(())
}

/// The checks of a pool's terms shared by MsgCreatePool and genesis import (`max_schema`
/// bounds the schema JSON; genesis passes the widest bound).
pub(crate) fn check_pool(params: &Params, p: &pb::Pool, max_schema: u32) -> Result<(), TxError> {
    if p.schema.len() > max_schema as usize
        || serde_json::from_str::<serde_json::Value>(&p.schema).is_err()
    {
        return Err(bad(format!("schema must be JSON of at most {max_schema} bytes")).into());
    }
    let coin = |c: &Option<_>, what: &'static str| -> Result<Coin, TxError> {
        let c: &cosmos_sdk_proto::cosmos::base::v1beta1::Coin = c
            .as_ref()
            .ok_or_else(|| bad(format!("{what} is required")))?;
        let c = Coin::from_proto(c)?;
        bond_coin(params, &c, what)?;
        Ok(c)
    };
    coin(&p.reward_per_epoch, "reward_per_epoch")?;
    coin(&p.min_contributor_stake, "min_contributor_stake")?;
    if p.epoch_length == 0 || p.epoch_length > MAX_EPOCH_LENGTH {
        return Err(bad(format!("epoch_length must be 1..={MAX_EPOCH_LENGTH}")).into());
    }
    if p.score_threshold_u16 > MAX_SCORE {
        return Err(DataError::BadScore(p.score_threshold_u16).into());
    }
    let n = p.validators.len();
    if n == 0 || n > params.max_pool_validators as usize {
        return Err(bad(format!(
            "1..={} validators, got {n}",
            params.max_pool_validators
        ))
        .into());
    }
    let mut seen = BTreeSet::new();
    for v in &p.validators {
        if !seen.insert(Address::from_bech32(v)?) {
            return Err(bad(format!("duplicate validator {v}")).into());
        }
    }
    Ok(())
}

/// The height whose `end_block` settles the epoch that started at `start`.
pub(crate) fn settle_height(start: u64, epoch_length: u64) -> Result<u64, TxError> {
    start
        .checked_add(epoch_length.saturating_sub(1))
        .ok_or_else(|| sdk::overflow("epoch end overflows"))
}

pub(crate) fn load_pool(ctx: &Ctx, id: u64) -> Result<pb::Pool, TxError> {
    ctx.get_pool(id)?
        .ok_or_else(|| DataError::PoolNotFound(id).into())
}

/// A pool closing or closed takes no contributions or bonds: nothing new could be settled
/// (or a bond would be locked in a pool that never settles again).
pub(crate) fn check_open(pool: &pb::Pool) -> Result<(), DataError> {
    if pool.status != pb::PoolStatus::Open as i32 {
        return Err(DataError::PoolClosed(pool.id));
    }
    Ok(())
}

fn escrow(ctx: &mut Ctx, from: &Address, c: &Coin) -> Result<(), TxError> {
    let transfers = ctx.send_to_module(from, MODULE_ACCOUNT, &coins_of(c)?)?;
    emit_all(ctx, transfers);
    Ok(())
}

#[derive(Debug)]
pub struct CreatePool {
    pub owner: Address,
    pub pool: pb::Pool,
    pub funds: Coin,
}

impl TryFrom<pb::MsgCreatePool> for CreatePool {
    type Error = TxError;
    fn try_from(m: pb::MsgCreatePool) -> Result<Self, TxError> {
        let owner = Address::from_bech32(&m.owner)?;
        let funds = required_coin(m.funds, "funds")?;
        Ok(Self {
            pool: pb::Pool {
                owner: owner.to_bech32(),
                schema: m.schema,
                reward_per_epoch: m.reward_per_epoch,
                epoch_length: m.epoch_length,
                min_contributor_stake: m.min_contributor_stake,
                score_threshold_u16: m.score_threshold_u16,
                validators: m.validators,
                balance: Some(funds.to_proto()),
                ..Default::default()
            },
            owner,
            funds,
        })
    }
}

impl Message for CreatePool {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.data_params()?;
        check_pool(&params, &self.pool, params.max_metadata_bytes)?;
        bond_coin(&params, &self.funds, "funds")?;
        escrow(ctx, &self.owner, &self.funds)?;
        let now = ctx.block.height;
        let p = pb::Pool {
            id: ctx.next_id(POOL_SEQ)?,
            epoch: 0,
            epoch_start: now,
            ..self.pool.clone()
        };
        ctx.put_pool(&p)?;
        ctx.schedule_pool(settle_height(now, p.epoch_length)?, p.id)?;
        ctx.emit(events::pool_created(&p));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgCreatePoolResponse { pool_id: p.id }))
    }
}

#[derive(Debug)]
pub struct BondPoolValidator {
    pub validator: Address,
    pub pool_id: u64,
    pub stake: Coin,
}

impl TryFrom<pb::MsgBondPoolValidator> for BondPoolValidator {
    type Error = TxError;
    fn try_from(m: pb::MsgBondPoolValidator) -> Result<Self, TxError> {
        Ok(Self {
            validator: Address::from_bech32(&m.validator)?,
            pool_id: m.pool_id,
            stake: required_coin(m.stake, "stake")?,
        })
    }
}

/// Whether `who` is named by `pool`.
fn named(pool: &pb::Pool, who: &Address) -> bool {
    let who = who.to_bech32();
    pool.validators.contains(&who)
}

impl Message for BondPoolValidator {
    fn signers(&self) -> Vec<Address> {
        vec![self.validator.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.data_params()?;
        let pool = load_pool(ctx, self.pool_id)?;
        if !named(&pool, &self.validator) {
            return Err(DataError::NotPoolValidator {
                pool: pool.id,
                validator: self.validator.to_bech32(),
            }
            .into());
        }
        check_open(&pool)?;
        bond_coin(&params, &self.stake, "stake")?;
        escrow(ctx, &self.validator, &self.stake)?;
        let had = match ctx.get_pool_validator(pool.id, &self.validator)? {
            Some(v) => v
                .stake
                .as_ref()
                .map(Coin::from_proto)
                .transpose()?
                .map_or(0, |c| c.amount),
            None => 0,
        };
        let total = had
            .checked_add(self.stake.amount)
            .ok_or_else(|| sdk::overflow("bond overflows"))?;
        ctx.put_pool_validator(&pb::PoolValidator {
            pool_id: pool.id,
            address: self.validator.to_bech32(),
            stake: Some(Coin::new(self.stake.denom.clone(), total)?.to_proto()),
        })?;
        ctx.emit(sender_event(&self.validator));
        Ok(response(pb::MsgBondPoolValidatorResponse {}))
    }
}

#[derive(Debug)]
pub struct Contribute {
    pub contributor: Address,
    pub pool_id: u64,
    pub content_sha256: Vec<u8>,
    pub uri: String,
    pub stake: Coin,
}

impl TryFrom<pb::MsgContribute> for Contribute {
    type Error = TxError;
    fn try_from(m: pb::MsgContribute) -> Result<Self, TxError> {
        check_hash("content_sha256", &m.content_sha256)?;
        check_uri(&m.uri)?;
        Ok(Self {
            contributor: Address::from_bech32(&m.contributor)?,
            pool_id: m.pool_id,
            content_sha256: m.content_sha256,
            uri: m.uri,
            stake: required_coin(m.stake, "stake")?,
        })
    }
}

impl Message for Contribute {
    fn signers(&self) -> Vec<Address> {
        vec![self.contributor.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.data_params()?;
        let pool = load_pool(ctx, self.pool_id)?;
        check_open(&pool)?;
        if let Some(id) = ctx.content_owner(&self.content_sha256)? {
            return Err(DataError::DuplicateContent(id).into());
        }
        let min = pool
            .min_contributor_stake
            .as_ref()
            .map(Coin::from_proto)
            .transpose()?
            .ok_or_else(|| sdk::internal("pool without a minimum stake"))?;
        if self.stake.denom != min.denom || self.stake.amount < min.amount {
            return Err(DataError::StakeTooLow {
                got: self.stake.to_string(),
                min: min.to_string(),
            }
            .into());
        }
        let count = ctx.epoch_count(pool.id)?;
        if count >= u64::from(params.max_contributions_per_epoch) {
            return Err(DataError::EpochFull {
                pool: pool.id,
                max: params.max_contributions_per_epoch,
            }
            .into());
        }
        escrow(ctx, &self.contributor, &self.stake)?;
        ctx.set_epoch_count(pool.id, count.saturating_add(1))?;
        let c = pb::Contribution {
            id: ctx.next_id(CONTRIBUTION_SEQ)?,
            pool_id: pool.id,
            epoch: pool.epoch,
            contributor: self.contributor.to_bech32(),
            content_sha256: self.content_sha256.clone(),
            uri: self.uri.clone(),
            stake: Some(self.stake.to_proto()),
            ..Default::default()
        };
        ctx.put_contribution(&c)?;
        ctx.emit(events::contributed(&c));
        ctx.emit(sender_event(&self.contributor));
        Ok(response(pb::MsgContributeResponse {
            contribution_id: c.id,
        }))
    }
}

#[derive(Debug)]
pub struct ScoreContribution {
    pub validator: Address,
    pub contribution_id: u64,
    pub score_u16: u32,
}

impl TryFrom<pb::MsgScoreContribution> for ScoreContribution {
    type Error = TxError;
    fn try_from(m: pb::MsgScoreContribution) -> Result<Self, TxError> {
        if m.score_u16 > MAX_SCORE {
            return Err(DataError::BadScore(m.score_u16).into());
        }
        Ok(Self {
            validator: Address::from_bech32(&m.validator)?,
            contribution_id: m.contribution_id,
            score_u16: m.score_u16,
        })
    }
}

impl Message for ScoreContribution {
    fn signers(&self) -> Vec<Address> {
        vec![self.validator.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let c = ctx
            .get_contribution(self.contribution_id)?
            .ok_or(DataError::ContributionNotFound(self.contribution_id))?;
        let pool = load_pool(ctx, c.pool_id)?;
        let who = self.validator.to_bech32();
        if !named(&pool, &self.validator) {
            return Err(DataError::NotPoolValidator {
                pool: pool.id,
                validator: who,
            }
            .into());
        }
        let bond = ctx
            .get_pool_validator(pool.id, &self.validator)?
            .and_then(|v| v.stake);
        let bonded = bond
            .as_ref()
            .map(Coin::from_proto)
            .transpose()?
            .is_some_and(|c| c.amount > 0);
        if !bonded {
            return Err(DataError::NotBonded {
                pool: pool.id,
                validator: who,
            }
            .into());
        }
        if c.settled || c.epoch != pool.epoch {
            return Err(DataError::EpochOver {
                contribution: c.id,
                epoch: c.epoch,
            }
            .into());
        }
        if ctx.get_score(c.id, &self.validator)?.is_some() {
            return Err(DataError::AlreadyScored(who).into());
        }
        let sc = pb::Score {
            contribution_id: c.id,
            validator: who,
            score_u16: self.score_u16,
        };
        ctx.put_score(&sc)?;
        ctx.emit(events::contribution_scored(&sc));
        ctx.emit(sender_event(&self.validator));
        Ok(response(pb::MsgScoreContributionResponse {}))
    }
}
