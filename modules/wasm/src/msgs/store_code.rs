//! MsgStoreCode: wasmd's upload rules without the vm. The code is gunzipped if gzipped
//! (as cosmjs sends it), must start with the wasm magic number and is stored by its sha256
//! checksum. The vm's static checks (valid module, imports, exports, capabilities) and its
//! metered compilation come with the vm (docs/wasm.md).

use std::io::Read;

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use cosmos_sdk_proto::Any;
use deai_framework::{sdk, Address, Ctx, Message, StateRead, TxError};
use sha2::{Digest, Sha256};

use super::finish;
use crate::error::WasmError;
use crate::keeper::{WasmRead, WasmWrite};
use crate::params::MAX_WASM_SIZE;
use crate::state_key::SEQ_CODE_ID;
use crate::{access, events, gas, state_key, MODULE_NAME};

/// The first bytes of every wasm module (`\0asm`).
pub const WASM_MAGIC: [u8; 4] = [0x00, 0x61, 0x73, 0x6d];
/// The first bytes of a gzip stream (wasmd's `ioutils.IsGzip`: magic and deflate method).
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

pub fn is_wasm(code: &[u8]) -> bool {
    code.starts_with(&WASM_MAGIC)
}

pub fn is_gzip(code: &[u8]) -> bool {
    code.starts_with(&GZIP_MAGIC)
}

/// Gunzips at most `limit` bytes (wasmd's `ioutils.Uncompress`).
pub(crate) fn gunzip(src: &[u8], limit: usize) -> Result<Vec<u8>, WasmError> {
    let mut out = Vec::new();
    let take = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::GzDecoder::new(src)
        .take(take)
        .read_to_end(&mut out)
        .map_err(|e| WasmError::CreateFailed(format!("uncompress wasm archive: {e}")))?;
    if out.len() > limit {
        return Err(WasmError::CreateFailed(format!(
            "uncompress wasm archive: cannot be longer than {limit} bytes: exceeds limit"
        )));
    }
    Ok(out)
}

/// wasmd's `validateWasmCode` as `MsgStoreCode.ValidateBasic` reports it.
pub(crate) fn check_code_size(code: &[u8]) -> Result<(), TxError> {
    if code.is_empty() {
        return Err(sdk::invalid_request("code bytes is required: empty"));
    }
    if code.len() > MAX_WASM_SIZE {
        return Err(sdk::invalid_request(format!(
            "code bytes cannot be longer than {MAX_WASM_SIZE} bytes: exceeds limit"
        )));
    }
    Ok(())
}

#[derive(Debug)]
pub struct StoreCode {
    pub sender: Address,
    pub wasm: Vec<u8>,
    pub instantiate_permission: Option<pb::AccessConfig>,
}

impl TryFrom<pb::MsgStoreCode> for StoreCode {
    type Error = TxError;
    fn try_from(m: pb::MsgStoreCode) -> Result<Self, TxError> {
        let sender = Address::from_bech32(&m.sender)?;
        check_code_size(&m.wasm_byte_code)?;
        if let Some(p) = &m.instantiate_permission {
            access::check(p).map_err(|mut e| {
                e.log = format!("instantiate permission: {}", e.log);
                e
            })?;
        }
        Ok(Self {
            sender,
            wasm: m.wasm_byte_code,
            instantiate_permission: m.instantiate_permission,
        })
    }
}

impl Message for StoreCode {
    fn signers(&self) -> Vec<Address> {
        vec![self.sender.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        self.execute_with(ctx, &|_| Ok(()))
    }
}

impl StoreCode {
    /// Stores the code, after `check` accepts the (gunzipped) bytes: the vm's static checks
    /// (`WasmVm::store_code`), or none for the record-only handler.
    pub(crate) fn execute_with(
        &self,
        ctx: &mut Ctx,
        check: &dyn Fn(&[u8]) -> Result<(), TxError>,
    ) -> Result<Any, TxError> {
        let params = ctx.wasm_params()?;
        // wasmd's DefaultAuthorizationPolicy.CanCreateCode: the sender may upload, and the
        // code's instantiate permission is no wider than the chain's default for it.
        let default = access::with(params.instantiate_default_permission, &self.sender);
        let permission = self
            .instantiate_permission
            .clone()
            .unwrap_or_else(|| default.clone());
        let upload = params.code_upload_access.unwrap_or_default();
        if !access::allowed(&upload, &self.sender) || !access::is_subset(&permission, &default) {
            return Err(sdk::unauthorized("can not create code"));
        }

        let unzipped;
        let code: &[u8] = if is_gzip(&self.wasm) {
            ctx.gas().consume(
                gas::uncompress_cost(self.wasm.len()),
                "Uncompress gzip bytecode",
            )?;
            unzipped = gunzip(&self.wasm, MAX_WASM_SIZE)?;
            &unzipped
        } else {
            &self.wasm
        };
        if !is_wasm(code) {
            return Err(
                WasmError::CreateFailed("not a wasm module (bad magic number)".into()).into(),
            );
        }
        ctx.gas()
            .consume(gas::compile_cost(code.len()), "Compiling wasm bytecode")?;
        check(code)?;

        let checksum: [u8; 32] = Sha256::digest(code).into();
        // The code's bytes are charged as compile cost (above) and tx size, as in wasmd,
        // not again per byte written (30 gas/byte would price a 400 KB contract at 12M gas).
        let key = state_key::code_bytes(&checksum);
        if !ctx.has(&key)? {
            ctx.put_value_charged_elsewhere(key, code.to_vec())?;
        }
        let code_id = ctx.next_wasm_id(SEQ_CODE_ID)?;
        let info = pb::CodeInfo {
            code_hash: checksum.to_vec(),
            creator: self.sender.to_bech32(),
            instantiate_config: Some(permission),
        };
        ctx.put_code_info(code_id, &info)?;

        let event = events::store_code(&checksum, code_id);
        finish(
            ctx,
            event,
            &self.sender,
            pb::MsgStoreCodeResponse {
                code_id,
                checksum: checksum.to_vec(),
            },
        )
    }
}
