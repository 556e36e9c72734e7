//! `deaid tx inference …`: one command per message of `deai.inference.v1.Msg` (but
//! UpdateParams, which only the module's authority signs), with the conventions of
//! `tx compute …`: the signing key first, then the message's arguments and the common tx
//! flags. `register-model --keys DIR` reads what `deai-worker zk-setup` wrote; `request`
//! reads the worker's input files; `submit` and `respond` read `deai-worker prove`'s proof file.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_client::txbuilder::to_any;
use deai_proto::inference::v1 as pb;

pub use super::inference_msgs::*;
use super::output::OutputFormat;
use super::parse::{coin, hex32, send, BuildMsg, Hash, Signed};
use super::query_cmd::querier;
use super::tx_cmd::sign_and_send;
use super::NodeArgs;

#[derive(Subcommand, Debug)]
pub enum InferenceTx {
    /// Register a model: its shape, hashes, price, and (zk) the verifying key and circuit
    /// layout that `deai-worker zk-setup` wrote to --keys DIR.
    RegisterModel(Signed<RegisterModel>),
    /// Change one of the signer's models' price and whether it takes new requests.
    UpdateModel(Signed<UpdateModel>),
    /// Serve a model, escrowing --stake.
    RegisterServer(Signed<RegisterServer>),
    /// Stop serving a model: no new assignments; the stake returns after unbonding_blocks.
    UnregisterServer(Signed<UnregisterServer>),
    /// Request an inference, escrowing --fee; the chain draws the server(s) by stake.
    Request(Signed<Request>),
    /// As an assigned server, answer a request: with --proof (zk) or --output.
    Submit(Signed<Submit>),
    /// Challenge an optimistic output within its window, posting --bond.
    Challenge(Signed<Challenge>),
    /// As a challenged server, answer with a proof of the output.
    Respond(Signed<Respond>),
    /// Settle a dispute by on-chain re-execution on the model's quantized weights.
    Adjudicate(Signed<Adjudicate>),
    /// Create a topic, paying --fee into its reward pool.
    CreateTopic(Signed<CreateTopic>),
    /// Register the signer as a worker of a topic, escrowing --stake.
    RegisterTopicWorker(Signed<RegisterTopicWorker>),
    /// Register the signer as a reputer of a topic, escrowing --stake.
    RegisterReputer(Signed<RegisterReputer>),
    /// As a topic worker, submit an epoch's inference.
    SubmitTopicInference(Signed<SubmitTopicInference>),
    /// As a reputer, report an epoch's ground truth.
    SubmitGroundTruth(Signed<SubmitGroundTruth>),
}

pub fn run(home: &Path, cmd: InferenceTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        InferenceTx::RegisterModel(s) => send(home, s, out),
        InferenceTx::UpdateModel(s) => send(home, s, out),
        InferenceTx::RegisterServer(s) => send(home, s, out),
        InferenceTx::UnregisterServer(s) => send(home, s, out),
        InferenceTx::Request(s) => {
            let input = s.msg.input_for(&s.tx.node)?;
            sign_and_send(home, &s.from, &s.tx, out, |signer| {
                Ok(vec![to_any(&s.msg.build_with(signer, input)?)])
            })
        }
        InferenceTx::Submit(s) => sign_and_send(home, &s.from, &s.tx, out, |signer| {
            Ok(vec![to_any(
                &s.msg.build_for(signer, s.tx.chain_id.as_deref())?,
            )])
        }),
        InferenceTx::Challenge(s) => send(home, s, out),
        InferenceTx::Respond(s) => sign_and_send(home, &s.from, &s.tx, out, |signer| {
            Ok(vec![to_any(
                &s.msg.build_for(signer, s.tx.chain_id.as_deref())?,
            )])
        }),
        InferenceTx::Adjudicate(s) => send(home, s, out),
        InferenceTx::CreateTopic(s) => send(home, s, out),
        InferenceTx::RegisterTopicWorker(s) => send(home, s, out),
        InferenceTx::RegisterReputer(s) => send(home, s, out),
        InferenceTx::SubmitTopicInference(s) => send(home, s, out),
        InferenceTx::SubmitGroundTruth(s) => send(home, s, out),
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ZkModeArg {
    /// The weights are circuit constants; the verifying key commits to them.
    Public,
    /// The weights are private; their Poseidon commitment is a public input.
    Private,
    /// No verifying key: optimistic and redundant requests only.
    None,
}

/// `verifying_key.bin` and `circuit.json` of a key directory.
pub const VERIFYING_KEY_FILE: &str = "verifying_key.bin";
pub const LAYOUT_FILE: &str = "circuit.json";
/// Largest circuit.json read.
const MAX_LAYOUT_FILE_BYTES: u64 = 1 << 20;

/// What `deai-worker zk-setup` wrote to a key directory, as the model record takes it.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyDir {
    pub mode: ZkModeArg,
    pub verifying_key: Vec<u8>,
    pub weight_commitment: Vec<u8>,
    pub n_inputs: u64,
    pub input_min: i64,
    pub input_max: i64,
    pub input_frac_bits: u32,
    pub circuit: pb::CircuitLayout,
}

