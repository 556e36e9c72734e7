//! The staking keeper, as extension traits on any state: records and their indexes
//! ([`StakingRead`], [`StakingWrite`]) and the operations the messages and `end_block` share
//! (delegate, unbond, pool moves). Other modules (slashing, distribution) use these traits and
//! never build staking's keys.

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use prost::Message;
use sha2::{Digest, Sha256};

use deai_bank::BankWrite;
use deai_framework::records;
use deai_framework::{sdk, Address, Coin, Coins, Event, StateRead, StateWrite, TxError};

use crate::address::{stored_val, val_to_bech32};
use crate::error::StakingError;
use crate::math::{self, Dec};
use crate::params::Params;
use crate::{state_key, BONDED_POOL, MODULE_NAME, NOT_BONDED_POOL, POWER_REDUCTION};

pub const ED25519_PUBKEY_URL: &str = "/cosmos.crypto.ed25519.PubKey";

pub const BONDED: i32 = pb::BondStatus::Bonded as i32;
pub const UNBONDING: i32 = pb::BondStatus::Unbonding as i32;
pub const UNBONDED: i32 = pb::BondStatus::Unbonded as i32;

/// A validator's tokens (an integer string in the record).
pub fn tokens(v: &pb::Validator) -> Result<u128, TxError> {
    deai_framework::coins::parse_amount(&v.tokens)
        .map_err(|_| sdk::internal(format!("corrupt tokens of {}", v.operator_address)))
}

/// A validator's delegator shares.
pub fn shares(v: &pb::Validator) -> Result<Dec, TxError> {
    math::parse_dec(&v.delegator_shares)
        .map_err(|_| sdk::internal(format!("corrupt shares of {}", v.operator_address)))
}

pub fn delegation_shares(d: &pb::Delegation) -> Result<Dec, TxError> {
    math::parse_dec(&d.shares).map_err(|_| sdk::internal("corrupt delegation shares"))
}

pub fn min_self_delegation(v: &pb::Validator) -> Result<u128, TxError> {
    deai_framework::coins::parse_amount(&v.min_self_delegation)
        .map_err(|_| sdk::internal("corrupt min_self_delegation"))
}

/// The consensus power of `tokens`: tokens / 10^6 (the SDK's DefaultPowerReduction), capped at
/// i64::MAX (CometBFT's limit is far lower; the total is checked where it matters).
pub fn power_of(tokens: u128) -> i64 {
    i64::try_from(tokens / POWER_REDUCTION).unwrap_or(i64::MAX)
}

/// The power a validator would have if bonded (0 when jailed).
pub fn potential_power(v: &pb::Validator) -> Result<i64, TxError> {
    if v.jailed {
        return Ok(0);
    }
    Ok(power_of(tokens(v)?))
}

/// The 32 raw bytes of a validator's ed25519 consensus key.
pub fn consensus_key(v: &pb::Validator) -> Result<Vec<u8>, TxError> {
    let any = v
        .consensus_pubkey
        .as_ref()
        .ok_or_else(|| sdk::internal("validator without consensus key"))?;
    pubkey_bytes(any).map_err(|e| sdk::internal(format!("corrupt consensus key: {e}")))
}

/// The ed25519 key in an `Any`, checked: `/cosmos.crypto.ed25519.PubKey` of 32 bytes.
pub fn pubkey_bytes(
    any: &tendermint_proto::google::protobuf::Any,
) -> Result<Vec<u8>, StakingError> {
    if any.type_url != ED25519_PUBKEY_URL {
        return Err(StakingError::PubKeyTypeNotSupported(format!(
            "got: {}, expected: [ed25519]",
            any.type_url
        )));
    }
    let pk = cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey::decode(any.value.as_slice())
        .map_err(|e| StakingError::PubKeyTypeNotSupported(format!("cannot decode: {e}")))?;
    if pk.key.len() != 32 {
        return Err(StakingError::PubKeyTypeNotSupported(format!(
            "ed25519 key must be 32 bytes, got {}",
            pk.key.len()
        )));
    }
    Ok(pk.key)
}

