//! The vm's messages from their protos (wasmd's `ValidateBasic`): MsgInstantiateContract(2)
//! into [`Instantiate`]. MsgExecuteContract and MsgMigrateContract are taken as protos by
//! their entry points, which validate them.

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::{Address, Coins, TxError};

use super::exec::{check_json, Instantiate};
use crate::address::check_salt;
use crate::msgs::{check_label, field_addr};

fn admin(s: &str) -> Result<Option<Address>, TxError> {
    if s.is_empty() {
        Ok(None)
    } else {
        field_addr(s, "admin").map(Some)
    }
}

impl TryFrom<pb::MsgInstantiateContract> for Instantiate {
    type Error = TxError;
    fn try_from(m: pb::MsgInstantiateContract) -> Result<Self, TxError> {
        let sender = field_addr(&m.sender, "sender")?;
        check_label(&m.label)?;
        check_json(&m.msg)?;
        Ok(Self {
            sender,
            admin: admin(&m.admin)?,
            code_id: m.code_id,
            label: m.label,
            msg: m.msg,
            funds: Coins::from_proto(&m.funds)?,
            salt: None,
        })
    }
}

impl TryFrom<pb::MsgInstantiateContract2> for Instantiate {
    type Error = TxError;
    fn try_from(m: pb::MsgInstantiateContract2) -> Result<Self, TxError> {
        let sender = field_addr(&m.sender, "sender")?;
        check_label(&m.label)?;
        check_json(&m.msg)?;
        check_salt(&m.salt)?;
        Ok(Self {
            sender,
            admin: admin(&m.admin)?,
            code_id: m.code_id,
            label: m.label,
            msg: m.msg,
            funds: Coins::from_proto(&m.funds)?,
            salt: Some((m.salt, m.fix_msg)),
        })
    }
}
