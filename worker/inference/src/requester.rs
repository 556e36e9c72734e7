//! `deai-worker request`: a requester's convenience. It reads the model from the chain,
//! quantizes the input with the model's registered input scale (or takes it already
//! quantized), sends `MsgRequestInference` (zk, optimistic, or redundant with k servers),
//! waits until the request is settled (completed, expired or refuted: for an optimistic
//! request that is after its challenge window and any dispute), and checks the answer
//! itself where a proof exists: the server's proof must verify, with deai-zk's verifier and
//! the model's registered key, for the statement the chain built (the request's input and
//! binding, the output it paid for).

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use deai_framework::Coin;
/// The mode a request asks for.
pub use deai_proto::inference::v1::VerificationMode;
use deai_proto::inference::v1::{self as pb, OutputKind as PbOutput, RequestState};
use deai_worker_daemon::typed_events_in;
use deai_zk::verifier::PreparedVerifier;
use deai_zk::Statement;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::chain::Chain;
use crate::models::layout_of;
use crate::server::{any, request_context};

/// Default `deadline_blocks` when none is given (clamped to the chain's bounds).
pub const DEFAULT_DEADLINE_BLOCKS: u64 = 20;

#[derive(Clone, Debug)]
pub struct RequestOptions {
    pub model_id: u64,
    /// The input file's text: a JSON array of floats, or `{"quantized": [ints]}`.
    pub input_json: String,
    /// Default: the model's price.
    pub fee: Option<Coin>,
    /// Default: [`DEFAULT_DEADLINE_BLOCKS`] within the chain's bounds.
    pub deadline_blocks: Option<u64>,
    /// zk, optimistic or redundant.
    pub mode: VerificationMode,
    /// Servers of a redundant request (ignored otherwise).
    pub k: u32,
    /// How often the request is read while waiting.
    pub poll: Duration,
    /// Longest wait for the end of the request.
    pub timeout: Duration,
}

/// A request's end, as printed (`--output json`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Answer {
    pub request_id: u64,
    pub model_id: u64,
    pub server: String,
    /// `zk`, `optimistic` or `redundant`.
    pub mode: String,
    /// `completed`, `expired` or `refuted` (a dispute proved the output wrong; refunded).
    pub state: String,
    /// How the output was settled: `proof` (zk), `unchallenged` (optimistic window closed),
    /// `majority` (redundant), or a dispute's resolution `challenge:proof`,
    /// `challenge:reexecution`, `challenge:timeout`.
    pub settled_by: String,
    /// The quantized input asked.
    pub input: Vec<i64>,
    /// The proven output: logits, or `[class]` for an argmax model.
    pub output: Vec<i64>,
    /// The predicted class (argmax of the logits, or the argmax model's output).
    pub class: Option<i64>,
    /// True when a proof of the output was verified here against the registered key (zk
    /// mode, or a dispute answered with a proof).
    pub verified: bool,
    pub fee: String,
    pub deadline: u64,
    pub completed_height: u64,
    pub request_tx: String,
}

impl Answer {
    pub fn text(&self) -> String {
        match self.state.as_str() {
            "completed" => format!(
                "request {} completed by {} at height {}: output {:?} (class {}), {}",
                self.request_id,
                self.server,
                self.completed_height,
                self.output,
                self.class.map_or("-".into(), |c| c.to_string()),
                if self.verified {
                    "proof verified".to_string()
                } else {
                    format!("{} ({})", self.mode, self.settled_by)
                }
            ),
            "refuted" => format!(
                "request {} refuted: a dispute proved the output wrong; the fee {} was refunded",
                self.request_id, self.fee
            ),
            _ => format!(
                "request {} expired at height {} unanswered; the fee {} was refunded",
                self.request_id, self.deadline, self.fee
            ),
        }
    }
}

