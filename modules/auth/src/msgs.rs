//! auth's messages: MsgUpdateParams, which only the module's authority may sign.

use cosmos_sdk_proto::cosmos::auth::v1beta1 as pb;
use cosmos_sdk_proto::Any;
use prost::Name;

use deai_framework::{sdk, Address, Ctx, Event, Message, TxError};

use crate::keeper::AuthWrite;
use crate::params::Params;
use crate::{state_key, MODULE_NAME};

/// MsgUpdateParams: replaces every auth param (the ante handler's limits and costs).
#[derive(Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let p = m
            .params
            .ok_or_else(|| sdk::invalid_request("params must be supplied (all of them)"))?;
        let params = Params::from_proto(p);
        params.validate()?;
        Ok(Self {
            authority: Address::from_bech32(&m.authority)?,
            params,
        })
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
        deai_framework::authority::check(ctx, &state_key::authority(), &self.authority)?;
        ctx.set_auth_params(&self.params)?;
        ctx.emit(Event::new("message").attr("sender", &self.authority));
        let r = pb::MsgUpdateParamsResponse {};
        Ok(Any {
            type_url: pb::MsgUpdateParamsResponse::type_url(),
            value: prost::Message::encode_to_vec(&r),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthModule, AuthRead};
    use deai_framework::context::BlockInfo;
    use deai_framework::{GasMeter, MemStore, Module};

    fn msg(authority: &Address, memo: u64) -> UpdateParams {
        let mut p = Params::default().to_proto();
        p.max_memo_characters = memo;
        UpdateParams::try_from(pb::MsgUpdateParams {
            authority: authority.to_bech32(),
            params: Some(p),
        })
        .unwrap()
    }

    fn run(s: &mut MemStore, m: &UpdateParams) -> Result<(), TxError> {
        let (block, gas) = (BlockInfo::default(), GasMeter::new(1_000_000));
        let snapshot = s.clone();
        let mut ctx = Ctx::new(&snapshot, &gas, &block);
        m.execute(&mut ctx)?;
        s.apply(ctx.finish().0);
        Ok(())
    }

    #[test]
    fn only_the_authority_updates_the_params() {
        let mut s = MemStore::new();
        AuthModule
            .init_genesis(&mut s, &serde_json::json!({}))
            .unwrap();
        let gov = deai_framework::authority::default_authority();
        let other = Address::from_bytes(&[3; 20]).unwrap();
        let e = run(&mut s, &msg(&other, 512)).unwrap_err();
        assert_eq!((e.codespace, e.code), ("gov", 13), "{e}");
        assert_eq!(s.auth_params().unwrap().max_memo_characters, 256);
        run(&mut s, &msg(&gov, 512)).unwrap();
        assert_eq!(s.auth_params().unwrap().max_memo_characters, 512);
        // Params are validated before anything runs.
        let mut p = Params::default().to_proto();
        p.tx_sig_limit = 0;
        let bad = pb::MsgUpdateParams {
            authority: gov.to_bech32(),
            params: Some(p),
        };
        assert!(UpdateParams::try_from(bad).is_err());
    }
}
