//! MsgOpenAudit and MsgSubmitAudit; the rules are in `crate::audits`.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{Address, Ctx, Message, TxError};
use deai_proto::training::v1::{self as pb, AuditState, AuditTarget};

use super::{coins_of, emit_all, load_task, response, sender_event};
use crate::audits::{draw_referee, judged_faulty, settle, AUDIT_SEQ};
use crate::error::TrainingError;
use crate::keeper::{TrainingRead, TrainingWrite};
use crate::neurons::is_validator;
use crate::{events, MODULE_ACCOUNT, MODULE_NAME};

fn bad(msg: impl Into<String>) -> TxError {
    TrainingError::BadAudit(msg.into()).into()
}

#[derive(Debug)]
pub struct OpenAudit {
    pub auditor: Address,
    pub task_id: u64,
    pub round: u64,
    pub target: AuditTarget,
    pub accused_uid: u32,
}

impl TryFrom<pb::MsgOpenAudit> for OpenAudit {
    type Error = TxError;
    fn try_from(m: pb::MsgOpenAudit) -> Result<Self, TxError> {
        let target = match AuditTarget::try_from(m.target) {
            Ok(t @ (AuditTarget::Update | AuditTarget::Aggregate)) => t,
            _ => return Err(bad("target must be UPDATE or AGGREGATE")),
        };
        Ok(Self {
            auditor: Address::from_bech32(&m.auditor)?,
            task_id: m.task_id,
            round: m.round,
            target,
            accused_uid: m.accused_uid,
        })
    }
}

/// Who an audit accuses: the address (which answers with its bonded stake, or with its
/// unbonding stake once it has left), its uid then, and its neuron if still registered.
struct Accused {
    owner: String,
    uid: u32,
    neuron: Option<pb::Neuron>,
}

impl OpenAudit {
    /// The accused and the claim judged.
    fn accusation(&self, ctx: &Ctx, round: &pb::Round) -> Result<(Accused, Vec<Vec<u8>>), TxError> {
        let (owner, claim) = match self.target {
            AuditTarget::Aggregate => {
                if round.aggregator.is_empty() || round.lineage.is_empty() {
                    return Err(bad(format!(
                        "round {} has no submitted aggregate",
                        round.round
                    )));
                }
                (
                    round.aggregator.clone(),
                    vec![round.base_hash.clone(), round.aggregate_hash.clone()],
                )
            }
            _ => {
                let u = ctx
                    .get_update(self.task_id, self.round, self.accused_uid)?
                    .filter(|u| u.revealed)
                    .ok_or_else(|| bad("no revealed update of that uid in that round"))?;
                let mut claim = u.checkpoint_hashes;
                claim.push(u.update_hash);
                (u.owner, claim)
            }
        };
        let neuron = ctx.neuron_of(self.task_id, &crate::keeper::stored_addr(&owner)?)?;
        let uid = match (&neuron, self.target) {
            (Some(n), AuditTarget::Aggregate) => n.uid,
            _ => self.accused_uid,
        };
        if uid != self.accused_uid {
            return Err(bad(format!("the aggregator is uid {uid}")));
        }
        Ok((Accused { owner, uid, neuron }, claim))
    }
}

