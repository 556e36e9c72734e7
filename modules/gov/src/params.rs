//! gov params: the SDK v0.50 set (`cosmos.gov.v1.Params`) with its defaults and its
//! `Params.ValidateBasic` checks. Decimals travel as the SDK's decimal strings
//! ("0.334000000000000000"); durations must be whole seconds (deai's block times are).

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use tendermint_proto::google::protobuf::Duration;

use deai_framework::dec::Dec;
use deai_framework::params::{fraction, InvalidParam};
use deai_framework::{Address, Coin, Coins};

use crate::error::GovError;

/// Longest period accepted: 10 years (deai's bound; the SDK has none).
pub const MAX_PERIOD_SECS: i64 = 60 * 60 * 24 * 3650;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub min_deposit: Coins,
    pub max_deposit_period_secs: i64,
    pub voting_period_secs: i64,
    pub quorum: Dec,
    pub threshold: Dec,
    pub veto_threshold: Dec,
    pub min_initial_deposit_ratio: Dec,
    pub proposal_cancel_ratio: Dec,
    /// Empty: the cancellation charge is burned.
    pub proposal_cancel_dest: Option<Address>,
    pub expedited_voting_period_secs: i64,
    pub expedited_threshold: Dec,
    pub expedited_min_deposit: Coins,
    pub burn_vote_quorum: bool,
    pub burn_proposal_deposit_prevote: bool,
    pub burn_vote_veto: bool,
    pub min_deposit_ratio: Dec,
}

fn milli(m: u128) -> Dec {
    Dec::from_units(m * 1_000_000_000_000_000)
}

fn udeai(amount: u128) -> Coins {
    Coins::new(vec![deai_bank::udeai(amount)]).unwrap_or_default()
}

impl Default for Params {
    /// The SDK's defaults (x/gov/types/v1/params.go), in udeai.
    fn default() -> Self {
        Self {
            min_deposit: udeai(10_000_000),
            max_deposit_period_secs: 172_800,
            voting_period_secs: 172_800,
            quorum: milli(334),
            threshold: milli(500),
            veto_threshold: milli(334),
            min_initial_deposit_ratio: Dec::ZERO,
            proposal_cancel_ratio: milli(500),
            proposal_cancel_dest: None,
            expedited_voting_period_secs: 86_400,
            expedited_threshold: milli(667),
            expedited_min_deposit: udeai(50_000_000),
            burn_vote_quorum: false,
            burn_proposal_deposit_prevote: false,
            burn_vote_veto: true,
            min_deposit_ratio: Dec::from_units(10_000_000_000_000_000),
        }
    }
}

fn duration(d: &Option<Duration>, name: &str) -> Result<i64, InvalidParam> {
    let d = d
        .as_ref()
        .ok_or_else(|| InvalidParam(format!("{name} must not be nil")))?;
    if d.nanos != 0 {
        return Err(InvalidParam(format!("{name} must be whole seconds")));
    }
    if d.seconds <= 0 || d.seconds > MAX_PERIOD_SECS {
        return Err(InvalidParam(format!(
            "{name} must be positive and at most {MAX_PERIOD_SECS}s: {}s",
            d.seconds
        )));
    }
    Ok(d.seconds)
}

fn dur(secs: i64) -> Option<Duration> {
    Some(Duration {
        seconds: secs,
        nanos: 0,
    })
}

fn coins(
    c: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
    name: &str,
) -> Result<Coins, InvalidParam> {
    let c = Coins::from_proto(c).map_err(|e| InvalidParam(format!("invalid {name}: {}", e.log)))?;
    if c.is_empty() {
        return Err(InvalidParam(format!("invalid {name}: empty")));
    }
    Ok(c)
}

/// Whether `a` holds at least every amount of `b` (the SDK's `a.IsAllGTE(b)`).
pub fn all_gte(a: &Coins, b: &Coins) -> bool {
    if b.is_empty() {
        return true;
    }
    if a.is_empty() {
        return false;
    }
    b.iter().all(|c| a.amount_of(&c.denom) >= c.amount)
}

