//! auth: accounts (BaseAccount and ModuleAccount), account numbers, sequences and the
//! parameters of the ante handler (memo size, signature limit, gas costs).
//!
//! Module accounts sit at [`module_address`]`(name)` (as in the SDK) and carry their name and
//! permissions ([`MINTER`], [`BURNER`]); a module declares its account with
//! [`AuthWrite::ensure_module_account_with`] in its `init_genesis`. The account queries
//! return them as `/cosmos.auth.v1beta1.ModuleAccount`.

mod account;
mod codec;
pub mod error;
pub mod events;
mod genesis;
mod keeper;
mod msgs;
mod params;
mod pubkey;
mod query;
pub mod state_key;

pub use account::{
    module_address, pubkey_address, validate_module_name, validate_permissions, Account,
    ModuleInfo, BURNER, MAX_MODULE_NAME_LEN, MINTER, SECP256K1_PUBKEY_URL,
};
pub use error::AuthError;
pub use genesis::{account_json, GenesisAccount, GenesisState};
pub use keeper::{AuthRead, AuthWrite};
pub use msgs::UpdateParams;
pub use params::Params;
pub use pubkey::{PubKey, MAX_MULTISIG_KEYS, MULTISIG_PUBKEY_URL};

use deai_framework::{Module, Router, StateRead, StateWrite, TxError};

pub const MODULE_NAME: &str = "auth";
/// The module account that collects tx fees.
pub const FEE_COLLECTOR: &str = "fee_collector";

pub struct AuthModule;

impl Module for AuthModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<cosmos_sdk_proto::cosmos::auth::v1beta1::MsgUpdateParams, UpdateParams>();
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
