//! data genesis: `app_state.data` is the proto3 JSON of `deai.data.v1.GenesisState`, read
//! and written through deai-proto's descriptors, so export → import → export is exact.
//!
//! Import creates the module account (minter and burner: datatokens are minted on purchase
//! and burned on redemption) and checks that it holds exactly what the records escrow (bank's
//! genesis, which runs first, funds it).

use deai_auth::{AuthWrite, BURNER, MINTER};
use deai_framework::genesis::Held;
use deai_framework::{StateRead, StateWrite, TxError};
use deai_proto::data::v1 as pb;

use crate::error::DataError;
use crate::keeper::{DataRead, DataWrite};
use crate::params::Params;
use crate::{state_key, MODULE_ACCOUNT};

/// The counters, in the order of the genesis fields next_dataset_id, next_grant_id,
/// next_pool_id, next_contribution_id.
pub const SEQUENCES: [&str; 4] = ["dataset", "grant", "pool", "contribution"];

fn invalid(msg: impl Into<String>) -> TxError {
    DataError::InvalidGenesis(msg.into()).into()
}

/// Parses `app_state.data`; `{}` or null is the default genesis.
pub fn import_proto(json: &serde_json::Value) -> Result<pb::GenesisState, TxError> {
    deai_framework::genesis::from_json(json, invalid)
}

/// The proto3 JSON of a genesis state.
pub fn export_proto(g: &pb::GenesisState) -> Result<serde_json::Value, TxError> {
    deai_framework::genesis::to_json(g)
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g = import_proto(json)?;
    let params = deai_framework::genesis::params(&g.params, Params::from_proto)?;
    state.set_data_params(&params)?;
    deai_framework::authority::init_proto(state, &state_key::authority(), &g.authority)?;
    let module = state.ensure_module_account_with(MODULE_ACCOUNT, &[MINTER, BURNER])?;
    // Records are not yet imported (the skeleton holds none): refuse rather than drop them.
    if !(g.datasets.is_empty()
        && g.grants.is_empty()
        && g.pools.is_empty()
        && g.contributions.is_empty()
        && g.scores.is_empty()
        && g.pool_validators.is_empty())
    {
        return Err(invalid("records are not supported yet"));
    }
    let next = [
        g.next_dataset_id,
        g.next_grant_id,
        g.next_pool_id,
        g.next_contribution_id,
    ];
    for (name, v) in SEQUENCES.iter().zip(next) {
        state.set_sequence(name, v)?;
    }
    deai_bank::check_module_holds(
        state,
        MODULE_ACCOUNT,
        &module.address,
        &Held::default(),
        "deposits, pool balances, contribution stakes and validator bonds",
        invalid,
    )
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let authority = deai_framework::authority::get(state, &state_key::authority())?;
    let g = pb::GenesisState {
        params: Some(state.data_params()?.to_proto()),
        authority: authority.to_bech32(),
        next_dataset_id: state.sequence(SEQUENCES[0])?,
        next_grant_id: state.sequence(SEQUENCES[1])?,
        next_pool_id: state.sequence(SEQUENCES[2])?,
        next_contribution_id: state.sequence(SEQUENCES[3])?,
        ..Default::default()
    };
    export_proto(&g)
}