impl Params {
    pub fn from_proto(p: &pb::Params) -> Result<Self, GovError> {
        let min_deposit = coins(&p.min_deposit, "minimum deposit")?;
        let expedited_min_deposit = coins(&p.expedited_min_deposit, "expedited minimum deposit")?;
        // The SDK's `minExpeditedDeposit.IsAllLTE(minDeposit)`.
        if all_gte(&min_deposit, &expedited_min_deposit) {
            return Err(InvalidParam(format!(
                "expedited minimum deposit must be greater than minimum deposit: {expedited_min_deposit}"
            ))
            .into());
        }
        let max_deposit_period_secs = duration(&p.max_deposit_period, "maximum deposit period")?;
        let quorum = fraction(&p.quorum, "quorum")?;
        let threshold = fraction(&p.threshold, "vote threshold")?;
        if threshold == Dec::ZERO {
            return Err(InvalidParam("vote threshold must be positive".into()).into());
        }
        let expedited_threshold = fraction(&p.expedited_threshold, "expedited threshold")?;
        if expedited_threshold == Dec::ZERO {
            return Err(InvalidParam("expedited threshold must be positive".into()).into());
        }
        if expedited_threshold <= threshold {
            return Err(InvalidParam(format!(
                "expedited threshold must be greater than the threshold: {expedited_threshold}"
            ))
            .into());
        }
        let veto_threshold = fraction(&p.veto_threshold, "veto threshold")?;
        if veto_threshold == Dec::ZERO {
            return Err(InvalidParam("veto threshold must be positive".into()).into());
        }
        let voting_period_secs = duration(&p.voting_period, "voting period")?;
        let expedited_voting_period_secs =
            duration(&p.expedited_voting_period, "expedited voting period")?;
        if expedited_voting_period_secs >= voting_period_secs {
            return Err(InvalidParam(format!(
                "expedited voting period {expedited_voting_period_secs}s must be strictly less that the regular voting period {voting_period_secs}s"
            ))
            .into());
        }
        let proposal_cancel_dest =
            if p.proposal_cancel_dest.is_empty() {
                None
            } else {
                Some(Address::from_bech32(&p.proposal_cancel_dest).map_err(|e| {
                    InvalidParam(format!("invalid proposal cancel dest: {}", e.log))
                })?)
            };
        Ok(Self {
            min_deposit,
            max_deposit_period_secs,
            voting_period_secs,
            quorum,
            threshold,
            veto_threshold,
            min_initial_deposit_ratio: fraction(
                &p.min_initial_deposit_ratio,
                "minimum initial deposit ratio",
            )?,
            proposal_cancel_ratio: fraction(&p.proposal_cancel_ratio, "proposal cancel ratio")?,
            proposal_cancel_dest,
            expedited_voting_period_secs,
            expedited_threshold,
            expedited_min_deposit,
            burn_vote_quorum: p.burn_vote_quorum,
            burn_proposal_deposit_prevote: p.burn_proposal_deposit_prevote,
            burn_vote_veto: p.burn_vote_veto,
            min_deposit_ratio: fraction(&p.min_deposit_ratio, "minimum deposit ratio")?,
        })
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            min_deposit: self.min_deposit.to_proto(),
            max_deposit_period: dur(self.max_deposit_period_secs),
            voting_period: dur(self.voting_period_secs),
            quorum: self.quorum.to_string(),
            threshold: self.threshold.to_string(),
            veto_threshold: self.veto_threshold.to_string(),
            min_initial_deposit_ratio: self.min_initial_deposit_ratio.to_string(),
            proposal_cancel_ratio: self.proposal_cancel_ratio.to_string(),
            proposal_cancel_dest: self
                .proposal_cancel_dest
                .as_ref()
                .map(Address::to_bech32)
                .unwrap_or_default(),
            expedited_voting_period: dur(self.expedited_voting_period_secs),
            expedited_threshold: self.expedited_threshold.to_string(),
            expedited_min_deposit: self.expedited_min_deposit.to_proto(),
            burn_vote_quorum: self.burn_vote_quorum,
            burn_proposal_deposit_prevote: self.burn_proposal_deposit_prevote,
            burn_vote_veto: self.burn_vote_veto,
            min_deposit_ratio: self.min_deposit_ratio.to_string(),
        }
    }

    /// The minimum deposit of a proposal (the SDK's `GetMinDepositFromParams`).
    pub fn min_deposit_for(&self, expedited: bool) -> &Coins {
        if expedited {
            &self.expedited_min_deposit
        } else {
            &self.min_deposit
        }
    }

    pub fn voting_period_for(&self, expedited: bool) -> i64 {
        if expedited {
            self.expedited_voting_period_secs
        } else {
            self.voting_period_secs
        }
    }
}

/// `amount × ratio` rounded half to even (LegacyDec's `RoundInt`).
pub fn mul_round(amount: u128, ratio: Dec) -> Option<u128> {
    let scale = deai_framework::dec::DEC_SCALE;
    let (q, r) = crate::tally::mul_div_rem(amount, ratio.units(), scale)?;
    let half = scale / 2;
    if r > half || (r == half && q % 2 == 1) {
        q.checked_add(1)
    } else {
        Some(q)
    }
}

/// `amount × ratio` truncated (LegacyDec's `TruncateInt`).
pub fn mul_trunc(amount: u128, ratio: Dec) -> Option<u128> {
    ratio.mul_floor(amount)
}

/// A coin of `denom` (denoms in params are already valid).
pub fn coin(denom: &str, amount: u128) -> Coin {
    Coin {
        denom: denom.to_string(),
        amount,
    }
}