/// The `Any` of an ed25519 key.
pub fn pubkey_any(key: &[u8]) -> tendermint_proto::google::protobuf::Any {
    tendermint_proto::google::protobuf::Any {
        type_url: ED25519_PUBKEY_URL.into(),
        value: cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey { key: key.to_vec() }
            .encode_to_vec(),
    }
}

/// CometBFT's address of an ed25519 key: the first 20 bytes of its sha256.
pub fn consensus_address(key: &[u8]) -> Vec<u8> {
    Sha256::digest(key)[..20].to_vec()
}

pub fn operator(v: &pb::Validator) -> Result<Address, TxError> {
    stored_val(&v.operator_address)
}

/// A block time as a queue key (seconds; times before 1970 sort first).
pub fn time_key(secs: i64) -> u64 {
    u64::try_from(secs).unwrap_or(0)
}

pub fn bond_coins(denom: &str, amount: u128) -> Result<Coins, TxError> {
    if amount == 0 {
        return Ok(Coins::empty());
    }
    Coins::new(vec![Coin::new(denom, amount)?])
}

/// The pool holding a validator's tokens.
pub fn pool_of(status: i32) -> &'static str {
    if status == BONDED {
        BONDED_POOL
    } else {
        NOT_BONDED_POOL
    }
}

pub trait StakingRead: StateRead {
    fn staking_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    fn validator(&self, op: &Address) -> Result<Option<pb::Validator>, TxError> {
        records::get(MODULE_NAME, self, &state_key::validator(op))
    }

    /// The validator or ErrNoValidatorFound.
    fn must_validator(&self, op: &Address) -> Result<pb::Validator, TxError> {
        self.validator(op)?
            .ok_or_else(|| StakingError::NoValidatorFound(val_to_bech32(op)).into())
    }

    fn validator_by_cons(&self, cons: &[u8]) -> Result<Option<Address>, TxError> {
        self.get(&state_key::by_cons(cons))?
            .map(|b| Address::from_bytes(&b))
            .transpose()
    }

    fn delegation(&self, del: &Address, val: &Address) -> Result<Option<pb::Delegation>, TxError> {
        records::get(MODULE_NAME, self, &state_key::delegation(del, val))
    }

    fn ubd(
        &self,
        del: &Address,
        val: &Address,
    ) -> Result<Option<pb::UnbondingDelegation>, TxError> {
        records::get(MODULE_NAME, self, &state_key::ubd(del, val))
    }

    fn red(
        &self,
        del: &Address,
        src: &Address,
        dst: &Address,
    ) -> Result<Option<pb::Redelegation>, TxError> {
        records::get(MODULE_NAME, self, &state_key::red(del, src, dst))
    }

    /// Whether some redelegation of `del` into `dst` is still maturing.
    fn has_receiving_redelegation(&self, del: &Address, dst: &Address) -> Result<bool, TxError> {
        let prefix = state_key::red_by_dst_of(dst, del);
        let end = deai_framework::keys::prefix_end(&prefix);
        Ok(!self.scan(&prefix, end.as_deref(), false, 1)?.is_empty())
    }

    /// Up to `limit` validators, in operator order (for other modules' genesis).
    fn all_validators(&self, limit: usize) -> Result<Vec<pb::Validator>, TxError> {
        records::all_under(MODULE_NAME, self, &state_key::validators(), limit)
    }

    /// Up to `limit` delegations of `del`, in validator order.
    fn delegations_of(&self, del: &Address, limit: usize) -> Result<Vec<pb::Delegation>, TxError> {
        records::all_under(MODULE_NAME, self, &state_key::delegations_of(del), limit)
    }

    /// Up to `limit` delegations of everyone, in (delegator, validator) order.
    fn all_delegations(&self, limit: usize) -> Result<Vec<pb::Delegation>, TxError> {
        records::all_under(MODULE_NAME, self, &state_key::all_delegations(), limit)
    }

