//! Every key of the mint module, and nowhere else.

use deai_framework::keys::KeyBuilder;

use crate::MODULE_NAME;

fn k(table: &str) -> KeyBuilder {
    KeyBuilder::new(MODULE_NAME, table)
}

/// `cosmos.mint.v1beta1.Params`.
pub fn params() -> Vec<u8> {
    k("params").build()
}

/// `cosmos.mint.v1beta1.Minter`.
pub fn minter() -> Vec<u8> {
    k("minter").build()
}

pub fn authority() -> Vec<u8> {
    k("authority").build()
}

/// `deai.mint.v1.EmissionSplit`.
pub fn split() -> Vec<u8> {
    k("split").build()
}

/// `deai.mint.v1.MarketIndex` of a market (its name is the last part).
pub fn market_index(market: &str) -> Vec<u8> {
    k("index").tail(market.as_bytes()).build()
}

/// `deai.mint.v1.IndexItem`s of a market, by recipient id (`item/<len><market><id>`).
pub fn item(market: &str, id: u64) -> Vec<u8> {
    items_of(market)
        .into_iter()
        .chain(id.to_be_bytes())
        .collect()
}

/// Every item of a market.
pub fn items_of(market: &str) -> Vec<u8> {
    // Market names are short constants (< 256 bytes): length-prefixed so no market's items
    // are a prefix of another's.
    let mut b = k("item").build();
    b.push(market.len().min(255) as u8);
    b.extend_from_slice(market.as_bytes());
    b
}
