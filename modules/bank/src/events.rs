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

/// The three events of a transfer, in the SDK's order.
pub fn transfer_events(from: &Address, to: &Address, coins: &Coins) -> Vec<Event> {
    vec![
        coin_spent(from, coins),
        coin_received(to, coins),
        transfer(to, Some(from), coins),
    ]
}