    fn last_power(&self, op: &Address) -> Result<i64, TxError> {
        match self.get(&state_key::last_power(op))? {
            None => Ok(0),
            Some(b) => Ok(records::u64_value(&b, "last validator power")? as i64),
        }
    }

    fn last_total_power(&self) -> Result<i64, TxError> {
        match self.get(&state_key::last_total_power())? {
            None => Ok(0),
            Some(b) => Ok(records::u64_value(&b, "last total power")? as i64),
        }
    }

    /// Every (operator, power) CometBFT last heard of, in key order (at most `limit`).
    fn last_powers(&self, limit: usize) -> Result<Vec<(Address, i64)>, TxError> {
        let prefix = state_key::last_power_prefix();
        let end = deai_framework::keys::prefix_end(&prefix);
        let mut out = Vec::new();
        for (k, v) in self.scan(&prefix, end.as_deref(), false, limit)? {
            let op = state_key::read_addrs(&k[prefix.len()..], 1)?.remove(0);
            out.push((op, records::u64_value(&v, "last validator power")? as i64));
        }
        Ok(out)
    }

    fn historical_info(&self, height: u64) -> Result<Option<pb::HistoricalInfo>, TxError> {
        records::get(MODULE_NAME, self, &state_key::historical(height))
    }

    /// The validator updates the last end_block computed (for the app to hand to CometBFT).
    fn stored_validator_updates(&self) -> Result<Vec<(Vec<u8>, i64)>, TxError> {
        let u: Option<pb::ValidatorUpdates> =
            records::get(MODULE_NAME, self, &state_key::validator_updates())?;
        let mut out = Vec::new();
        for up in u.unwrap_or_default().updates {
            let key = match up.pub_key.and_then(|k| k.sum) {
                Some(tendermint_proto::crypto::public_key::Sum::Ed25519(b)) => b,
                _ => return Err(sdk::internal("corrupt stored validator update")),
            };
            out.push((key, up.power));
        }
        Ok(out)
    }
}

impl<T: StateRead + ?Sized> StakingRead for T {}

pub trait StakingWrite: StateWrite {
    fn set_staking_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    /// Writes a validator and keeps its status and power indexes in step (the one place they
    /// change).
    fn put_validator(&mut self, v: &pb::Validator) -> Result<(), TxError> {
        let op = operator(v)?;
        if let Some(old) = self.validator(&op)? {
            self.delete(state_key::status(old.status, &op))?;
            self.delete(state_key::power(potential_power(&old)? as u64, &op))?;
        }
        self.put(state_key::status(v.status, &op), Vec::new())?;
        if !v.jailed {
            self.put(
                state_key::power(potential_power(v)? as u64, &op),
                Vec::new(),
            )?;
        }
        self.put(state_key::validator(&op), v.encode_to_vec())
    }

    /// Removes a validator with no shares left and no power at CometBFT, with the index entries
    /// of both the stored record and `v` (the caller's updated copy).
    fn remove_validator(&mut self, v: &pb::Validator) -> Result<(), TxError> {
        let op = operator(v)?;
        if let Some(old) = self.validator(&op)? {
            self.delete(state_key::status(old.status, &op))?;
            self.delete(state_key::power(potential_power(&old)? as u64, &op))?;
        }
        self.delete(state_key::status(v.status, &op))?;
        self.delete(state_key::power(potential_power(v)? as u64, &op))?;
        self.delete(state_key::by_cons(&consensus_address(&consensus_key(v)?)))?;
        self.delete(state_key::validator(&op))
    }

    fn put_delegation(&mut self, del: &Address, val: &Address, shares: Dec) -> Result<(), TxError> {
        if shares == Dec::ZERO {
            self.delete(state_key::delegation_by_val(val, del))?;
            return self.delete(state_key::delegation(del, val));
        }
        let d = pb::Delegation {
            delegator_address: del.to_bech32(),
            validator_address: val_to_bech32(val),
            shares: shares.to_string(),
        };
        self.put(state_key::delegation_by_val(val, del), Vec::new())?;
        self.put(state_key::delegation(del, val), d.encode_to_vec())
    }