impl Message for OpenAudit {
    fn signers(&self) -> Vec<Address> {
        vec![self.auditor.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let task = load_task(ctx, self.task_id)?;
        let me =
            ctx.neuron_of(task.id, &self.auditor)?
                .ok_or_else(|| TrainingError::NotRegistered {
                    task: task.id,
                    owner: self.auditor.to_bech32(),
                })?;
        if !is_validator(&me) {
            return Err(TrainingError::WrongRole {
                expected: "validator",
            }
            .into());
        }
        if me.jailed {
            return Err(TrainingError::Jailed(me.owner).into());
        }
        let round = ctx
            .get_round(task.id, self.round)?
            .ok_or(TrainingError::RoundNotFound {
                task: task.id,
                round: self.round,
            })?;
        // Open until the end of round r + 1 (for a finished task: a tempo after its close).
        let tempo = task.spec.as_ref().map_or(0, |s| s.tempo);
        let now = ctx.block.height;
        let finished = task.state != pb::TaskState::Active as i32;
        let late = task.round > self.round.saturating_add(1)
            || (finished && self.round < task.round)
            || (round.closed
                && task.round == self.round
                && now >= round.closed_at.saturating_add(tempo).saturating_add(1));
        if late {
            return Err(bad(format!(
                "audits of round {} closed with round {}",
                self.round,
                self.round.saturating_add(1)
            )));
        }
        let (mut accused, claim) = self.accusation(ctx, &round)?;
        if accused.owner == me.owner {
            return Err(bad("a neuron cannot accuse itself"));
        }
        let target = self.target as i32;
        if ctx
            .open_accusation(task.id, self.round, target, accused.uid)?
            .is_some()
        {
            return Err(TrainingError::AuditExists(accused.owner).into());
        }
        let params = ctx.training_params()?;
        let id = ctx.next_id(AUDIT_SEQ)?;
        // An update is judged at its last index, the update hash itself: the weights that are
        // paid and aggregated. The referee replays the whole (small) round job anyway, so a
        // drawn intermediate checkpoint would only let a trainer whose final weights are
        // fake pass with probability 1 − 1/len. An aggregate is judged at index 1.
        let segment = u32::try_from(claim.len().saturating_sub(2)).unwrap_or(0);
        let referee = draw_referee(
            ctx,
            task.id,
            id,
            &[me.owner.as_str(), accused.owner.as_str()],
        )?
        .ok_or(TrainingError::NoReferee)?;
        let t = ctx.send_to_module(
            &self.auditor,
            MODULE_ACCOUNT,
            &coins_of(&params.audit_bond)?,
        )?;
        emit_all(ctx, t);
        let audit = pb::Audit {
            id,
            task_id: task.id,
            round: self.round,
            target,
            accused_uid: accused.uid,
            accused: accused.owner.clone(),
            auditor: me.owner.clone(),
            bond: Some(params.audit_bond.to_proto()),
            claim,
            segment,
            referee: referee.clone(),
            deadline: now.saturating_add(params.audit_window),
            draws: 1,
            state: AuditState::Pending as i32,
            answer: Vec::new(),
            opened_at: now,
        };
        if let Some(n) = accused.neuron.as_mut() {
            n.open_audits = n.open_audits.saturating_add(1);
            ctx.put_neuron(n)?;
        }
        ctx.put_audit(&audit)?;
        ctx.emit(events::audit_opened(&audit));
        ctx.emit(sender_event(&self.auditor));
        Ok(response(pb::MsgOpenAuditResponse {
            audit_id: id,
            segment,
            referee,
        }))
    }
}

#[derive(Debug)]
pub struct SubmitAudit {
    pub referee: Address,
    pub audit_id: u64,
    /// 32 bytes, or empty: the true run has no such hash.
    pub answer: Vec<u8>,
}

impl TryFrom<pb::MsgSubmitAudit> for SubmitAudit {
    type Error = TxError;
    fn try_from(m: pb::MsgSubmitAudit) -> Result<Self, TxError> {
        if !m.answer.is_empty() && m.answer.len() != 32 {
            return Err(TrainingError::BadHashLength {
                field: "answer",
                got: m.answer.len(),
            }
            .into());
        }
        Ok(Self {
            referee: Address::from_bech32(&m.referee)?,
            audit_id: m.audit_id,
            answer: m.answer,
        })
    }
}

impl Message for SubmitAudit {
    fn signers(&self) -> Vec<Address> {
        vec![self.referee.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let audit = ctx
            .get_audit(self.audit_id)?
            .ok_or(TrainingError::AuditNotFound(self.audit_id))?;
        if audit.state != AuditState::Pending as i32 {
            return Err(TrainingError::AuditNotPending(audit.id).into());
        }
        let signer = self.referee.to_bech32();
        if audit.referee != signer {
            return Err(TrainingError::NotReferee {
                signer,
                audit: audit.id,
            }
            .into());
        }
        let upheld = judged_faulty(&audit.claim, audit.segment, &self.answer);
        let audit = settle(ctx, audit, upheld, self.answer.clone())?;
        ctx.emit(sender_event(&self.referee));
        Ok(response(pb::MsgSubmitAuditResponse { state: audit.state }))
    }
}
