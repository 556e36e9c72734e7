//! What every module's message handlers share: the response `Any`, emitting events, the
//! `message.sender` event, and reading the coins of a message or of a stored record.

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::Any;
use prost::Name;

use crate::{sdk, Address, Coin, Coins, Ctx, Event, TxError};

/// A message's response, packed as the `Any` a handler returns.
pub fn response<R: prost::Message + Name>(r: R) -> Any {
    Any {
        type_url: R::type_url(),
        value: r.encode_to_vec(),
    }
}

/// Emits `events` in order.
pub fn emit_all(ctx: &mut Ctx, events: Vec<Event>) {
    events.into_iter().for_each(|e| ctx.emit(e));
}

/// The `message` event naming the message's sender.
pub fn sender_event(sender: &Address) -> Event {
    Event::new("message").attr("sender", sender)
}

/// A required coin field of a message (`name` says which, in the error).
pub fn required_coin(c: Option<ProtoCoin>, name: &'static str) -> Result<Coin, TxError> {
    let c = c.ok_or_else(|| sdk::invalid_coins(format!("{name} is required")))?;
    Coin::from_proto(&c)
}

/// A single coin as a coin set (for bank's escrow functions).
pub fn coins_of(c: &Coin) -> Result<Coins, TxError> {
    Coins::new(vec![c.clone()])
}