    fn put_ubd(
        &mut self,
        del: &Address,
        val: &Address,
        u: &pb::UnbondingDelegation,
    ) -> Result<(), TxError> {
        if u.entries.is_empty() {
            self.delete(state_key::ubd_by_val(val, del))?;
            return self.delete(state_key::ubd(del, val));
        }
        self.put(state_key::ubd_by_val(val, del), Vec::new())?;
        self.put(state_key::ubd(del, val), u.encode_to_vec())
    }

    fn put_red(
        &mut self,
        del: &Address,
        src: &Address,
        dst: &Address,
        r: &pb::Redelegation,
    ) -> Result<(), TxError> {
        if r.entries.is_empty() {
            self.delete(state_key::red_by_dst(dst, del, src))?;
            self.delete(state_key::red_by_src(src, del, dst))?;
            return self.delete(state_key::red(del, src, dst));
        }
        self.put(state_key::red_by_dst(dst, del, src), Vec::new())?;
        self.put(state_key::red_by_src(src, del, dst), Vec::new())?;
        self.put(state_key::red(del, src, dst), r.encode_to_vec())
    }

    fn set_last_power(&mut self, op: &Address, power: i64) -> Result<(), TxError> {
        if power <= 0 {
            return self.delete(state_key::last_power(op));
        }
        self.put(
            state_key::last_power(op),
            (power as u64).to_be_bytes().to_vec(),
        )
    }

    fn set_last_total_power(&mut self, power: i64) -> Result<(), TxError> {
        self.put(
            state_key::last_total_power(),
            (power.max(0) as u64).to_be_bytes().to_vec(),
        )
    }

    /// Moves `amount` bond tokens between the two pools (nothing if they are the same).
    fn move_pool(
        &mut self,
        from: &str,
        to: &str,
        amount: u128,
        events: &mut Vec<Event>,
    ) -> Result<(), TxError> {
        if from == to || amount == 0 {
            return Ok(());
        }
        let denom = self.staking_params()?.bond_denom;
        events.extend(self.send_module_to_module(from, to, &bond_coins(&denom, amount)?)?);
        Ok(())
    }

    /// Adds `amount` tokens to a validator for `del`, taken from `del`'s account (`source` None)
    /// or from a pool (a redelegation, a cancelled unbonding). Returns the shares issued.
    fn delegate(
        &mut self,
        del: &Address,
        v: &mut pb::Validator,
        amount: u128,
        source: Option<&str>,
        events: &mut Vec<Event>,
    ) -> Result<Dec, TxError> {
        let (t, s) = (tokens(v)?, shares(v)?);
        if t == 0 && s != Dec::ZERO {
            return Err(StakingError::DelegatorShareExRateInvalid.into());
        }
        let issued = math::shares_for_delegation(t, s, amount)?;
        if issued == Dec::ZERO {
            return Err(StakingError::InsufficientShares(format!(
                "{amount} tokens buy no shares of {}",
                v.operator_address
            ))
            .into());
        }
        let denom = self.staking_params()?.bond_denom;
        let pool = pool_of(v.status);
        match source {
            None => events.extend(self.send_to_module(del, pool, &bond_coins(&denom, amount)?)?),
            Some(from) => self.move_pool(from, pool, amount, events)?,
        }
        let new_tokens = t
            .checked_add(amount)
            .ok_or_else(|| sdk::overflow("validator tokens overflow"))?;
        let new_shares = s
            .units()
            .checked_add(issued.units())
            .ok_or_else(|| sdk::overflow("validator shares overflow"))?;
        v.tokens = new_tokens.to_string();
        v.delegator_shares = Dec::from_units(new_shares).to_string();
        self.put_validator(v)?;
        let val = operator(v)?;
        let have = match self.delegation(del, &val)? {
            Some(d) => delegation_shares(&d)?,
            None => Dec::ZERO,
        };
        let total = have
            .units()
            .checked_add(issued.units())
            .ok_or_else(|| sdk::overflow("delegation shares overflow"))?;
        self.put_delegation(del, &val, Dec::from_units(total))?;
        Ok(issued)
    }

