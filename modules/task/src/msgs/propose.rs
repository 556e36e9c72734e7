//! MsgProposeTask: a training task proposed with its reward pool and a deposit. The spec is
//! checked up front with the training module's own validator (the same check MsgCreateTask
//! makes), so a passed task fails to launch only if the training params changed meanwhile.

use cosmos_sdk_proto::Any;

use deai_attest::AttestRead;
use deai_bank::BankWrite;
use deai_framework::dec::Dec;
use deai_framework::handler::{coins_of, emit_all, required_coin, response, sender_event};
use deai_framework::{Address, Coin, Coins, Ctx, Message, StateWrite, TxError};
use deai_proto::task::v1 as pb;
use deai_proto::training::v1 as tpb;
use deai_training::TrainingRead;

use super::deposit::{add_deposit, check_denoms};
use super::not_blocked;
use crate::error::TaskError;
use crate::keeper::{TaskRead, TaskWrite};
use crate::params::{Params, MAX_DESCRIPTION_CAP, MAX_EVAL_SPEC_CAP, MAX_TITLE_CAP};
use crate::{events, state_key, MODULE_ACCOUNT, MODULE_NAME};

/// Longest metric name, and longest target (a decimal string).
pub const MAX_METRIC_LEN: usize = 64;
pub const MAX_TARGET_LEN: usize = 60;

fn bad(msg: impl Into<String>) -> TxError {
    TaskError::InvalidProposal(msg.into()).into()
}

#[derive(Debug)]
pub struct ProposeTask {
    pub proposer: Address,
    pub title: String,
    pub description: String,
    pub spec: tpb::TaskSpec,
    pub evaluation: pb::EvaluationSpec,
    pub reward_pool: Coin,
    pub initial_deposit: Coins,
}

/// The evaluation's stateless checks: a JSON object spec within the hard cap, a metric of
/// 1..=64 printable ASCII bytes, a non-negative decimal target.
fn check_evaluation(e: &pb::EvaluationSpec) -> Result<(), TxError> {
    if e.spec.len() > MAX_EVAL_SPEC_CAP as usize {
        return Err(bad(format!(
            "evaluation.spec is {} bytes, at most {MAX_EVAL_SPEC_CAP}",
            e.spec.len()
        )));
    }
    match serde_json::from_slice::<serde_json::Value>(&e.spec) {
        Ok(serde_json::Value::Object(_)) => {}
        _ => return Err(bad("evaluation.spec must be a JSON object")),
    }
    if e.metric.is_empty()
        || e.metric.len() > MAX_METRIC_LEN
        || !e.metric.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(bad(format!(
            "evaluation.metric must be 1..={MAX_METRIC_LEN} printable ASCII bytes"
        )));
    }
    if e.target.len() > MAX_TARGET_LEN || Dec::parse(&e.target).is_err() {
        return Err(bad(format!(
            "evaluation.target must be a non-negative decimal (\"0.9\", \"42\"), got {:?}",
            e.target
        )));
    }
    Ok(())
}

impl TryFrom<pb::MsgProposeTask> for ProposeTask {
    type Error = TxError;
    fn try_from(m: pb::MsgProposeTask) -> Result<Self, TxError> {
        let proposer = Address::from_bech32(&m.proposer)?;
        if m.title.trim().is_empty() || m.title.len() > MAX_TITLE_CAP as usize {
            return Err(bad(format!("title must be 1..={MAX_TITLE_CAP} bytes")));
        }
        if m.description.len() > MAX_DESCRIPTION_CAP as usize {
            return Err(bad(format!(
                "description must be at most {MAX_DESCRIPTION_CAP} bytes"
            )));
        }
        let spec = m.spec.ok_or_else(|| bad("spec is required"))?;
        let evaluation = m.evaluation.ok_or_else(|| bad("evaluation is required"))?;
        check_evaluation(&evaluation)?;
        Ok(Self {
            proposer,
            title: m.title,
            description: m.description,
            spec,
            evaluation,
            reward_pool: required_coin(m.reward_pool, "reward_pool")?,
            initial_deposit: Coins::from_proto(&m.initial_deposit)?,
        })
    }
}

impl ProposeTask {
    /// The checks against the params (bounds, the training spec and pool, deposit denoms).
    fn check(&self, ctx: &Ctx, params: &Params) -> Result<(), TxError> {
        if self.title.len() > params.max_title_len as usize {
            return Err(bad(format!(
                "title is {} bytes, at most {}",
                self.title.len(),
                params.max_title_len
            )));
        }
        if self.description.len() > params.max_description_len as usize {
            return Err(bad(format!(
                "description is {} bytes, at most {}",
                self.description.len(),
                params.max_description_len
            )));
        }
        if self.evaluation.spec.len() > params.max_eval_spec_bytes as usize {
            return Err(bad(format!(
                "evaluation.spec is {} bytes, at most {}",
                self.evaluation.spec.len(),
                params.max_eval_spec_bytes
            )));
        }
        let training = ctx.training_params()?;
        deai_training::validate_task(&training, &self.spec, &self.reward_pool)?;
        // The code check must fit the attest module's job specs, or the deposit that starts
        // voting would be refused later.
        let job_spec = crate::lifecycle::code_spec(&self.spec, params.sample_rows)?;
        let max = ctx.attest_params()?.max_spec_bytes;
        if job_spec.len() > max as usize {
            return Err(bad(format!(
                "the code-check job spec is {} bytes, the attest module takes at most {max}: \
                 shorten base_spec",
                job_spec.len()
            )));
        }
        check_denoms(params, &self.initial_deposit)?;
        not_blocked(ctx, &self.proposer, "proposer")
    }
}

impl Message for ProposeTask {
    fn signers(&self) -> Vec<Address> {
        vec![self.proposer.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.task_params()?;
        self.check(ctx, &params)?;
        let ev = ctx.send_to_module(
            &self.proposer,
            MODULE_ACCOUNT,
            &coins_of(&self.reward_pool)?,
        )?;
        emit_all(ctx, ev);
        let id = ctx.take_task_id()?;
        let now = ctx.block.height;
        let mut t = pb::Task {
            id,
            proposer: self.proposer.to_bech32(),
            title: self.title.clone(),
            description: self.description.clone(),
            spec: Some(self.spec.clone()),
            evaluation: Some(self.evaluation.clone()),
            reward_pool: Some(self.reward_pool.to_proto()),
            total_deposit: Vec::new(),
            state: pb::TaskState::Deposit as i32,
            submitted_at: now,
            deposit_end: now.saturating_add(params.max_deposit_period),
            ..Default::default()
        };
        ctx.put(state_key::deposit_end(t.deposit_end, id), Vec::new())?;
        ctx.insert_task(&t)?;
        ctx.emit(events::proposed(&t, &self.initial_deposit));
        if !self.initial_deposit.is_empty() {
            add_deposit(ctx, &mut t, &self.proposer, &self.initial_deposit, &params)?;
        }
        ctx.emit(sender_event(&self.proposer));
        Ok(response(pb::MsgProposeTaskResponse { task_id: id }))
    }
}
