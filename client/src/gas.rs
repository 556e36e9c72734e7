//! Gas prices: a decimal coin per unit of gas such as `0.025udeai`, in fixed point. The node's
//! `minimum_gas_prices` check and the clients' fee computation are this one type.

use deai_framework::coins::validate_denom;
use deai_framework::{sdk, Coins, TxError};

/// Decimal places of a gas price.
pub const PRICE_DECIMALS: u32 = 18;

/// A price per unit of gas, a decimal coin such as `0.025udeai`, in fixed point with 18
/// decimals (the node's `minimum_gas_prices` and the client's `--gas-prices`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    /// The price times 10^18 (`0.025udeai` is 25 × 10^15).
    pub amount_atto: u128,
    pub denom: String,
}

impl GasPrice {
    /// The default price of the CLI and the workers, `0.025udeai` (the node's default minimum).
    pub fn default_price() -> Self {
        Self {
            amount_atto: 25 * 10u128.pow(PRICE_DECIMALS - 3),
            denom: "udeai".into(),
        }
    }

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
            amount_atto: atto,
            denom: denom.to_string(),
        })
    }

    pub fn is_zero(&self) -> bool {
        self.amount_atto == 0
    }

    /// The smallest fee that pays `gas` at this price (rounded up, as the SDK does).
    pub fn fee_for(&self, gas: u64) -> u128 {
        let scale = 10u128.pow(PRICE_DECIMALS);
        // u64 × (price < 2^128/2^64) cannot overflow for any sane price; saturate otherwise.
        let total = self.amount_atto.saturating_mul(u128::from(gas));
        total / scale + u128::from(total % scale != 0)
    }

    /// [`GasPrice::fee_for`] as coins (empty when the fee is zero).
    pub fn fee_coins(&self, gas: u64) -> anyhow::Result<Coins> {
        let fee = self.fee_for(gas);
        if fee == 0 {
            return Ok(Coins::empty());
        }
        Coins::parse(&format!("{fee}{}", self.denom)).map_err(|e| anyhow::anyhow!(e.log))
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
        let frac = format!("{:018}", self.amount_atto % scale);
        let frac = frac.trim_end_matches('0');
        if frac.is_empty() {
            write!(f, "{}{}", self.amount_atto / scale, self.denom)
        } else {
            write!(f, "{}.{}{}", self.amount_atto / scale, frac, self.denom)
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
        assert_eq!(p.amount_atto, 25_000_000_000_000_000);
        assert_eq!(p.fee_for(200_000), 5000);
        assert_eq!(p.fee_for(1), 1);
        assert_eq!(p.fee_for(0), 0);
        assert_eq!(GasPrice::parse("2udeai").unwrap().fee_for(3), 6);
        assert_eq!(
            GasPrice::parse(" 1.5uatom ").unwrap().to_string(),
            "1.5uatom"
        );
        assert!(GasPrice::parse("0udeai").unwrap().is_zero());
        for bad in [
            "udeai",
            "1.2.3udeai",
            "-1udeai",
            "0.025",
            "1.0000000000000000001udeai",
            ".5udeai",
        ] {
            assert!(GasPrice::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fee_coins_and_check() {
        let p = GasPrice::parse("0.025udeai").unwrap();
        assert_eq!(p.fee_coins(200_000).unwrap().to_string(), "5000udeai");
        assert!(p.fee_coins(0).unwrap().is_empty());
        let paid = Coins::parse("5000udeai").unwrap();
        assert!(p.check(&paid, 200_000).is_ok());
        let e = p.check(&paid, 200_001).unwrap_err();
        assert_eq!((e.codespace, e.code), ("sdk", sdk::INSUFFICIENT_FEE));
        assert!(GasPrice::parse("0udeai")
            .unwrap()
            .check(&Coins::empty(), 1)
            .is_ok());
    }
}
