//! Routing of slashed stake: the one helper every market uses when a participant is proven
//! wrong. The market takes the slashed amount off its own stake record (its coins sit in the
//! market's module account); [`route_slash`] then pays it out of that account in a fixed
//! order: each claim in turn up to its cap (the victim first, then the reporter), and the
//! rest to the community pool's module account. Nothing is minted or burned: the amounts
//! paid always sum to the slashed amount.

use deai_framework::{Address, Coin, Coins, Event, TxError};

use crate::keeper::BankWrite;

/// Who may receive part of a slash, and at most how much.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub to: Address,
    pub cap: u128,
}

/// Where a slash went.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routed {
    /// Paid to each claim, in the order given.
    pub paid: Vec<u128>,
    pub to_pool: u128,
    /// The bank events of the transfers.
    pub events: Vec<Event>,
}

/// Pays `amount` out of module account `from_module`: claims first, in order, each up to its
/// cap, then the rest to module account `pool_module`.
pub fn route_slash<S: BankWrite + ?Sized>(
    state: &mut S,
    from_module: &str,
    amount: &Coin,
    claims: &[Claim],
    pool_module: &str,
) -> Result<Routed, TxError> {
    let mut left = amount.amount;
    let mut out = Routed::default();
    for claim in claims {
        let pay = left.min(claim.cap);
        if pay > 0 {
            let c = Coins::new(vec![Coin::new(amount.denom.clone(), pay)?])?;
            out.events
                .extend(state.send_from_module(from_module, &claim.to, &c)?);
        }
        left -= pay;
        out.paid.push(pay);
    }
    if left > 0 {
        let c = Coins::new(vec![Coin::new(amount.denom.clone(), left)?])?;
        out.events
            .extend(state.send_module_to_module(from_module, pool_module, &c)?);
    }
    out.to_pool = left;
    Ok(out)
}
