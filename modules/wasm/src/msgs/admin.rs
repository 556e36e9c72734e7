//! The contract and code settings that need no vm: a contract's admin and label, a code's
//! instantiate permission. wasmd's default authorization policy: only the contract's admin
//! changes the contract; only the code's creator changes its permission, and only to one no
//! wider than the chain's default.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use cosmos_sdk_proto::Any;
use deai_framework::{sdk, Address, Ctx, Message, TxError};

use super::{check_admin, check_label, field_addr, finish, known_contract};
use crate::error::WasmError;
use crate::keeper::{WasmRead, WasmWrite};
use crate::{access, events, MODULE_NAME};

/// MsgUpdateAdmin: the admin hands the contract to a new admin.
#[derive(Debug)]
pub struct UpdateAdmin {
    pub sender: Address,
    pub contract: Address,
    pub new_admin: Address,
}

impl TryFrom<pb::MsgUpdateAdmin> for UpdateAdmin {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateAdmin) -> Result<Self, TxError> {
        let sender = field_addr(&m.sender, "sender")?;
        let contract = field_addr(&m.contract, "contract")?;
        let new_admin = field_addr(&m.new_admin, "new admin")?;
        if m.sender.eq_ignore_ascii_case(&m.new_admin) {
            return Err(WasmError::Invalid("new admin is the same as the old".into()).into());
        }
        Ok(Self {
            sender,
            contract,
            new_admin,
        })
    }
}

/// wasmd's `setContractAdmin` (an empty new admin clears it).
fn set_admin(
    ctx: &mut Ctx,
    sender: &Address,
    contract: &Address,
    new_admin: String,
) -> Result<(), TxError> {
    let mut info = known_contract(ctx, contract)?;
    check_admin(&info, sender)?;
    info.admin = new_admin.clone();
    ctx.put_contract_info(contract, &info)?;
    ctx.emit(events::update_admin(&contract.to_string(), &new_admin));
    Ok(())
}

impl Message for UpdateAdmin {
    fn signers(&self) -> Vec<Address> {
        vec![self.sender.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        set_admin(
            ctx,
            &self.sender,
            &self.contract,
            self.new_admin.to_bech32(),
        )?;
        ctx.emit(deai_framework::handler::sender_event(&self.sender));
        Ok(deai_framework::handler::response(
            pb::MsgUpdateAdminResponse {},
        ))
    }
}

/// MsgClearAdmin: the admin gives up the contract; nobody can migrate it any more.
#[derive(Debug)]
pub struct ClearAdmin {
    pub sender: Address,
    pub contract: Address,
}

impl TryFrom<pb::MsgClearAdmin> for ClearAdmin {
    type Error = TxError;
    fn try_from(m: pb::MsgClearAdmin) -> Result<Self, TxError> {
        Ok(Self {
            sender: field_addr(&m.sender, "sender")?,
            contract: field_addr(&m.contract, "contract")?,
        })
    }
}

impl Message for ClearAdmin {
    fn signers(&self) -> Vec<Address> {
        vec![self.sender.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        set_admin(ctx, &self.sender, &self.contract, String::new())?;
        ctx.emit(deai_framework::handler::sender_event(&self.sender));
        Ok(deai_framework::handler::response(
            pb::MsgClearAdminResponse {},
        ))
    }
}

/// MsgUpdateContractLabel: the admin renames the contract.
#[derive(Debug)]
pub struct UpdateContractLabel {
    pub sender: Address,
    pub contract: Address,
    pub new_label: String,
}

impl TryFrom<pb::MsgUpdateContractLabel> for UpdateContractLabel {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateContractLabel) -> Result<Self, TxError> {
        let sender = field_addr(&m.sender, "sender")?;
        check_label(&m.new_label)?;
        let contract = field_addr(&m.contract, "contract")?;
        Ok(Self {
            sender,
            contract,
            new_label: m.new_label,
        })
    }
}

impl Message for UpdateContractLabel {
    fn signers(&self) -> Vec<Address> {
        vec![self.sender.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut info = known_contract(ctx, &self.contract)?;
        check_admin(&info, &self.sender)?;
        info.label = self.new_label.clone();
        ctx.put_contract_info(&self.contract, &info)?;
        let event = events::update_label(&self.contract.to_string(), &self.new_label);
        finish(
            ctx,
            event,
            &self.sender,
            pb::MsgUpdateContractLabelResponse {},
        )
    }
}

/// MsgUpdateInstantiateConfig: a code's creator changes who may instantiate it.
#[derive(Debug)]
pub struct UpdateInstantiateConfig {
    pub sender: Address,
    pub code_id: u64,
    pub permission: pb::AccessConfig,
}

impl TryFrom<pb::MsgUpdateInstantiateConfig> for UpdateInstantiateConfig {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateInstantiateConfig) -> Result<Self, TxError> {
        let sender = field_addr(&m.sender, "sender")?;
        if m.code_id == 0 {
            return Err(sdk::invalid_request("code id is required"));
        }
        let permission = m
            .new_instantiate_permission
            .ok_or_else(|| sdk::invalid_request("instantiate permission is required"))?;
        access::check(&permission).map_err(|mut e| {
            e.log = format!("instantiate permission: {}", e.log);
            e
        })?;
        Ok(Self {
            sender,
            code_id: m.code_id,
            permission,
        })
    }
}

impl Message for UpdateInstantiateConfig {
    fn signers(&self) -> Vec<Address> {
        vec![self.sender.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut info = ctx
            .get_code_info(self.code_id)?
            .ok_or(WasmError::NoSuchCode(self.code_id))?;
        let default = ctx.wasm_params()?.instantiate_default_permission;
        let is_subset = access::type_is_subset(self.permission.permission, default);
        let is_creator = Address::from_bech32(&info.creator).is_ok_and(|c| c == self.sender);
        if !is_creator || !is_subset {
            return Err(sdk::unauthorized("can not modify code access config"));
        }
        info.instantiate_config = Some(self.permission.clone());
        ctx.put_code_info(self.code_id, &info)?;
        let authorized = (self.permission.permission == pb::AccessType::AnyOfAddresses as i32)
            .then(|| self.permission.addresses.join(","));
        let event = events::update_code_access(
            access::type_name(self.permission.permission),
            self.code_id,
            authorized,
        );
        finish(
            ctx,
            event,
            &self.sender,
            pb::MsgUpdateInstantiateConfigResponse {},
        )
    }
}
