//! The mint keeper, as extension traits on any state: params, the minter, the emission split
//! and the markets' lazy reward indexes. Other modules use these traits and never build a
//! mint key.

use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;
use prost::Message;

use deai_framework::keys::prefix_end;
use deai_framework::{records, sdk, StateRead, StateWrite, TxError};
use deai_proto::mint::v1 as dpb;

use crate::index::{Item, MarketState};
use crate::params::{EmissionSplit, Minter, Params};
use crate::{state_key, MODULE_NAME};

fn corrupt(what: &str, e: impl std::fmt::Display) -> TxError {
    sdk::internal(format!("corrupt stored mint {what}: {e}"))
}

pub trait MintRead: StateRead {
    fn mint_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    /// The stored minter (the SDK's initial minter if none was stored).
    fn minter(&self) -> Result<Minter, TxError> {
        match records::get::<pb::Minter, _>(MODULE_NAME, self, &state_key::minter())? {
            Some(m) => Minter::from_proto(&m).map_err(|e| corrupt("minter", e)),
            None => Ok(Minter::default()),
        }
    }

    fn emission_split(&self) -> Result<EmissionSplit, TxError> {
        match records::get::<dpb::EmissionSplit, _>(MODULE_NAME, self, &state_key::split())? {
            Some(s) => EmissionSplit::from_proto(&s).map_err(|e| corrupt("emission split", e)),
            None => Ok(EmissionSplit::default()),
        }
    }

    /// The lazy index of `market`, if it ever received a share.
    fn market_state(&self, market: &str) -> Result<Option<MarketState>, TxError> {
        records::get::<dpb::MarketIndex, _>(MODULE_NAME, self, &state_key::market_index(market))?
            .map(|m| MarketState::from_proto(&m).map_err(|e| corrupt("market index", e)))
            .transpose()
    }

    /// Every market's index (at most `limit`), in key order.
    fn market_states(&self, limit: usize) -> Result<Vec<MarketState>, TxError> {
        let prefix = state_key::market_index("");
        records::all_under::<dpb::MarketIndex, _>(MODULE_NAME, self, &prefix, limit)?
            .iter()
            .map(|m| MarketState::from_proto(m).map_err(|e| corrupt("market index", e)))
            .collect()
    }

    fn index_item(&self, market: &str, id: u64) -> Result<Option<Item>, TxError> {
        records::get::<dpb::IndexItem, _>(MODULE_NAME, self, &state_key::item(market, id))?
            .map(|i| Item::from_proto(&i).map_err(|e| corrupt("index item", e)))
            .transpose()
    }

    /// Up to `limit` recorded items of `market` with id ≥ `from`, ascending.
    fn index_items_from(
        &self,
        market: &str,
        from: u64,
        limit: usize,
    ) -> Result<Vec<Item>, TxError> {
        let prefix = state_key::items_of(market);
        let end = prefix_end(&prefix);
        self.scan(&state_key::item(market, from), end.as_deref(), false, limit)?
            .iter()
            .map(|(_, v)| {
                let i: dpb::IndexItem = records::decode(MODULE_NAME, v)?;
                Item::from_proto(&i).map_err(|e| corrupt("index item", e))
            })
            .collect()
    }
}

impl<T: StateRead + ?Sized> MintRead for T {}

pub trait MintWrite: StateWrite {
    fn set_mint_params(&mut self, p: &Params) -> Result<(), TxError> {
        p.validate()?;
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    fn set_minter(&mut self, m: &Minter) -> Result<(), TxError> {
        self.put(state_key::minter(), m.to_proto().encode_to_vec())
    }

    fn set_emission_split(&mut self, s: &EmissionSplit) -> Result<(), TxError> {
        s.validate()?;
        self.put(state_key::split(), s.to_proto().encode_to_vec())
    }

    fn put_market_state(&mut self, m: &MarketState) -> Result<(), TxError> {
        self.put(
            state_key::market_index(&m.market),
            m.to_proto().encode_to_vec(),
        )
    }

    /// Writes an item; an item of weight 0 is deleted (it has nothing to claim, and a new
    /// record starts at the index of its next visit).
    fn put_index_item(&mut self, market: &str, i: &Item) -> Result<(), TxError> {
        let key = state_key::item(market, i.id);
        if i.weight == 0 {
            self.delete(key)
        } else {
            self.put(key, i.to_proto().encode_to_vec())
        }
    }
}

impl<T: StateWrite + ?Sized> MintWrite for T {}
