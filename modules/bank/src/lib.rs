//! bank: balances, MsgSend and MsgMultiSend, total supply, denom metadata and the
//! send-enabled switch, with the Cosmos SDK's messages, queries and events.
//!
//! Escrow: every market holds coins in its module account through [`BankWrite`]'s
//! `send_to_module`, `send_from_module`, `send_module_to_module`, `mint` and `burn`. Plain
//! transfers to a module account are refused ([`ERR_BLOCKED_RECIPIENT`]).

mod error;
mod escrow;
pub mod events;
mod genesis;
mod keeper;
mod metadata;
mod msgs;
mod params;
mod query;
pub mod slash;
pub mod state_key;

pub use error::{
    BankError, ERR_BLOCKED_RECIPIENT, ERR_INPUT_OUTPUT_MISMATCH, ERR_MISSING_PERMISSION,
    ERR_MULTIPLE_SENDERS, ERR_NO_INPUTS, ERR_NO_OUTPUTS, ERR_SEND_DISABLED,
    ERR_UNKNOWN_MODULE_ACCOUNT,
};
pub use genesis::{check_module_holds, GenesisState};
pub use keeper::{BankRead, BankWrite};
pub use metadata::{default_metadata, DenomMetadata};
pub use msgs::{MultiSend, Send, UpdateParams};
pub use params::Params;
pub use slash::{route_slash, Claim, Routed};

use deai_framework::{Module, Router, StateRead, StateWrite, TxError};

pub const MODULE_NAME: &str = "bank";
/// The staking and fee denom.
pub const BASE_DENOM: &str = "udeai";

/// `amount` of the base denom.
pub fn udeai(amount: u128) -> deai_framework::Coin {
    deai_framework::Coin {
        denom: BASE_DENOM.to_string(),
        amount,
    }
}
/// The module account that receives every market's take and the rest of slashes (no
/// permissions: it only receives). One name for every market.
pub const COMMUNITY_POOL: &str = "community_pool";

pub struct BankModule;

impl Module for BankModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend, Send>();
        router.add_msg::<cosmos_sdk_proto::cosmos::bank::v1beta1::MsgMultiSend, MultiSend>();
        router.add_msg::<cosmos_sdk_proto::cosmos::bank::v1beta1::MsgUpdateParams, UpdateParams>();
        query::register(router);
    }

    fn init_genesis(
        &self,
        state: &mut dyn StateWrite,
        genesis: &serde_json::Value,
    ) -> Result<(), TxError> {
        genesis::init(state, genesis)
    }

    fn export_genesis(&self, state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
        genesis::export(state)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_escrow;
#[cfg(test)]
mod tests_escrow_prop;