    /// Removes `remove` shares of `del`'s delegation to `v` and returns the tokens they were
    /// worth (which stay in the validator's pool; the caller moves them). Jails the validator
    /// when its operator's self-delegation falls below the minimum, as the SDK does.
    fn unbond(
        &mut self,
        del: &Address,
        v: &mut pb::Validator,
        remove: Dec,
    ) -> Result<u128, TxError> {
        let val = operator(v)?;
        let d = self
            .delegation(del, &val)?
            .ok_or(StakingError::NoDelegation)?;
        let have = delegation_shares(&d)?;
        if remove > have {
            return Err(StakingError::NotEnoughDelegationShares.into());
        }
        let left = Dec::from_units(have.units() - remove.units());
        self.put_delegation(del, &val, left)?;
        let (t, s) = (tokens(v)?, shares(v)?);
        let amount = math::tokens_for_shares(t, s, remove)?;
        let rest = t
            .checked_sub(amount)
            .ok_or_else(|| sdk::internal("unbond takes more tokens than the validator has"))?;
        let rest_shares = s
            .units()
            .checked_sub(remove.units())
            .ok_or_else(|| sdk::internal("unbond takes more shares than the validator has"))?;
        v.tokens = rest.to_string();
        v.delegator_shares = Dec::from_units(rest_shares).to_string();
        if *del == val && !v.jailed {
            let self_tokens = if rest_shares == 0 {
                0
            } else {
                math::tokens_for_shares(rest, Dec::from_units(rest_shares), left)?
            };
            if self_tokens < min_self_delegation(v)? {
                v.jailed = true;
            }
        }
        if rest_shares == 0 && v.status == UNBONDED && self.last_power(&val)? == 0 {
            self.remove_validator(v)?;
        } else {
            self.put_validator(v)?;
        }
        Ok(amount)
    }

    /// The shares an undelegation or redelegation of `amount` tokens removes: the ceiling of
    /// their worth, capped at the delegation (the SDK's `ValidateUnbondAmount`).
    fn shares_to_unbond(
        &self,
        del: &Address,
        v: &pb::Validator,
        amount: u128,
    ) -> Result<Dec, TxError> {
        let val = operator(v)?;
        let d = self
            .delegation(del, &val)?
            .ok_or(StakingError::NoDelegation)?;
        let have = delegation_shares(&d)?;
        let (t, s) = (tokens(v)?, shares(v)?);
        if t == 0 {
            return Err(StakingError::DelegatorShareExRateInvalid.into());
        }
        let truncated = Dec::from_units(math::mul_div_floor(s.units(), amount, t)?);
        if truncated > have {
            return Err(StakingError::NotEnoughDelegationShares.into());
        }
        let ceil = math::shares_for_unbond(t, s, amount)?;
        Ok(ceil.min(have))
    }

    /// Puts a validator in jail: out of the power index, so end_block drops it from the set.
    fn jail(&mut self, op: &Address) -> Result<(), TxError> {
        let mut v = self.must_validator(op)?;
        if !v.jailed {
            v.jailed = true;
            self.put_validator(&v)?;
        }
        Ok(())
    }

    /// Releases a jailed validator (the slashing module's MsgUnjail checks its conditions).
    fn unjail(&mut self, op: &Address) -> Result<(), TxError> {
        let mut v = self.must_validator(op)?;
        if v.jailed {
            v.jailed = false;
            self.put_validator(&v)?;
        }
        Ok(())
    }
}

impl<T: StateWrite + ?Sized> StakingWrite for T {}
