//! The price split. For a payment `P`:
//!
//! ```text
//! fee      = floor(P · fee_bps / 10000)                    → the fee collector
//! net      = P − fee
//! share_i  = floor(net · bps_i / 10000)                     → contributor i   (Σ bps_i = 10000)
//! rest     = net − Σ share_i   (0 ≤ rest < number of contributors)  → the listing's seller
//! ```
//!
//! so `fee + Σ share_i + rest = P` exactly: nothing is created or lost. Payments to the same
//! address are merged into one, in the order first met (fee collector, contributors, seller),
//! and zero amounts are dropped.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Uint128};

use crate::error::ContractError;
use crate::state::Contributor;

pub const BPS: u128 = 10_000;

#[cw_serde]
pub struct Payout {
    pub address: Addr,
    pub amount: Uint128,
}

#[cw_serde]
pub struct Split {
    pub price: Uint128,
    pub fee: Uint128,
    /// Contributors' floored shares, in listing order.
    pub shares: Vec<Payout>,
    /// `net − Σ shares`, paid to the seller.
    pub remainder: Uint128,
    /// What is actually sent: merged by address, zero amounts dropped. Sums to `price`.
    pub payouts: Vec<Payout>,
}

/// floor(v · bps / 10000), never more than v.
fn ratio(v: Uint128, bps: u128) -> Result<Uint128, ContractError> {
    if bps > BPS {
        return Err(ContractError::invalid("share_bps", "above 10000"));
    }
    v.checked_multiply_ratio(bps, BPS)
        .map_err(|e| ContractError::invalid("price", e.to_string()))
}

pub fn split(
    price: Uint128,
    fee_bps: u16,
    fee_collector: &Addr,
    contributors: &[Contributor],
    seller: &Addr,
) -> Result<Split, ContractError> {
    let fee = ratio(price, u128::from(fee_bps))?;
    let net = price.checked_sub(fee)?;
    let mut shares = Vec::with_capacity(contributors.len());
    let mut paid = Uint128::zero();
    for c in contributors {
        let amount = ratio(net, u128::from(c.share_bps))?;
        paid = paid.checked_add(amount)?;
        shares.push(Payout {
            address: c.address.clone(),
            amount,
        });
    }
    let remainder = net.checked_sub(paid)?;
    let mut payouts: Vec<Payout> = Vec::new();
    let all = std::iter::once((fee_collector, fee))
        .chain(shares.iter().map(|p| (&p.address, p.amount)))
        .chain(std::iter::once((seller, remainder)));
    for (address, amount) in all {
        if amount.is_zero() {
            continue;
        }
        match payouts.iter_mut().find(|p| p.address == *address) {
            Some(p) => p.amount = p.amount.checked_add(amount)?,
            None => payouts.push(Payout {
                address: address.clone(),
                amount,
            }),
        }
    }
    Ok(Split {
        price,
        fee,
        shares,
        remainder,
        payouts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(a: &str, bps: u16) -> Contributor {
        Contributor {
            address: Addr::unchecked(a),
            share_bps: bps,
        }
    }

    #[test]
    fn the_split_adds_up_to_the_unit_for_every_price() {
        let cs = [c("a", 3333), c("b", 3333), c("c", 3334)];
        let (fee_to, seller) = (Addr::unchecked("fee"), Addr::unchecked("seller"));
        for p in [
            0u128,
            1,
            2,
            3,
            7,
            10,
            99,
            101,
            9_999,
            10_001,
            123_456_789,
            u128::MAX / 20_000,
        ] {
            for fee_bps in [0u16, 1, 250, 1000] {
                let s = split(Uint128::new(p), fee_bps, &fee_to, &cs, &seller).unwrap();
                let sum: u128 = s.payouts.iter().map(|x| x.amount.u128()).sum();
                assert_eq!(sum, p, "price {p} fee {fee_bps}");
                let parts: u128 = s.fee.u128()
                    + s.shares.iter().map(|x| x.amount.u128()).sum::<u128>()
                    + s.remainder.u128();
                assert_eq!(parts, p);
                assert!(s.remainder.u128() < cs.len() as u128);
            }
        }
    }

    #[test]
    fn random_contributor_sets_always_add_up() {
        let mut x: u64 = 0x9e3779b97f4a7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..2_000 {
            let n = 1 + next(20) as usize;
            // n shares summing to 10000: n − 1 random cut points.
            let mut cuts: Vec<u64> = (0..n - 1).map(|_| 1 + next(9_999)).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut prev = 0;
            let mut cs = vec![];
            for (i, cut) in cuts.iter().chain(std::iter::once(&10_000)).enumerate() {
                cs.push(c(&format!("c{i}"), (cut - prev) as u16));
                prev = *cut;
            }
            assert_eq!(
                cs.iter().map(|c| u32::from(c.share_bps)).sum::<u32>(),
                10_000
            );
            let price = Uint128::new(u128::from(next(1 << 40)));
            let fee_bps = next(1_001) as u16;
            let seller = Addr::unchecked(if next(2) == 0 { "c0" } else { "seller" });
            let s = split(price, fee_bps, &Addr::unchecked("fee"), &cs, &seller).unwrap();
            assert_eq!(s.payouts.iter().map(|p| p.amount).sum::<Uint128>(), price);
            assert!(s.remainder.u128() < cs.len() as u128);
            assert!(s.payouts.iter().all(|p| !p.amount.is_zero()));
        }
    }

    #[test]
    fn a_seller_who_is_a_contributor_gets_one_merged_payout() {
        let cs = [c("seller", 5000), c("b", 5000)];
        let s = split(
            Uint128::new(101),
            0,
            &Addr::unchecked("fee"),
            &cs,
            &Addr::unchecked("seller"),
        )
        .unwrap();
        assert_eq!(s.shares[0].amount.u128(), 50);
        assert_eq!(s.remainder.u128(), 1);
        assert_eq!(s.payouts.len(), 2);
        assert_eq!(
            s.payouts[0],
            Payout {
                address: Addr::unchecked("seller"),
                amount: Uint128::new(51)
            }
        );
    }
}
