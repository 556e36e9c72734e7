//! training genesis: `app_state.training` is the proto3 JSON of
//! `deai.training.v1.GenesisState`, read and written through deai-proto's descriptors, so
//! export → import → export is exact.

use deai_auth::AuthWrite;
use deai_framework::{StateRead, StateWrite, TxError};
use deai_proto::training::v1 as pb;

use crate::error::TrainingError;
use crate::keeper::{TrainingRead, TrainingWrite};
use crate::params::Params;
use crate::{state_key, MODULE_ACCOUNT};

fn invalid(msg: impl Into<String>) -> TxError {
    TrainingError::InvalidGenesis(msg.into()).into()
}

/// Parses `app_state.training`; `{}` or null is the default genesis.
pub fn import_proto(json: &serde_json::Value) -> Result<pb::GenesisState, TxError> {
    deai_framework::genesis::from_json(json, invalid)
}

/// The proto3 JSON of a genesis state.
pub fn export_proto(g: &pb::GenesisState) -> Result<serde_json::Value, TxError> {
    deai_framework::genesis::to_json(g)
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g = import_proto(json)?;
    let params = match &g.params {
        Some(p) => Params::from_proto(p)?,
        None => Params::default(),
    };
    state.set_training_params(&params)?;
    let authority = (!g.authority.is_empty()).then_some(g.authority.as_str());
    deai_framework::authority::init(state, &state_key::authority(), authority)?;
    state.ensure_module_account_with(MODULE_ACCOUNT, &[])?;
    Ok(())
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let authority = deai_framework::authority::get(state, &state_key::authority())?;
    let g = pb::GenesisState {
        params: Some(state.training_params()?.to_proto()),
        authority: authority.to_bech32(),
        ..Default::default()
    };
    export_proto(&g)
}
