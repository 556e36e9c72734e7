//! `zk-setup`, `prove` and `verify`: Groth16 proofs of quantized MLP inference with
//! `deai-zk` (see docs/zk.md).
//!
//! A key directory holds what `deai_zk::prover::Keys::write_dir` writes
//! (`proving_key.bin`, `verifying_key.bin`, `circuit.json`) plus [`SETUP_FILE`], which
//! records how the model was quantized so that `prove` quantizes it the same way.
//!
//! A proof answers one request: `prove --request ID` binds it to
//! `deai_zk::request_binding(ID)`, and `verify` needs the request's input and ID
//! (`--input`, `--request`) and accepts the proof only for exactly those.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use clap::{Args, ValueEnum};
use deai_worker_engine as engine;
use deai_worker_inference::models::quantized_sha256;
use deai_worker_jobs::Digest;
use deai_zk::circuit::CircuitSpec;
use deai_zk::input::MAX_INPUT_JSON_BYTES;
use deai_zk::proof_file::MAX_PROOF_FILE_BYTES;
use deai_zk::quant::{self, FloatMlp, QuantConfig};
use deai_zk::request::request_hex;
use deai_zk::{prover, request_binding, IoEncoding, Mode, OutputKind, ProofFile, QuantizedModel};
use serde::Serialize;

/// `zk-setup.json`: how `zk-setup` quantized the model (shared with the inference server).
pub use deai_worker_inference::keydir::{SetupRecord, SETUP_FILE};

/// Largest input file `prove` and `verify` read (the limit of `InputSpec::from_json`).
const MAX_INPUT_FILE_BYTES: u64 = MAX_INPUT_JSON_BYTES as u64;

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Weights are circuit constants; the verifying key itself commits to them.
    Public,
    /// Weights are private witnesses; their Poseidon hash is a public input.
    Private,
}

#[derive(Args)]
pub struct SetupArgs {
    /// The worker's float weights (safetensors): an MLP, fc0, fc1, ... with ReLU between.
    #[arg(long)]
    model: PathBuf,
    /// Key directory to write (created if missing; existing keys are replaced).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, value_enum, default_value_t = ModeArg::Public)]
    mode: ModeArg,
    /// Prove only the predicted class instead of all logits.
    #[arg(long)]
    argmax: bool,
    /// Largest model input value (after the dataset's feature_scale); inputs are
    /// quantized onto the integers 0..=input_max·2^input_frac_bits.
    #[arg(long, default_value_t = 1.0)]
    input_max: f64,
    /// Fractional bits of the quantized input.
    #[arg(long, default_value_t = 8)]
    input_frac_bits: u32,
    /// Bits of each quantized weight (symmetric, per-layer power-of-two scale).
    #[arg(long, default_value_t = 8)]
    weight_bits: u32,
    /// Fractional bits kept in hidden activations.
    #[arg(long, default_value_t = 6)]
    act_frac_bits: u32,
}

#[derive(Args)]
pub struct ProveArgs {
    /// The same safetensors file that `zk-setup` was given.
    #[arg(long)]
    model: PathBuf,
    /// Key directory written by `zk-setup`.
    #[arg(long)]
    keys: PathBuf,
    /// JSON array of the model's float inputs, or {"quantized": [ints]}.
    #[arg(long)]
    input: PathBuf,
    /// The request this proof answers (any string, e.g. a request id or nonce); the
    /// proof is bound to it and verifies for no other.
    #[arg(long)]
    request: String,
    /// Proof file to write: {"output", "request", "public_inputs", "proof"} (hex).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Key directory (only verifying_key.bin and circuit.json are read).
    #[arg(long)]
    keys: PathBuf,
    /// Proof file written by `prove`.
    #[arg(long)]
    proof: PathBuf,
    /// The input that was asked: JSON array of floats (quantized with the scale in
    /// circuit.json, as `prove` does) or {"quantized": [ints]}.
    #[arg(long)]
    input: PathBuf,
    /// The request id that was asked (as given to `prove --request`).
    #[arg(long)]
    request: String,
}

#[derive(Serialize)]
pub struct SetupReport {
    keys: String,
    mode: Mode,
    output: OutputKind,
    /// Layer widths, input first: [64, 64, 10].
    shape: Vec<usize>,
    public_inputs: usize,
    proving_key_bytes: usize,
    verifying_key_bytes: usize,
    /// Poseidon commitment to the weights (private mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    commitment: Option<String>,
    weights_sha256: Digest,
    /// sha256 of the canonical encoding of the quantized model: the chain's
    /// `quantized_weights_sha256` (docs/worker.md, "Inference server").
    quantized_weights_sha256: String,
    quant: QuantConfig,
    setup_seconds: f64,
}

