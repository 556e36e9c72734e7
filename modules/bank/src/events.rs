//! bank's events, with the Cosmos SDK's types and attribute names, so that tools that filter
//! on `coin_spent`, `coin_received`, `transfer`, `coinbase` and `burn` work unmodified. The
//! one place these are built.

use deai_framework::{Address, Coins, Event};

pub fn coin_spent(spender: &Address, amount: &Coins) -> Event {
    Event::new("coin_spent")
        .attr("spender", spender)
        .attr("amount", amount)
}

pub fn coin_received(receiver: &Address, amount: &Coins) -> Event {
    Event::new("coin_received")
        .attr("receiver", receiver)
        .attr("amount", amount)
}

/// `transfer`; MsgMultiSend's outputs name no sender, as in the SDK.
pub fn transfer(recipient: &Address, sender: Option<&Address>, amount: &Coins) -> Event {
    let e = Event::new("transfer").attr("recipient", recipient);
    match sender {
        Some(s) => e.attr("sender", s),
        None => e,
    }
    .attr("amount", amount)
}

pub fn coinbase(minter: &Address, amount: &Coins) -> Event {
    Event::new("coinbase")
        .attr("minter", minter)
        .attr("amount", amount)
}

pub fn burn(burner: &Address, amount: &Coins) -> Event {
    Event::new("burn")
        .attr("burner", burner)
        .attr("amount", amount)
}

/// The three events of a transfer, in the SDK's order. Each address and the amount are
/// formatted once (bech32 encoding is the costly part of a transfer's events).
pub fn transfer_events(from: &Address, to: &Address, coins: &Coins) -> Vec<Event> {
    let (from, to, amount) = (from.to_bech32(), to.to_bech32(), coins.to_string());
    vec![
        Event::new("coin_spent")
            .attr("spender", &from)
            .attr("amount", &amount),
        Event::new("coin_received")
            .attr("receiver", &to)
            .attr("amount", &amount),
        Event::new("transfer")
            .attr("recipient", to)
            .attr("sender", from)
            .attr("amount", amount),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `transfer_events` formats each part once; its events are still exactly the three
    /// single-event builders' output.
    #[test]
    fn transfer_events_are_the_three_builders_events() {
        let from = Address::from_bytes(&[1; 20]).unwrap();
        let to = Address::from_bytes(&[2; 20]).unwrap();
        let coins = Coins::parse("5uatom,7udeai").unwrap();
        assert_eq!(
            transfer_events(&from, &to, &coins),
            vec![
                coin_spent(&from, &coins),
                coin_received(&to, &coins),
                transfer(&to, Some(&from), &coins),
            ]
        );
    }
}