impl KeyDir {
    /// Reads `DIR/verifying_key.bin` and `DIR/circuit.json`.
    pub fn read(dir: &Path) -> anyhow::Result<Self> {
        let vk_path = dir.join(VERIFYING_KEY_FILE);
        let max_vk = u64::from(deai_inference::MAX_VERIFYING_KEY_BYTES);
        let verifying_key = read_limited(&vk_path, max_vk, "verifying key")?;
        let layout_path = dir.join(LAYOUT_FILE);
        let text = read_limited(&layout_path, MAX_LAYOUT_FILE_BYTES, "circuit layout")?;
        // deai-zk's own type (its verifier-only build), exactly what zk-setup wrote.
        let c: deai_zk::CircuitLayout = serde_json::from_slice(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: {e} (expected the circuit.json deai-worker zk-setup writes)",
                layout_path.display()
            )
        })?;
        let mode = match c.mode {
            deai_zk::Mode::Public => ZkModeArg::Public,
            deai_zk::Mode::Private => ZkModeArg::Private,
        };
        let output = match c.output {
            deai_zk::OutputKind::Logits => pb::OutputKind::Logits,
            deai_zk::OutputKind::Argmax => pb::OutputKind::Argmax,
        };
        let encoding = match c.encoding {
            deai_zk::IoEncoding::Plain => pb::IoEncoding::Plain,
            deai_zk::IoEncoding::Packed => pb::IoEncoding::Packed,
        };
        let weight_commitment = match (&c.commitment, mode) {
            (Some(h), ZkModeArg::Private) => {
                let b = hex::decode(h)
                    .map_err(|e| anyhow::anyhow!("{}: commitment: {e}", layout_path.display()))?;
                anyhow::ensure!(
                    b.len() == 32,
                    "{}: the commitment has {} bytes, not 32",
                    layout_path.display(),
                    b.len()
                );
                b
            }
            (None, ZkModeArg::Public) => Vec::new(),
            _ => anyhow::bail!(
                "{}: a commitment is given in private mode only",
                layout_path.display()
            ),
        };
        Ok(KeyDir {
            mode,
            verifying_key,
            weight_commitment,
            n_inputs: c.n_inputs as u64,
            input_min: c.input_min,
            input_max: c.input_max,
            input_frac_bits: c.input_frac_bits,
            circuit: pb::CircuitLayout {
                output: output as i32,
                encoding: encoding as i32,
                logit_bounds: c
                    .logit_bounds
                    .iter()
                    .map(|&(lo, hi)| pb::LogitBound { lo, hi })
                    .collect(),
            },
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct RegisterModel {
    /// The model's name (printable ASCII).
    #[arg(long)]
    pub name: String,
    /// Layer sizes, input first, comma-separated: 64,32,10.
    #[arg(long, value_delimiter = ',', required = true)]
    pub architecture: Vec<u32>,
    /// sha256 of the float weights, 64 hex characters.
    #[arg(long, value_parser = hex32)]
    pub weights_sha256: Hash,
    /// sha256 of the canonical encoding of the quantized (integer) weights, 64 hex characters.
    #[arg(long, value_parser = hex32)]
    pub quantized_weights_sha256: Hash,
    /// Default: the mode of --keys DIR/circuit.json. `none` needs no keys (optimistic and
    /// redundant requests only).
    #[arg(long, value_enum)]
    pub zk_mode: Option<ZkModeArg>,
    /// The key directory `deai-worker zk-setup` wrote: the verifying key, the weight
    /// commitment, the input range and scale and the circuit layout are read from its
    /// verifying_key.bin and circuit.json.
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// Without --keys (zk mode none): the smallest input value.
    #[arg(long, allow_hyphen_values = true, conflicts_with = "keys")]
    pub input_min: Option<i64>,
    /// Without --keys (zk mode none): the largest input value.
    #[arg(long, allow_hyphen_values = true, conflicts_with = "keys")]
    pub input_max: Option<i64>,
    /// Without --keys (zk mode none): a float input x is round(x · 2^bits).
    #[arg(long, conflicts_with = "keys")]
    pub input_frac_bits: Option<u32>,
    /// The smallest fee of one inference, e.g. 1000udeai.
    #[arg(long, value_parser = coin)]
    pub price: ProtoCoin,
}

impl RegisterModel {
    /// The message for the key directory `keys` (already read, if --keys was given).
    pub fn build_with(
        &self,
        owner: &str,
        keys: Option<KeyDir>,
    ) -> anyhow::Result<pb::MsgRegisterModel> {
        anyhow::ensure!(
            self.architecture.len() >= 2,
            "--architecture lists the layer sizes, input first, at least 2: 64,32,10"
        );
        let dir = || {
            self.keys
                .as_deref()
                .map_or_else(String::new, |d| d.display().to_string())
        };
        let mode = match (self.zk_mode, &keys) {
            (Some(ZkModeArg::None), _) => ZkModeArg::None,
            (Some(m), Some(k)) if m != k.mode => anyhow::bail!(
                "--zk-mode {m:?} but {}/circuit.json is for a {:?} model",
                dir(),
                k.mode
            ),
            (_, Some(k)) => k.mode,
            (Some(m), None) => anyhow::bail!(
                "--zk-mode {m:?} needs --keys DIR (the output of deai-worker zk-setup)"
            ),
            (None, None) => {
                anyhow::bail!("give --keys DIR (deai-worker zk-setup's output) or --zk-mode none")
            }
        };
        let (input_min, input_max, input_frac_bits) = match &keys {
            Some(k) => {
                let first = self.architecture.first().copied().unwrap_or(0);
                let last = self.architecture.last().copied().unwrap_or(0);
                anyhow::ensure!(
                    k.n_inputs == u64::from(first),
                    "{}/circuit.json is for {} inputs, --architecture starts with {first}",
                    dir(),
                    k.n_inputs
                );
                anyhow::ensure!(
                    k.circuit.logit_bounds.len() == last as usize,
                    "{}/circuit.json has {} logit bounds, --architecture ends with {last}",
                    dir(),
                    k.circuit.logit_bounds.len()
                );
                (k.input_min, k.input_max, k.input_frac_bits)
            }
            None => match (self.input_min, self.input_max, self.input_frac_bits) {
                (Some(lo), Some(hi), Some(bits)) => (lo, hi, bits),
                _ => anyhow::bail!(
                    "--zk-mode none without --keys needs --input-min, --input-max and \
                     --input-frac-bits"
                ),
            },
        };
        let (zk_mode, verifying_key, weight_commitment, circuit) = match (mode, keys) {
            (ZkModeArg::None, _) => (pb::ZkMode::None, Vec::new(), Vec::new(), None),
            (m, Some(k)) => {
                let zk = if m == ZkModeArg::Public {
                    pb::ZkMode::Public
                } else {
                    pb::ZkMode::Private
                };
                (zk, k.verifying_key, k.weight_commitment, Some(k.circuit))
            }
            (_, None) => unreachable!("a zk mode without keys was refused above"),
        };
        let msg = pb::MsgRegisterModel {
            owner: owner.into(),
            name: self.name.clone(),
            architecture: self.architecture.clone(),
            weights_sha256: self.weights_sha256.0.clone(),
            quantized_weights_sha256: self.quantized_weights_sha256.0.clone(),
            zk_mode: zk_mode as i32,
            verifying_key,
            weight_commitment,
            input_min,
            input_max,
            input_frac_bits,
            circuit,
            price: Some(self.price.clone()),
        };
        check_model(&msg)?;
        Ok(msg)
    }
}

/// The chain's own stateless checks of a registration: the record (name, architecture,
/// hashes, mode, input range, circuit) and, with a key, that it decodes and takes the
/// public inputs the layout implies.
fn check_model(m: &pb::MsgRegisterModel) -> anyhow::Result<()> {
    let model = pb::Model {
        owner: m.owner.clone(),
        name: m.name.clone(),
        architecture: m.architecture.clone(),
        weights_sha256: m.weights_sha256.clone(),
        quantized_weights_sha256: m.quantized_weights_sha256.clone(),
        zk_mode: m.zk_mode,
        verifying_key: m.verifying_key.clone(),
        weight_commitment: m.weight_commitment.clone(),
        input_min: m.input_min,
        input_max: m.input_max,
        input_frac_bits: m.input_frac_bits,
        circuit: m.circuit.clone(),
        price: m.price.clone(),
        enabled: true,
        ..Default::default()
    };
    deai_inference::validate_model(&model)?;
    if m.zk_mode != pb::ZkMode::None as i32 {
        deai_inference::zk::check_key(&deai_inference::zk::layout_of(&model)?, &m.verifying_key)?;
    }
    Ok(())
}

impl BuildMsg for RegisterModel {
    type Msg = pb::MsgRegisterModel;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgRegisterModel> {
        let keys = self.keys.as_deref().map(KeyDir::read).transpose()?;
        self.build_with(signer, keys)
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The server proves its output (Groth16); the chain verifies the proof.
    Zk,
    /// The server posts a bond; anyone may challenge within the challenge window.
    Optimistic,
    /// --k servers answer; the majority wins.
    Redundant,
}

/// Largest input file read (deai-zk's limit).
const MAX_INPUT_FILE_BYTES: u64 = 1 << 24;

#[derive(clap::Args, Clone, Debug)]
pub struct Request {
    /// The model's id.
    #[arg(long)]
    pub model: u64,
    /// An input file as deai-worker prove reads it: a JSON array of floats (quantized with the
    /// model's input scale, read from the node) or {"quantized": [ints]}.
    #[arg(long, conflicts_with = "input_values")]
    pub input: Option<PathBuf>,
    /// The quantized input, comma-separated integers.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub input_values: Vec<i64>,
    /// Escrowed and paid to the server(s) (at least the model's price), e.g. 1000udeai.
    #[arg(long, value_parser = coin)]
    pub fee: ProtoCoin,
    #[arg(long, value_enum, default_value = "zk")]
    pub mode: Mode,
    /// Redundant mode: how many servers answer (at least 2).
    #[arg(long)]
    pub k: Option<u32>,
    /// Blocks the server(s) have to answer (the min/max_deadline_blocks params bound it).
    #[arg(long)]
    pub deadline_blocks: u64,
}

/// A request's input as given: quantized, or floats still to quantize.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    Quantized(Vec<i64>),
    Floats(Vec<f32>),
}

/// Quantizes a float input with deai-zk's `InputSpec::quantize` (the one rule the prover
/// and verifiers use): `round(x · 2^frac_bits)` (half away from zero), clamped to
/// `[min, max]`.
pub fn quantize(
    x: &[f32],
    n_inputs: usize,
    frac_bits: u32,
    min: i64,
    max: i64,
) -> anyhow::Result<Vec<i64>> {
    let spec = deai_zk::InputSpec {
        n_inputs,
        frac_bits,
        min,
        max,
    };
    spec.quantize(x)
        .map_err(|e| anyhow::anyhow!("the input: {e}"))
}

impl Request {
    /// The input given by --input-values or --input, without the node.
    pub fn input(&self) -> anyhow::Result<Input> {
        if let Some(path) = &self.input {
            #[derive(serde::Deserialize)]
            #[serde(untagged)]
            enum InputFile {
                Floats(Vec<f32>),
                Quantized { quantized: Vec<i64> },
            }
            let bytes = read_limited(path, MAX_INPUT_FILE_BYTES, "--input")?;
            let file: InputFile = serde_json::from_slice(&bytes).map_err(|_| {
                anyhow::anyhow!(
                    "--input {}: expected a JSON array of numbers or {{\"quantized\": [integers]}}",
                    path.display()
                )
            })?;
            return Ok(match file {
                InputFile::Floats(x) => Input::Floats(x),
                InputFile::Quantized { quantized } => Input::Quantized(quantized),
            });
        }
        anyhow::ensure!(
            !self.input_values.is_empty(),
            "give --input FILE or --input-values V,V,…"
        );
        Ok(Input::Quantized(self.input_values.clone()))
    }

    /// The quantized input; a float input is quantized with the model's scale, read from
    /// `node`.
    pub fn input_for(&self, node: &NodeArgs) -> anyhow::Result<Vec<i64>> {
        let x = match self.input()? {
            Input::Quantized(v) => return Ok(v),
            Input::Floats(x) => x,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let res: pb::QueryModelResponse = rt.block_on(async {
            querier(node)
                .await?
                .query(
                    "/deai.inference.v1.Query/Model",
                    &pb::QueryModelRequest { id: self.model },
                    node.height,
                )
                .await
        })?;
        let m = res
            .model
            .ok_or_else(|| anyhow::anyhow!("model {} not found", self.model))?;
        let n = m.architecture.first().copied().unwrap_or(0) as usize;
        quantize(&x, n, m.input_frac_bits, m.input_min, m.input_max)
            .map_err(|e| anyhow::anyhow!("--input: {e}"))
    }

    /// The message for the quantized `input`.
    pub fn build_with(
        &self,
        requester: &str,
        input: Vec<i64>,
    ) -> anyhow::Result<pb::MsgRequestInference> {
        anyhow::ensure!(!input.is_empty(), "the input is empty");
        let (mode, k) = match (self.mode, self.k) {
            (Mode::Redundant, Some(k)) if k >= 2 => (pb::VerificationMode::Redundant, k),
            (Mode::Redundant, _) => anyhow::bail!("--mode redundant needs --k 2 or more"),
            (_, Some(k)) if k > 1 => anyhow::bail!("--k {k} is for --mode redundant only"),
            (Mode::Zk, k) => (pb::VerificationMode::Zk, k.unwrap_or(1)),
            (Mode::Optimistic, k) => (pb::VerificationMode::Optimistic, k.unwrap_or(1)),
        };
        anyhow::ensure!(
            self.deadline_blocks > 0,
            "--deadline-blocks must be positive"
        );
        Ok(pb::MsgRequestInference {
            requester: requester.into(),
            model_id: self.model,
            input,
            fee: Some(self.fee.clone()),
            mode: mode as i32,
            k,
            deadline_blocks: self.deadline_blocks,
        })
    }
}

impl BuildMsg for Request {
    type Msg = pb::MsgRequestInference;
    /// Without the node: a float input file is refused (`run` quantizes it first).
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgRequestInference> {
        match self.input()? {
            Input::Quantized(v) => self.build_with(signer, v),
            Input::Floats(_) => anyhow::bail!("a float input needs the model's scale"),
        }
    }
}

#[cfg(test)]
#[path = "inference_tx_tests.rs"]
mod tests;
