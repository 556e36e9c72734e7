//! The emission part of a market's reward pool: how much of a task's, topic's or pool's
//! reward balance came from emission and is not yet paid out.
//!
//! A market pays its rewards as a fraction of the whole balance (or a fixed amount out of
//! it), fee money and emission alike, so between two credits the emission part shrinks in
//! proportion to the balance: `part × balance_now / balance_after_last_credit`, floored, and
//! never grown (a balance that grew took in other money). Markets keep one record per
//! recipient in their own state (`[part ‖ balance_after]`, two u128 BE) and read it:
//! - to keep emission out of a weight that must not feed itself (inference's fee proxy);
//! - so that a refund of a closed or finished recipient can send the unspent emission to the
//!   community pool instead of its owner (the market's own settlement code).

use deai_framework::keys::{prefix_end, trailing_id};
use deai_framework::{sdk, StateRead, TxError};

use crate::math::mul_div_floor;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolPart {
    /// Emission credited and not yet paid out, as of the last credit.
    pub part: u128,
    /// The balance right after the last credit.
    pub balance_after: u128,
}

impl PoolPart {
    /// The stored record (`None`: no emission was ever credited).
    pub fn decode(bytes: Option<&[u8]>) -> Result<Self, TxError> {
        let Some(b) = bytes else {
            return Ok(Self::default());
        };
        let arr: [u8; 32] = b
            .try_into()
            .map_err(|_| sdk::internal("corrupt emission part record"))?;
        let mut part = [0u8; 16];
        let mut after = [0u8; 16];
        part.copy_from_slice(&arr[..16]);
        after.copy_from_slice(&arr[16..]);
        Ok(Self {
            part: u128::from_be_bytes(part),
            balance_after: u128::from_be_bytes(after),
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = self.part.to_be_bytes().to_vec();
        v.extend_from_slice(&self.balance_after.to_be_bytes());
        v
    }

    /// A record from its genesis form (two decimal u128 strings); the part is at most the
    /// balance it was credited into.
    pub fn parse(part: &str, balance_after: &str) -> Result<Self, String> {
        let num = |s: &str, what: &str| -> Result<u128, String> {
            if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{what}: invalid integer {s:?}"));
            }
            s.parse::<u128>()
                .map_err(|_| format!("{what}: invalid integer {s:?}"))
        };
        let p = Self {
            part: num(part, "emission part")?,
            balance_after: num(balance_after, "balance after")?,
        };
        if p.part > p.balance_after {
            return Err(format!(
                "emission part {} above the balance {}",
                p.part, p.balance_after
            ));
        }
        Ok(p)
    }

    /// Every record under `prefix` (keys `prefix ‖ id as u64 BE`), by id: a market's genesis
    /// export (one pass over its own records, like the rest of its export).
    pub fn all_under(state: &dyn StateRead, prefix: &[u8]) -> Result<Vec<(u64, Self)>, TxError> {
        let end = prefix_end(prefix);
        state
            .scan(prefix, end.as_deref(), false, usize::MAX)?
            .iter()
            .map(|(k, v)| {
                let id = trailing_id(k).ok_or_else(|| sdk::internal("corrupt emission key"))?;
                Ok((id, Self::decode(Some(v))?))
            })
            .collect()
    }

    /// The emission part of a balance of `balance` now (at most `balance`).
    pub fn now(&self, balance: u128) -> Result<u128, TxError> {
        if self.balance_after == 0 || balance >= self.balance_after {
            return Ok(self.part.min(balance));
        }
        Ok(mul_div_floor(self.part, balance, self.balance_after)?.min(balance))
    }

    /// The record after crediting `amount` to a balance of `balance`.
    pub fn credited(&self, balance: u128, amount: u128) -> Result<Self, TxError> {
        let overflow = || sdk::internal("emission part overflows");
        Ok(Self {
            part: self
                .now(balance)?
                .checked_add(amount)
                .ok_or_else(overflow)?,
            balance_after: balance.checked_add(amount).ok_or_else(overflow)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_part_shrinks_with_the_balance_and_never_grows() {
        let p = PoolPart::default().credited(900, 100).unwrap();
        assert_eq!(
            p,
            PoolPart {
                part: 100,
                balance_after: 1_000
            }
        );
        assert_eq!(p.now(500).unwrap(), 50);
        assert_eq!(p.now(2_000).unwrap(), 100);
        assert_eq!(p.now(0).unwrap(), 0);
        let q = p.credited(500, 10).unwrap();
        assert_eq!(
            q,
            PoolPart {
                part: 60,
                balance_after: 510
            }
        );
        assert_eq!(PoolPart::decode(Some(&q.encode())).unwrap(), q);
        assert_eq!(PoolPart::decode(None).unwrap(), PoolPart::default());
        assert!(PoolPart::decode(Some(&[1, 2])).is_err());
        assert_eq!(PoolPart::parse("60", "510").unwrap(), q);
        assert!(PoolPart::parse("511", "510").is_err());
        assert!(PoolPart::parse("-1", "510").is_err());
        assert!(PoolPart::parse("", "510").is_err());
    }
}
