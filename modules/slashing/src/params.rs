//! slashing params: the SDK's five with its defaults and checks (`x/slashing/types/params.go`):
//! a positive window, fractions in [0, 1], a positive jail duration. The decimals travel in
//! proto as the SDK's LegacyDec bytes (the 10^-18-unit integer as ASCII digits).

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use tendermint_proto::google::protobuf::Duration;

use deai_framework::dec::Dec;
use deai_framework::params::InvalidParam;

use crate::error::SlashingError;

/// Largest window accepted (deai's bound: the bitmap of one validator is scanned whole when
/// it is reset).
pub const MAX_SIGNED_BLOCKS_WINDOW: i64 = 1_000_000;
/// Longest jail accepted: 10 years.
pub const MAX_JAIL_SECS: i64 = 60 * 60 * 24 * 3650;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub signed_blocks_window: i64,
    pub min_signed_per_window: Dec,
    /// Whole seconds.
    pub downtime_jail_secs: i64,
    pub slash_fraction_double_sign: Dec,
    pub slash_fraction_downtime: Dec,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            signed_blocks_window: 100,
            min_signed_per_window: Dec::from_units(500_000_000_000_000_000),
            downtime_jail_secs: 600,
            slash_fraction_double_sign: Dec::from_units(50_000_000_000_000_000),
            slash_fraction_downtime: Dec::from_units(10_000_000_000_000_000),
        }
    }
}

/// The LegacyDec proto bytes of `d` (its 10^-18 units in decimal).
pub fn dec_bytes(d: Dec) -> Vec<u8> {
    d.units().to_string().into_bytes()
}

/// Parses LegacyDec proto bytes as a fraction in [0, 1].
pub fn dec_from_bytes(b: &[u8], name: &str) -> Result<Dec, InvalidParam> {
    let s = std::str::from_utf8(b).map_err(|_| InvalidParam(format!("{name}: not a decimal")))?;
    if s.is_empty() || s.len() > 40 || !s.bytes().all(|c| c.is_ascii_digit()) {
        return Err(InvalidParam(format!("{name}: invalid decimal {s:?}")));
    }
    let units: u128 = s
        .parse()
        .map_err(|_| InvalidParam(format!("{name}: invalid decimal {s:?}")))?;
    let d = Dec::from_units(units);
    check_fraction(d, name)?;
    Ok(d)
}

fn check_fraction(d: Dec, name: &str) -> Result<(), InvalidParam> {
    if d > Dec::ONE {
        return Err(InvalidParam(format!("{name} too large: {d}")));
    }
    Ok(())
}

impl Params {
    pub fn validate(&self) -> Result<(), SlashingError> {
        if self.signed_blocks_window <= 0 {
            return Err(InvalidParam(format!(
                "signed blocks window must be positive: {}",
                self.signed_blocks_window
            ))
            .into());
        }
        if self.signed_blocks_window > MAX_SIGNED_BLOCKS_WINDOW {
            return Err(InvalidParam(format!(
                "signed blocks window must be at most {MAX_SIGNED_BLOCKS_WINDOW}"
            ))
            .into());
        }
        if self.downtime_jail_secs <= 0 || self.downtime_jail_secs > MAX_JAIL_SECS {
            return Err(InvalidParam(format!(
                "downtime jail duration must be positive and at most {MAX_JAIL_SECS}s: {}s",
                self.downtime_jail_secs
            ))
            .into());
        }
        check_fraction(self.min_signed_per_window, "min signed per window")?;
        check_fraction(
            self.slash_fraction_double_sign,
            "double sign slash fraction",
        )?;
        check_fraction(self.slash_fraction_downtime, "downtime slash fraction")?;
        Ok(())
    }

    pub fn from_proto(p: &pb::Params) -> Result<Self, SlashingError> {
        let d = p
            .downtime_jail_duration
            .as_ref()
            .ok_or_else(|| InvalidParam("downtime_jail_duration is required".into()))?;
        if d.nanos != 0 {
            return Err(InvalidParam("downtime_jail_duration must be whole seconds".into()).into());
        }
        let out = Self {
            signed_blocks_window: p.signed_blocks_window,
            min_signed_per_window: dec_from_bytes(
                &p.min_signed_per_window,
                "min signed per window",
            )?,
            downtime_jail_secs: d.seconds,
            slash_fraction_double_sign: dec_from_bytes(
                &p.slash_fraction_double_sign,
                "double sign slash fraction",
            )?,
            slash_fraction_downtime: dec_from_bytes(
                &p.slash_fraction_downtime,
                "downtime slash fraction",
            )?,
        };
        out.validate()?;
        Ok(out)
    }

    pub fn to_proto(&self) -> pb::Params {
        pb::Params {
            signed_blocks_window: self.signed_blocks_window,
            min_signed_per_window: dec_bytes(self.min_signed_per_window),
            downtime_jail_duration: Some(Duration {
                seconds: self.downtime_jail_secs,
                nanos: 0,
            }),
            slash_fraction_double_sign: dec_bytes(self.slash_fraction_double_sign),
            slash_fraction_downtime: dec_bytes(self.slash_fraction_downtime),
        }
    }

    /// The SDK's `MinSignedPerWindowInt`: min_signed_per_window × window, rounded half to
    /// even (LegacyDec's `RoundInt64`).
    pub fn min_signed_per_window_int(&self) -> i64 {
        let window = self.signed_blocks_window.max(0) as u128;
        // window ≤ 10^6 and the fraction ≤ 10^18: the product fits a u128.
        let units = self.min_signed_per_window.units() * window;
        let scale = deai_framework::dec::DEC_SCALE;
        let (q, r) = (units / scale, units % scale);
        let half = scale / 2;
        let rounded = if r > half || (r == half && q % 2 == 1) {
            q + 1
        } else {
            q
        };
        i64::try_from(rounded).unwrap_or(i64::MAX)
    }
}
