//! wasm's messages that need no vm: decoding and stateless validation (`TryFrom` the proto,
//! wasmd's `ValidateBasic`), then execution (wasmd's keeper rules and events).

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use cosmos_sdk_proto::Any;
use deai_framework::handler::{response, sender_event};
use deai_framework::{authority, sdk, Address, Ctx, Event, Message, TxError};

use crate::error::WasmError;
use crate::keeper::{WasmRead, WasmWrite};
use crate::params::{self, MAX_LABEL_SIZE};
use crate::{access, events, state_key, MODULE_NAME};

mod admin;
mod pin;
mod store_code;

pub use admin::{ClearAdmin, UpdateAdmin, UpdateContractLabel, UpdateInstantiateConfig};
pub use pin::{PinCodes, UnpinCodes, MAX_CODE_ID_COUNT};
pub(crate) use store_code::gunzip;
pub use store_code::{is_gzip, is_wasm, StoreCode, WASM_MAGIC};

/// An address field of a message; the error names the field, as wasmd's `Wrap` does.
pub(crate) fn field_addr(s: &str, field: &str) -> Result<Address, TxError> {
    Address::from_bech32(s).map_err(|mut e| {
        e.log = format!("{field}: {}", e.log);
        e
    })
}

/// Whether Go's `unicode.IsPrint` would refuse `c`. Without Unicode category tables this is
/// an approximation that covers control, non-ASCII space, format and private-use characters
/// (wasmd also refuses unassigned code points, which this accepts).
fn not_printable(c: char) -> bool {
    let u = u32::from(c);
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || u == 0xAD
        || (0x200B..=0x200F).contains(&u)
        || (0x202A..=0x202E).contains(&u)
        || (0x2060..=0x206F).contains(&u)
        || u == 0xFEFF
        || (0xFFF9..=0xFFFB).contains(&u)
        || (0xE000..=0xF8FF).contains(&u)
        || u >= 0xF0000
}

/// wasmd's `ValidateLabel`: required, at most 128 bytes, no surrounding whitespace,
/// printable characters only.
pub fn check_label(label: &str) -> Result<(), WasmError> {
    if label.is_empty() {
        return Err(WasmError::Empty("label is required".into()));
    }
    if label.len() > MAX_LABEL_SIZE {
        return Err(WasmError::Limit(format!(
            "label cannot be longer than {MAX_LABEL_SIZE} characters"
        )));
    }
    if label != label.trim() {
        return Err(WasmError::Invalid(
            "label must not start/end with whitespaces".into(),
        ));
    }
    if label.chars().any(not_printable) {
        return Err(WasmError::Invalid(
            "label must have printable characters only".into(),
        ));
    }
    Ok(())
}

/// An existing contract, or wasmd's "unknown contract" (invalid request) for admin changes.
pub(crate) fn known_contract(ctx: &Ctx, addr: &Address) -> Result<pb::ContractInfo, TxError> {
    ctx.get_contract_info(addr)?
        .ok_or_else(|| sdk::invalid_request("unknown contract"))
}

/// wasmd's default policy `CanModifyContract`: only a set admin, and only it.
pub(crate) fn check_admin(info: &pb::ContractInfo, caller: &Address) -> Result<(), TxError> {
    let is_admin =
        !info.admin.is_empty() && Address::from_bech32(&info.admin).is_ok_and(|a| &a == caller);
    if !is_admin {
        return Err(sdk::unauthorized("can not modify contract"));
    }
    Ok(())
}

/// MsgUpdateParams: replaces wasm's params; only the module's authority may sign it.
#[derive(Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: pb::Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let (authority, params) = authority::update_params_from(&m.authority, m.params, |p| {
            params::check(p).map(|()| p.clone())
        })?;
        Ok(Self { authority, params })
    }
}

impl Message for UpdateParams {
    fn signers(&self) -> Vec<Address> {
        vec![self.authority.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let upload = self.params.code_upload_access.clone().unwrap_or_default();
        let event = events::update_params(
            access::type_name(upload.permission),
            access::type_name(self.params.instantiate_default_permission),
        );
        authority::update_params(
            ctx,
            &state_key::authority(),
            &self.authority,
            |ctx| ctx.set_wasm_params(&self.params),
            event,
            pb::MsgUpdateParamsResponse {},
        )
    }
}

pub(crate) fn finish<R: prost::Message + prost::Name>(
    ctx: &mut Ctx,
    event: Event,
    sender: &Address,
    r: R,
) -> Result<Any, TxError> {
    ctx.emit(event);
    ctx.emit(sender_event(sender));
    Ok(response(r))
}