impl SetupReport {
    pub fn text(&self) -> String {
        let shape: Vec<String> = self.shape.iter().map(usize::to_string).collect();
        let mut s = format!(
            "zk-setup: {} model {}, {} output, {} public inputs ({:.2} s)\nverifying_key.bin {} B, proving_key.bin {} B in {}",
            lower(&self.mode),
            shape.join("-"),
            lower(&self.output),
            self.public_inputs,
            self.setup_seconds,
            self.verifying_key_bytes,
            self.proving_key_bytes,
            self.keys
        );
        if let Some(c) = &self.commitment {
            s.push_str(&format!("\nweight commitment {c}"));
        }
        s
    }
}

pub struct ProveReport {
    pub file: ProofFile,
    output_kind: OutputKind,
    request: String,
    out: String,
    seconds: f64,
}

impl ProveReport {
    pub fn text(&self) -> String {
        format!(
            "proved: {}; {} public inputs, {}-byte proof ({:.2} s)\nrequest {:?} (binding {})\nproof {}",
            describe_output(self.output_kind, &self.file.output),
            self.file.public_inputs.len(),
            self.file.proof.len() / 2,
            self.seconds,
            self.request,
            self.file.request,
            self.out
        )
    }
}

#[derive(Serialize)]
pub struct VerifyReport {
    valid: bool,
    mode: Mode,
    output_kind: OutputKind,
    /// The request id, and its binding (hex) as in the proof's public inputs.
    request: String,
    request_binding: String,
    /// The quantized input the proof is for (the one asked).
    input: Vec<i64>,
    output: Vec<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    commitment: Option<String>,
}

impl VerifyReport {
    pub fn text(&self) -> String {
        format!(
            "proof valid: {} model, request {:?}, the given {} input values, {}",
            lower(&self.mode),
            self.request,
            self.input.len(),
            describe_output(self.output_kind, &self.output)
        )
    }
}

fn lower<T: std::fmt::Debug>(v: &T) -> String {
    format!("{v:?}").to_lowercase()
}

fn describe_output(kind: OutputKind, output: &[i64]) -> String {
    match kind {
        OutputKind::Argmax => format!("class {}", output.first().copied().unwrap_or(-1)),
        OutputKind::Logits => {
            let v: Vec<String> = output.iter().map(i64::to_string).collect();
            format!(
                "logits [{}] (class {})",
                v.join(", "),
                deai_zk::argmax(output)
            )
        }
    }
}

/// Reads the worker's weights as an MLP and their canonical digest. Rejects files with
/// tensors the circuit would silently leave out (a CNN's convolutions).
fn load_float(path: &Path) -> anyhow::Result<(FloatMlp, Digest)> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let tensors = engine::state::from_safetensors(&bytes, path)?;
    let digest = engine::state::digest(&tensors);
    let is_matrix = |name: &str| tensors.get(name).is_some_and(|t| t.shape().len() == 2);
    let uncovered: Vec<&str> = tensors
        .keys()
        .map(String::as_str)
        .filter(|n| {
            let linear = match (n.strip_suffix(".weight"), n.strip_suffix(".bias")) {
                (Some(p), _) => is_matrix(n) && tensors.contains_key(&format!("{p}.bias")),
                (_, Some(p)) => is_matrix(&format!("{p}.weight")),
                _ => false,
            };
            !linear
        })
        .collect();
    if !uncovered.is_empty() {
        bail!(
            "{}: tensor {} is not part of a linear layer; zk proofs cover MLPs (linear layers with ReLU between) only",
            path.display(),
            uncovered.join(", ")
        );
    }
    let float =
        FloatMlp::from_safetensors(&bytes).with_context(|| format!("{}", path.display()))?;
    Ok((float, digest))
}

fn key_dir_context(dir: &Path) -> String {
    format!("key directory {}", dir.display())
}

