//! distribution's records, as extension traits on any state ([`DistributionRead`],
//! [`DistributionWrite`]): params, withdraw addresses, and per validator the F1 accumulators
//! (outstanding rewards, accumulated commission, current rewards and period, historical
//! cumulative reward ratios with reference counts), delegators' starting infos and slash
//! events. Records are stored in their wire form (LegacyDec amounts as unit strings).

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;
use prost::Message;

use deai_framework::dec::Dec;
use deai_framework::{records, sdk, Address, StateRead, StateWrite, TxError};

use crate::deccoins::{dec_from_stored, dec_wire, DecCoins};
use crate::params::Params;
use crate::{state_key, MODULE_NAME};

/// A validator's current (not yet ended) period and the rewards it has gathered.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Current {
    pub rewards: DecCoins,
    pub period: u64,
}

/// The cumulative reward ratio at the end of a period, and how many starting infos and slash
/// events still refer to it (at most 2, as in the SDK).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Historical {
    pub ratio: DecCoins,
    pub reference_count: u32,
}

/// Where a delegation's reward accounting starts: the period it ended, its stake in tokens
/// (floored at 18 decimals) and the height.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartingInfo {
    pub previous_period: u64,
    pub stake: Dec,
    pub height: u64,
}

impl Historical {
    pub fn to_proto(&self) -> pb::ValidatorHistoricalRewards {
        pb::ValidatorHistoricalRewards {
            cumulative_reward_ratio: self.ratio.to_proto(),
            reference_count: self.reference_count,
        }
    }
    pub fn from_stored(p: &pb::ValidatorHistoricalRewards) -> Result<Self, TxError> {
        Ok(Self {
            ratio: DecCoins::from_stored(&p.cumulative_reward_ratio)?,
            reference_count: p.reference_count,
        })
    }
}

impl StartingInfo {
    pub fn to_proto(&self) -> pb::DelegatorStartingInfo {
        pb::DelegatorStartingInfo {
            previous_period: self.previous_period,
            stake: dec_wire(self.stake),
            height: self.height,
        }
    }
    pub fn from_stored(p: &pb::DelegatorStartingInfo) -> Result<Self, TxError> {
        Ok(Self {
            previous_period: p.previous_period,
            stake: dec_from_stored(&p.stake, "starting stake")?,
            height: p.height,
        })
    }
}

pub trait DistributionRead: StateRead {
    fn distribution_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), |p| {
            Params::from_proto(p).map_err(|e| e.0)
        })
    }

    /// Where `del`'s rewards go: the address it set, or itself.
    fn withdraw_addr(&self, del: &Address) -> Result<Address, TxError> {
        match self.get(&state_key::withdraw_addr(del))? {
            Some(b) => Address::from_bytes(&b)
                .map_err(|_| sdk::internal("corrupt distribution withdraw address")),
            None => Ok(del.clone()),
        }
    }

    /// A validator's outstanding rewards; None when it has no distribution records.
    fn outstanding(&self, val: &Address) -> Result<Option<DecCoins>, TxError> {
        let r: Option<pb::ValidatorOutstandingRewards> =
            records::get(MODULE_NAME, self, &state_key::outstanding(val))?;
        r.map(|r| DecCoins::from_stored(&r.rewards)).transpose()
    }

    fn accumulated_commission(&self, val: &Address) -> Result<DecCoins, TxError> {
        let r: Option<pb::ValidatorAccumulatedCommission> =
            records::get(MODULE_NAME, self, &state_key::commission(val))?;
        DecCoins::from_stored(&r.unwrap_or_default().commission)
    }

    fn current_rewards(&self, val: &Address) -> Result<Option<Current>, TxError> {
        let r: Option<pb::ValidatorCurrentRewards> =
            records::get(MODULE_NAME, self, &state_key::current(val))?;
        r.map(|r| {
            Ok(Current {
                rewards: DecCoins::from_stored(&r.rewards)?,
                period: r.period,
            })
        })
        .transpose()
    }

    /// The current rewards a validator must have (internal error otherwise).
    fn must_current(&self, val: &Address) -> Result<Current, TxError> {
        self.current_rewards(val)?
            .ok_or_else(|| sdk::internal("validator without distribution current rewards"))
    }

    fn historical(&self, val: &Address, period: u64) -> Result<Option<Historical>, TxError> {
        let r: Option<pb::ValidatorHistoricalRewards> =
            records::get(MODULE_NAME, self, &state_key::historical(val, period))?;
        r.map(|r| Historical::from_stored(&r)).transpose()
    }

    fn must_historical(&self, val: &Address, period: u64) -> Result<Historical, TxError> {
        self.historical(val, period)?
            .ok_or_else(|| sdk::internal(format!("missing historical rewards of period {period}")))
    }

    fn starting_info(&self, val: &Address, del: &Address) -> Result<Option<StartingInfo>, TxError> {
        let r: Option<pb::DelegatorStartingInfo> =
            records::get(MODULE_NAME, self, &state_key::starting(val, del))?;
        r.map(|r| StartingInfo::from_stored(&r)).transpose()
    }

    /// The community pool's decimal dust (the SDK's `FeePool.community_pool`, less the whole
    /// coins, which sit in the `community_pool` account).
    fn pool_dust(&self) -> Result<DecCoins, TxError> {
        let r: Option<pb::FeePool> = records::get(MODULE_NAME, self, &state_key::fee_pool())?;
        DecCoins::from_stored(&r.unwrap_or_default().community_pool)
    }

    fn previous_proposer(&self) -> Result<Vec<u8>, TxError> {
        Ok(self
            .get(&state_key::previous_proposer())?
            .unwrap_or_default())
    }
}

