//! auth: accounts (BaseAccount and ModuleAccount), account numbers, sequences and the
//! parameters of the ante handler (memo size, signature limit, gas costs).

mod account;
mod genesis;
mod keeper;
mod params;
mod query;
pub mod state_key;

pub use account::{pubkey_address, Account, SECP256K1_PUBKEY_URL};
pub use genesis::{account_json, GenesisAccount, GenesisState};
pub use keeper::{AuthRead, AuthWrite};
pub use params::Params;

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