/// Sends the request, then waits for its end. A completed request's answer is returned
/// only if its proof verifies here; an expired one is returned with `state: "expired"`.
pub async fn request<C: Chain>(
    chain: &mut C,
    o: &RequestOptions,
    cancel: &CancellationToken,
) -> anyhow::Result<Answer> {
    let model = chain
        .model(o.model_id)
        .await?
        .with_context(|| format!("model {} not found", o.model_id))?;
    let keyed = crate::models::has_key(&model);
    if o.mode == VerificationMode::Zk && !keyed {
        bail!(
            "model {} has no verifying key: ask --mode optimistic or redundant",
            o.model_id
        );
    }
    let layout = if keyed {
        Some(layout_of(&model)?)
    } else {
        None
    };
    let spec = match &layout {
        Some(l) => l.input_spec(),
        None => deai_zk::InputSpec {
            n_inputs: *model.architecture.first().context("empty architecture")? as usize,
            frac_bits: model.input_frac_bits,
            min: model.input_min,
            max: model.input_max,
        },
    };
    let input = spec.from_json(&o.input_json).context("the input")?;
    let fee = match &o.fee {
        Some(c) => c.to_proto(),
        None => model
            .price
            .clone()
            .with_context(|| format!("model {} has no price; pass --fee", o.model_id))?,
    };
    let params = chain.params().await?;
    let deadline_blocks = o.deadline_blocks.unwrap_or_else(|| {
        DEFAULT_DEADLINE_BLOCKS.clamp(
            params.min_deadline_blocks.max(1),
            params
                .max_deadline_blocks
                .max(params.min_deadline_blocks.max(1)),
        )
    });
    let msg = pb::MsgRequestInference {
        requester: chain.address(),
        model_id: o.model_id,
        input: input.clone(),
        fee: Some(fee.clone()),
        mode: o.mode as i32,
        k: if o.mode == VerificationMode::Redundant {
            o.k
        } else {
            1
        },
        deadline_blocks,
    };
    let c = chain.send(vec![any(&msg)]).await?;
    if !c.ok() {
        bail!(
            "MsgRequestInference refused: code {} ({}): {}",
            c.code,
            c.codespace,
            c.raw_log
        );
    }
    let ev = typed_events_in::<pb::EventInferenceRequested>(&c.events)
        .into_iter()
        .next()
        .context("the request tx has no EventInferenceRequested")?;
    let id = ev.request_id;
    tracing::info!(request = id, servers = ?ev.servers, deadline = ev.deadline, tx = %c.txhash, "inference requested");
    let started = Instant::now();
    let r = loop {
        match chain.request(id).await {
            Ok(Some(r))
                if !matches!(
                    RequestState::try_from(r.state),
                    Ok(RequestState::Pending
                        | RequestState::ChallengeWindow
                        | RequestState::Disputed)
                ) =>
            {
                break r
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(request = id, error = %deai_worker_daemon::one_line(&e), "reading the request")
            }
        }
        if started.elapsed() > o.timeout {
            bail!("request {id} is still pending after {:?}", o.timeout);
        }
        tokio::select! {
            _ = cancel.cancelled() => bail!("interrupted while waiting for request {id}"),
            _ = tokio::time::sleep(o.poll) => {}
        }
    };
    let mut answer = Answer {
        request_id: id,
        model_id: o.model_id,
        server: r.servers.first().cloned().unwrap_or_default(),
        mode: match o.mode {
            VerificationMode::Optimistic => "optimistic",
            VerificationMode::Redundant => "redundant",
            _ => "zk",
        }
        .into(),
        state: String::new(),
        settled_by: String::new(),
        input: input.clone(),
        output: Vec::new(),
        class: None,
        verified: false,
        fee: format!("{}{}", fee.amount, fee.denom),
        deadline: r.deadline,
        completed_height: r.completed_height,
        request_tx: c.txhash,
    };
    match RequestState::try_from(r.state) {
        Ok(RequestState::Completed) => {}
        Ok(RequestState::Expired) => {
            answer.state = "expired".into();
            return Ok(answer);
        }
        Ok(RequestState::Refuted) => {
            answer.state = "refuted".into();
            answer.settled_by = settled_by(chain, id, o.mode).await;
            return Ok(answer);
        }
        _ => bail!("request {id} ended in state {}", r.state),
    }
    // The answer the chain accepted, checked here against the registered key.
    let subs = chain.submissions(id).await?;
    let sub = subs
        .iter()
        .find(|s| s.output == r.output && r.servers.contains(&s.server))
        .with_context(|| format!("request {id} completed without a matching submission"))?;
    answer.settled_by = settled_by(chain, id, o.mode).await;
    answer.class = match model.circuit.as_ref().map(|c| c.output) {
        Some(k) if keyed && k == PbOutput::Argmax as i32 => sub.output.first().copied(),
        _ => Some(deai_zk::argmax(&sub.output) as i64),
    };
    answer.state = "completed".into();
    answer.server = sub.server.clone();
    answer.output = r.output.clone();
    let Some(layout) = layout.filter(|_| !sub.proof.is_empty()) else {
        if o.mode == VerificationMode::Zk {
            bail!("request {id} completed in zk mode without a proof");
        }
        return Ok(answer);
    };
    let statement = Statement {
        commitment: layout.commitment_fr()?,
        request: deai_zk::request_binding(
            request_context(&chain.chain_id(), id, &sub.server).as_bytes(),
        ),
        input: input.clone(),
        output: sub.output.clone(),
    };
    PreparedVerifier::from_bytes(&model.verifying_key)?
        .verify_statement(&layout, &statement, &sub.proof)
        .map_err(|e| {
            anyhow::anyhow!("request {id}: the accepted proof does not verify here: {e}")
        })?;
    answer.verified = true;
    Ok(answer)
}

/// How a settled request's output was decided (see [`Answer::settled_by`]).
async fn settled_by<C: Chain>(chain: &C, id: u64, mode: VerificationMode) -> String {
    let resolution = match chain.challenge(id).await {
        Ok(Some(ch)) => match pb::Resolution::try_from(ch.resolution) {
            Ok(pb::Resolution::Proof) => Some("challenge:proof"),
            Ok(pb::Resolution::Reexecution) => Some("challenge:reexecution"),
            Ok(pb::Resolution::Timeout) => Some("challenge:timeout"),
            Ok(pb::Resolution::Attestation) => Some("challenge:attestation"),
            _ => Some("challenge"),
        },
        _ => None,
    };
    match (resolution, mode) {
        (Some(r), _) => r.into(),
        (None, VerificationMode::Optimistic) => "unchallenged".into(),
        (None, VerificationMode::Redundant) => "majority".into(),
        (None, _) => "proof".into(),
    }
}