impl<T: StateRead + ?Sized> DistributionRead for T {}

pub trait DistributionWrite: StateWrite {
    fn set_distribution_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    fn set_withdraw_addr(&mut self, del: &Address, to: &Address) -> Result<(), TxError> {
        self.put(state_key::withdraw_addr(del), to.as_bytes().to_vec())
    }

    fn set_outstanding(&mut self, val: &Address, r: &DecCoins) -> Result<(), TxError> {
        let p = pb::ValidatorOutstandingRewards {
            rewards: r.to_proto(),
        };
        self.put(state_key::outstanding(val), p.encode_to_vec())
    }

    fn set_accumulated_commission(&mut self, val: &Address, c: &DecCoins) -> Result<(), TxError> {
        let p = pb::ValidatorAccumulatedCommission {
            commission: c.to_proto(),
        };
        self.put(state_key::commission(val), p.encode_to_vec())
    }

    fn set_current(&mut self, val: &Address, c: &Current) -> Result<(), TxError> {
        let p = pb::ValidatorCurrentRewards {
            rewards: c.rewards.to_proto(),
            period: c.period,
        };
        self.put(state_key::current(val), p.encode_to_vec())
    }

    fn set_historical(
        &mut self,
        val: &Address,
        period: u64,
        h: &Historical,
    ) -> Result<(), TxError> {
        self.put(
            state_key::historical(val, period),
            h.to_proto().encode_to_vec(),
        )
    }

    fn set_starting_info(
        &mut self,
        val: &Address,
        del: &Address,
        i: &StartingInfo,
    ) -> Result<(), TxError> {
        self.put(state_key::starting(val, del), i.to_proto().encode_to_vec())
    }

    fn set_slash_event(
        &mut self,
        val: &Address,
        height: u64,
        period: u64,
        fraction: Dec,
    ) -> Result<(), TxError> {
        let e = pb::ValidatorSlashEvent {
            validator_period: period,
            fraction: dec_wire(fraction),
        };
        self.put(
            state_key::slash_event(val, height, period),
            e.encode_to_vec(),
        )
    }

    fn set_pool_dust(&mut self, d: &DecCoins) -> Result<(), TxError> {
        let p = pb::FeePool {
            community_pool: d.to_proto(),
        };
        self.put(state_key::fee_pool(), p.encode_to_vec())
    }

    fn set_previous_proposer(&mut self, cons: &[u8]) -> Result<(), TxError> {
        self.put(state_key::previous_proposer(), cons.to_vec())
    }
}

impl<T: StateWrite + ?Sized> DistributionWrite for T {}