pub fn setup(a: &SetupArgs) -> anyhow::Result<SetupReport> {
    if !(a.input_max.is_finite() && a.input_max > 0.0) {
        bail!(
            "--input-max must be finite and positive, got {}",
            a.input_max
        );
    }
    if a.input_frac_bits > 24 || a.act_frac_bits > 24 {
        bail!("--input-frac-bits and --act-frac-bits must be at most 24");
    }
    let (float, weights_sha256) = load_float(&a.model)?;
    let cfg = QuantConfig {
        weight_bits: a.weight_bits,
        act_frac_bits: a.act_frac_bits,
        ..QuantConfig::unit_range(a.input_max, a.input_frac_bits)
    };
    let model = quant::quantize(&float, &cfg)
        .with_context(|| format!("quantizing {}", a.model.display()))?;
    let spec = CircuitSpec {
        mode: match a.mode {
            ModeArg::Public => Mode::Public,
            ModeArg::Private => Mode::Private,
        },
        output: if a.argmax {
            OutputKind::Argmax
        } else {
            OutputKind::Logits
        },
        encoding: IoEncoding::Plain,
    };
    let start = Instant::now();
    let keys = prover::setup(&model, spec)?;
    let setup_seconds = start.elapsed().as_secs_f64();
    let (pk, vk) = (keys.pk_bytes()?, keys.vk_bytes()?);
    keys.write_dir(&a.out)
        .with_context(|| format!("writing keys to {}", a.out.display()))?;
    let record = SetupRecord {
        weights_sha256,
        quant: cfg.clone(),
    };
    engine::state::write_atomic(
        &a.out.join(SETUP_FILE),
        serde_json::to_string_pretty(&record)?.as_bytes(),
    )?;
    Ok(SetupReport {
        keys: a.out.display().to_string(),
        mode: keys.layout.mode,
        output: keys.layout.output,
        shape: shape(&model),
        public_inputs: keys.layout.n_public_inputs(),
        proving_key_bytes: pk.len(),
        verifying_key_bytes: vk.len(),
        commitment: keys.layout.commitment.clone(),
        weights_sha256,
        quantized_weights_sha256: hex::encode(quantized_sha256(&model)),
        quant: cfg,
        setup_seconds,
    })
}

fn shape(model: &QuantizedModel) -> Vec<usize> {
    std::iter::once(model.n_inputs())
        .chain(model.layers.iter().map(|l| l.n_out))
        .collect()
}

fn read_limited(path: &Path, limit: u64) -> anyhow::Result<String> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    if len > limit {
        bail!("{}: {len} bytes, limit {limit}", path.display());
    }
    std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))
}

pub fn prove(a: &ProveArgs) -> anyhow::Result<ProveReport> {
    let record = SetupRecord::read(&a.keys)?;
    let (float, digest) = load_float(&a.model)?;
    if digest != record.weights_sha256 {
        bail!(
            "{}: weights {digest} are not the ones the keys in {} were set up for ({})",
            a.model.display(),
            a.keys.display(),
            record.weights_sha256
        );
    }
    let model = quant::quantize(&float, &record.quant)
        .with_context(|| format!("quantizing {}", a.model.display()))?;
    let keys = prover::Keys::read_dir(&a.keys).with_context(|| key_dir_context(&a.keys))?;
    let text = read_limited(&a.input, MAX_INPUT_FILE_BYTES)?;
    let x =
        quant::input_from_json(&model, &text).with_context(|| format!("{}", a.input.display()))?;
    let start = Instant::now();
    let out = prover::prove(&keys, &model, &x, request_binding(a.request.as_bytes()))?;
    let seconds = start.elapsed().as_secs_f64();
    let file = out.to_file();
    engine::state::write_atomic(&a.out, file.to_json().as_bytes())?;
    Ok(ProveReport {
        file,
        output_kind: keys.layout.output,
        request: a.request.clone(),
        out: a.out.display().to_string(),
        seconds,
    })
}

pub fn verify(a: &VerifyArgs) -> anyhow::Result<VerifyReport> {
    let ctx = || key_dir_context(&a.keys);
    let vk = prover::read_vk_bytes(&a.keys).with_context(ctx)?;
    let layout = prover::read_layout(&a.keys).with_context(ctx)?;
    // Decoded here too so that a bad key is reported as one, not as a bad proof.
    let decoded = deai_zk::verifier::decode_vk(&vk).with_context(ctx)?;
    if decoded.gamma_abc_g1.len() != layout.n_public_inputs() + 1 {
        bail!(
            "{}: verifying_key.bin takes {} public inputs but circuit.json describes {}",
            ctx(),
            decoded.gamma_abc_g1.len().saturating_sub(1),
            layout.n_public_inputs()
        );
    }
    // The verifier quantizes the request's input itself, with the layout's scale.
    let text = read_limited(&a.input, MAX_INPUT_FILE_BYTES)?;
    let input = layout
        .input_spec()
        .from_json(&text)
        .with_context(|| format!("{}", a.input.display()))?;
    let binding = request_binding(a.request.as_bytes());
    let text = read_limited(&a.proof, MAX_PROOF_FILE_BYTES as u64)?;
    let file = ProofFile::from_json(&text).with_context(|| format!("{}", a.proof.display()))?;
    let statement = deai_zk::verify_for(&vk, &layout, &input, &binding, &file)
        .map_err(|e| anyhow!("{}: proof rejected: {e}", a.proof.display()))?;
    Ok(VerifyReport {
        valid: true,
        mode: layout.mode,
        output_kind: layout.output,
        request: a.request.clone(),
        request_binding: request_hex(&statement.request),
        input: statement.input,
        output: statement.output,
        commitment: layout.commitment,
    })
}
