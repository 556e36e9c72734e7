//! wasm's params: wasmd's `Params` (x/wasm/types/params.go), stored as the proto. wasmd's
//! defaults: everybody may upload code, and a code's default instantiate permission is
//! everybody. The largest code is not a param in wasmd but a compile-time limit
//! (`MaxWasmSize`, 800 KiB), and so it is here: [`MAX_WASM_SIZE`].

use cosmos_sdk_proto::cosmwasm::wasm::v1::{AccessType, Params};
use deai_framework::TxError;

use crate::access;

/// wasmd's `MaxWasmSize`: the largest wasm code (after gunzip) `MsgStoreCode` takes.
pub const MAX_WASM_SIZE: usize = 800 * 1024;
/// wasmd's `MaxProposalWasmSize` (3 MiB), for code stored by governance (not used yet).
pub const MAX_PROPOSAL_WASM_SIZE: usize = 3 * 1024 * 1024;
/// wasmd's `MaxLabelSize`: the longest contract label.
pub const MAX_LABEL_SIZE: usize = 128;

/// wasmd's `DefaultParams()`.
pub fn default_params() -> Params {
    Params {
        code_upload_access: Some(access::everybody()),
        instantiate_default_permission: AccessType::Everybody as i32,
    }
}

/// wasmd's `Params.ValidateBasic`.
pub fn check(p: &Params) -> Result<(), TxError> {
    access::check_type(p.instantiate_default_permission)
        .map_err(|e| TxError::from(e).with_prefix("instantiate default permission"))?;
    let upload = p.code_upload_access.clone().unwrap_or_default();
    access::check(&upload).map_err(|e| e.with_prefix("upload access"))
}

/// Adds context in front of an error's log, as wasmd's `errorsmod.Wrap` does.
trait Prefixed {
    fn with_prefix(self, what: &str) -> Self;
}

impl Prefixed for TxError {
    fn with_prefix(mut self, what: &str) -> Self {
        self.log = format!("{what}: {}", self.log);
        self
    }
}
