//! The node's minimum gas price, a decimal coin such as `0.025udeai`, in fixed point.

use deai_framework::coins::validate_denom;
use deai_framework::{sdk, Coins, TxError};

/// Decimal places of a gas price.
const PRICE_DECIMALS: u32 = 18;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    pub denom: String,
    /// The price times 10^18.
    atto: u128,
}

impl GasPrice {
    pub fn parse(s: &str) -> anyhow::Result<Self> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| anyhow::anyhow!("gas price {s:?} has no denom"))?;
        let (num, denom) = s.split_at(split);
        validate_denom(denom).map_err(|e| anyhow::anyhow!("{}", e.log))?;
        let (int, frac) = num.split_once('.').unwrap_or((num, ""));
        anyhow::ensure!(
            !int.is_empty() && frac.len() as u32 <= PRICE_DECIMALS && int.len() <= 20,
            "invalid gas price {s:?}"
        );
        let int: u128 = int.parse()?;
        let frac_val: u128 = if frac.is_empty() { 0 } else { frac.parse()? };
        let atto = int
            .checked_mul(10u128.pow(PRICE_DECIMALS))
            .and_then(|v| v.checked_add(frac_val * 10u128.pow(PRICE_DECIMALS - frac.len() as u32)))
            .ok_or_else(|| anyhow::anyhow!("gas price {s:?} is too large"))?;
        Ok(Self {
            denom: denom.to_string(),
            atto,
        })
    }

    pub fn is_zero(&self) -> bool {
        self.atto == 0
    }

    /// The smallest fee that pays `gas` at this price (rounded up, as the SDK does).
    pub fn fee_for(&self, gas: u64) -> u128 {
        let scale = 10u128.pow(PRICE_DECIMALS);
        // u64 × (price < 2^128/2^64) cannot overflow for any sane price; saturate otherwise.
        let total = self.atto.saturating_mul(u128::from(gas));
        total / scale + u128::from(total % scale != 0)
    }

    /// Checks a tx's fee against this price for `gas`.
    pub fn check(&self, fee: &Coins, gas: u64) -> Result<(), TxError> {
        let required = self.fee_for(gas);
        if required == 0 {
            return Ok(());
        }
        let paid = fee.amount_of(&self.denom);
        if paid < required {
            return Err(sdk::insufficient_fee(format!(
                "insufficient fees; got: {fee} required: {required}{}",
                self.denom
            )));
        }
        Ok(())
    }
}

impl std::fmt::Display for GasPrice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scale = 10u128.pow(PRICE_DECIMALS);
        let frac = format!("{:018}", self.atto % scale);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            write!(f, "{}{}", self.atto / scale, self.denom)
        } else {
            write!(f, "{}.{}{}", self.atto / scale, frac, self.denom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rounds_up() {
        let p = GasPrice::parse("0.025udeai").unwrap();
        assert_eq!(p.to_string(), "0.025udeai");
        assert_eq!(p.fee_for(200_000), 5000);
        assert_eq!(p.fee_for(1), 1);
        assert_eq!(p.fee_for(0), 0);
        assert!(GasPrice::parse("0udeai").unwrap().is_zero());
        for bad in [
            "udeai",
            "1.2.3udeai",
            "-1udeai",
            "0.025",
            "1.0000000000000000001udeai",
        ] {
            assert!(GasPrice::parse(bad).is_err(), "{bad}");
        }
    }
}
