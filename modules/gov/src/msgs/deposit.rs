//! MsgDeposit (v1 and v1beta1), MsgCancelProposal and MsgUpdateParams, with the SDK's checks.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::cosmos::gov::v1beta1 as b1;
use cosmos_sdk_proto::Any;

use deai_framework::handler::{response, sender_event};
use deai_framework::{authority, sdk, Address, Coins, Ctx, Event, Message, TxError};

use super::parse_addr;
use crate::error::GovError;
use crate::keeper::{
    add_deposit, charge_deposit, secs, ts, GovRead, GovWrite, DEPOSIT_PERIOD, VOTING_PERIOD,
};
use crate::params::Params;
use crate::{events, state_key, MODULE_NAME};

#[derive(Clone, Debug)]
pub struct Deposit {
    pub proposal_id: u64,
    pub depositor: Address,
    pub amount: Coins,
    pub legacy: bool,
}

/// The SDK's `validateDeposit`: valid and not empty.
fn deposit_amount(c: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin]) -> Result<Coins, TxError> {
    let amount = Coins::from_proto(c)?;
    if amount.is_empty() {
        return Err(sdk::invalid_coins("deposit amount must be positive"));
    }
    Ok(amount)
}

impl TryFrom<pb::MsgDeposit> for Deposit {
    type Error = TxError;
    fn try_from(m: pb::MsgDeposit) -> Result<Self, TxError> {
        Ok(Self {
            depositor: parse_addr(&m.depositor, "depositor")?,
            amount: deposit_amount(&m.amount)?,
            proposal_id: m.proposal_id,
            legacy: false,
        })
    }
}

impl TryFrom<b1::MsgDeposit> for Deposit {
    type Error = TxError;
    fn try_from(m: b1::MsgDeposit) -> Result<Self, TxError> {
        Ok(Self {
            depositor: parse_addr(&m.depositor, "depositor")?,
            amount: deposit_amount(&m.amount)?,
            proposal_id: m.proposal_id,
            legacy: true,
        })
    }
}

impl Message for Deposit {
    fn signers(&self) -> Vec<Address> {
        vec![self.depositor.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        if add_deposit(ctx, self.proposal_id, &self.depositor, &self.amount)? {
            ctx.emit(events::voting_period_start(
                "proposal_deposit",
                self.proposal_id,
            ));
        }
        ctx.emit(sender_event(&self.depositor));
        Ok(if self.legacy {
            response(b1::MsgDepositResponse {})
        } else {
            response(pb::MsgDepositResponse {})
        })
    }
}

#[derive(Clone, Debug)]
pub struct CancelProposal {
    pub proposal_id: u64,
    pub proposer: Address,
}

impl TryFrom<pb::MsgCancelProposal> for CancelProposal {
    type Error = TxError;
    fn try_from(m: pb::MsgCancelProposal) -> Result<Self, TxError> {
        Ok(Self {
            proposer: parse_addr(&m.proposer, "proposer")?,
            proposal_id: m.proposal_id,
        })
    }
}

impl Message for CancelProposal {
    fn signers(&self) -> Vec<Address> {
        vec![self.proposer.clone()]
    }
    fn module(&self) -> &'static str {
        MODULE_NAME
    }
    /// The SDK's `Keeper.CancelProposal`, in its order of checks.
    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let id = self.proposal_id;
        let p = ctx
            .proposal(id)?
            .ok_or_else(|| GovError::UnknownProposal(format!("proposal {id} doesn't exist")))?;
        if p.proposer.is_empty() {
            return Err(GovError::InvalidProposal(format!(
                "proposal {id} does not have a proposer"
            ))
            .into());
        }
        if p.proposer != self.proposer.to_bech32() {
            return Err(
                GovError::InvalidProposer(format!("invalid proposer {}", self.proposer)).into(),
            );
        }
        if p.status != DEPOSIT_PERIOD && p.status != VOTING_PERIOD {
            return Err(GovError::InvalidProposal(
                "proposal should be in the deposit or voting period".into(),
            )
            .into());
        }
        let now = ctx.block.time_unix;
        if p.voting_end_time.is_some() && secs(&p.voting_end_time) < now {
            return Err(GovError::VotingPeriodEnded(format!(
                "voting period is already ended for this proposal {id}"
            ))
            .into());
        }
        // deai's: a deposit period that has ended waits for its end block to drop it.
        if p.status == DEPOSIT_PERIOD && secs(&p.deposit_end_time) < now {
            return Err(GovError::InactiveProposal(id.to_string()).into());
        }
        let params = ctx.gov_params()?;
        charge_deposit(
            ctx,
            id,
            params.proposal_cancel_dest.as_ref(),
            params.proposal_cancel_ratio,
        )?;
        if p.voting_start_time.is_some() {
            ctx.delete_votes(id)?;
        }
        ctx.delete_proposal(id)?;
        ctx.emit(events::cancel_proposal(&self.proposer, id));
        Ok(response(pb::MsgCancelProposalResponse {
            proposal_id: id,
            canceled_time: Some(ts(now)),
            canceled_height: ctx.block.height,
        }))
    }
}

#[derive(Clone, Debug)]
pub struct UpdateParams {
    pub authority: Address,
    pub params: Params,
}

impl TryFrom<pb::MsgUpdateParams> for UpdateParams {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateParams) -> Result<Self, TxError> {
        let (authority, params) = authority::update_params_from(
            &m.authority,
            m.params,
            |p| -> Result<Params, TxError> { Ok(Params::from_proto(p)?) },
        )?;
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
        authority::update_params(
            ctx,
            &state_key::authority(),
            &self.authority,
            |ctx| ctx.set_gov_params(&self.params),
            Event::new("update_params").attr("module", MODULE_NAME),
            pb::MsgUpdateParamsResponse {},
        )
    }
}
