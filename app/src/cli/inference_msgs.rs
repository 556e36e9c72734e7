//! The arguments of `deaid tx inference …` commands other than register-model and request
//! (in `inference_tx.rs`), and the messages they make (see [`BuildMsg`]).

use std::path::{Path, PathBuf};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_inference::zk::request_context;
use deai_proto::inference::v1 as pb;

use super::parse::{coin, rate, BuildMsg};

/// Largest proof file read (`deai-worker prove` writes about 70 bytes per public input).
pub const MAX_PROOF_FILE_BYTES: u64 = 1 << 20;
/// A compressed BN254 Groth16 proof.
pub const PROOF_BYTES: usize = 128;
/// Longest topic metric the chain takes.
pub const MAX_METRIC_BYTES: usize = 256;

/// Reads a file of at most `limit` bytes; errors name the file and `what` it is.
pub fn read_limited(path: &Path, limit: u64, what: &str) -> anyhow::Result<Vec<u8>> {
    let ctx = |e: std::io::Error| anyhow::anyhow!("cannot read {what} {}: {e}", path.display());
    let len = std::fs::metadata(path).map_err(ctx)?.len();
    anyhow::ensure!(
        len <= limit,
        "{what} {}: {len} bytes, at most {limit} taken",
        path.display()
    );
    std::fs::read(path).map_err(ctx)
}

/// The proof file `deai-worker prove` writes: deai-zk's own `ProofFile`.
pub use deai_zk::ProofFile;

/// Reads a proof file (bounded).
pub fn read_proof_file(path: &Path) -> anyhow::Result<ProofFile> {
    let bytes = read_limited(path, MAX_PROOF_FILE_BYTES, "proof file")?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| anyhow::anyhow!("proof file {}: not UTF-8", path.display()))?;
    ProofFile::from_json(text).map_err(|e| {
        anyhow::anyhow!(
            "proof file {}: {e} (expected what deai-worker prove writes)",
            path.display()
        )
    })
}

/// The proof's bytes: 128, as the chain takes them.
pub fn proof_bytes(file: &ProofFile, path: &Path) -> anyhow::Result<Vec<u8>> {
    let proof = hex::decode(&file.proof)
        .map_err(|e| anyhow::anyhow!("proof file {}: proof: {e}", path.display()))?;
    anyhow::ensure!(
        proof.len() == PROOF_BYTES,
        "proof file {}: a proof of {} bytes, a Groth16 proof has {PROOF_BYTES}",
        path.display(),
        proof.len()
    );
    Ok(proof)
}

/// The request binding of a context, as the proof file writes it (deai-zk's
/// `request_binding` and `request_hex`).
pub fn request_binding_hex(context: &str) -> String {
    deai_zk::request::request_hex(&deai_zk::request_binding(context.as_bytes()))
}

/// Checks that a proof file was made for request `request_id` answered by `server` on
/// `chain_id` (the chain would reject it otherwise).
pub fn check_binding(
    file: &ProofFile,
    path: &Path,
    chain_id: &str,
    request_id: u64,
    server: &str,
) -> anyhow::Result<()> {
    let context = request_context(chain_id, request_id, server);
    let want = request_binding_hex(&context);
    anyhow::ensure!(
        file.request.eq_ignore_ascii_case(&want),
        "proof file {} answers another request (binding {}); request {request_id} of {server} \
         on {chain_id} needs a proof made with `deai-worker prove --request {context}`",
        path.display(),
        file.request
    );
    Ok(())
}

#[derive(clap::Args, Clone, Debug)]
pub struct UpdateModel {
    pub model_id: u64,
    /// The smallest fee of one inference, e.g. 1000udeai.
    #[arg(long, value_parser = coin)]
    pub price: ProtoCoin,
    /// Whether the model takes new servers and requests: true or false.
    #[arg(long, required = true, action = clap::ArgAction::Set)]
    pub enabled: bool,
}

impl BuildMsg for UpdateModel {
    type Msg = pb::MsgUpdateModel;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgUpdateModel> {
        Ok(pb::MsgUpdateModel {
            owner: signer.into(),
            model_id: self.model_id,
            price: Some(self.price.clone()),
            enabled: self.enabled,
        })
    }
}

/// A command of an id and a stake: `$args { $id }` makes `pb::$msg { $signer, $id, stake }`.
macro_rules! staked_command {
    ($args:ident => $msg:ident { $signer:ident, $id:ident }, $doc:literal) => {
        #[derive(clap::Args, Clone, Debug)]
        pub struct $args {
            pub $id: u64,
            #[doc = $doc]
            #[arg(long, value_parser = coin)]
            pub stake: ProtoCoin,
        }

        impl BuildMsg for $args {
            type Msg = pb::$msg;
            fn build(&self, signer: &str) -> anyhow::Result<pb::$msg> {
                Ok(pb::$msg {
                    $signer: signer.into(),
                    $id: self.$id,
                    stake: Some(self.stake.clone()),
                })
            }
        }
    };
}

staked_command!(RegisterServer => MsgRegisterServer { server, model_id },
    "Stake escrowed (at least the server_min_stake param, in its denom), e.g. 10000000udeai.");
staked_command!(RegisterTopicWorker => MsgRegisterTopicWorker { worker, topic_id },
    "Stake escrowed (at least the topic_worker_min_stake param), e.g. 1000000udeai.");
staked_command!(RegisterReputer => MsgRegisterReputer { reputer, topic_id },
    "Stake escrowed (at least the reputer_min_stake param), e.g. 1000000udeai.");

#[derive(clap::Args, Clone, Debug)]
pub struct UnregisterServer {
    pub model_id: u64,
}

impl BuildMsg for UnregisterServer {
    type Msg = pb::MsgUnregisterServer;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgUnregisterServer> {
        Ok(pb::MsgUnregisterServer {
            server: signer.into(),
            model_id: self.model_id,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Submit {
    pub request_id: u64,
    /// The output, comma-separated integers (logits, or the class of an argmax model); with
    /// --proof, taken from the proof file (and checked against it when given too). (Not
    /// `--output`: that is the global `-o`.)
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub output_values: Vec<i64>,
    /// The proof file `deai-worker prove` wrote (zk requests). With --chain-id, its request
    /// binding is checked against `<chain-id>/inference/<REQUEST_ID>/<signer>`.
    #[arg(long)]
    pub proof: Option<PathBuf>,
}

impl Submit {
    /// The message, with the proof file's binding checked when the chain id is known.
    pub fn build_for(
        &self,
        signer: &str,
        chain_id: Option<&str>,
    ) -> anyhow::Result<pb::MsgSubmitInference> {
        let (output, proof) = match &self.proof {
            None => {
                anyhow::ensure!(
                    !self.output_values.is_empty(),
                    "give --output-values (an optimistic or redundant answer) or --proof FILE \
                     (a zk answer: the file deai-worker prove writes)"
                );
                (self.output_values.clone(), Vec::new())
            }
            Some(path) => {
                let file = read_proof_file(path)?;
                let proof = proof_bytes(&file, path)?;
                anyhow::ensure!(
                    self.output_values.is_empty() || self.output_values == file.output,
                    "--output-values {:?} differs from the output {:?} proved in {}",
                    self.output_values,
                    file.output,
                    path.display()
                );
                if let Some(chain_id) = chain_id {
                    check_binding(&file, path, chain_id, self.request_id, signer)?;
                }
                (file.output, proof)
            }
        };
        anyhow::ensure!(!output.is_empty(), "the output is empty");
        Ok(pb::MsgSubmitInference {
            server: signer.into(),
            request_id: self.request_id,
            output,
            proof,
        })
    }
}

impl BuildMsg for Submit {
    type Msg = pb::MsgSubmitInference;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgSubmitInference> {
        self.build_for(signer, None)
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Challenge {
    pub request_id: u64,
    /// The challenge bond (the challenge_bond param), e.g. 1000000udeai.
    #[arg(long, value_parser = coin)]
    pub bond: ProtoCoin,
}

impl BuildMsg for Challenge {
    type Msg = pb::MsgChallenge;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgChallenge> {
        Ok(pb::MsgChallenge {
            challenger: signer.into(),
            request_id: self.request_id,
            bond: Some(self.bond.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Respond {
    pub request_id: u64,
    /// The proof file `deai-worker prove` wrote for the challenged output. With --chain-id, its
    /// request binding is checked against `<chain-id>/inference/<REQUEST_ID>/<signer>`.
    #[arg(long)]
    pub proof: PathBuf,
}

impl Respond {
    pub fn build_for(
        &self,
        signer: &str,
        chain_id: Option<&str>,
    ) -> anyhow::Result<pb::MsgRespondChallenge> {
        let file = read_proof_file(&self.proof)?;
        let proof = proof_bytes(&file, &self.proof)?;
        if let Some(chain_id) = chain_id {
            check_binding(&file, &self.proof, chain_id, self.request_id, signer)?;
        }
        Ok(pb::MsgRespondChallenge {
            server: signer.into(),
            request_id: self.request_id,
            proof,
        })
    }
}

impl BuildMsg for Respond {
    type Msg = pb::MsgRespondChallenge;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgRespondChallenge> {
        self.build_for(signer, None)
    }
}

/// Largest quantized weights file read.
pub const MAX_WEIGHTS_FILE_BYTES: u64 = 64 << 20;

#[derive(clap::Args, Clone, Debug)]
pub struct Adjudicate {
    pub request_id: u64,
    /// The model's quantized weights: the canonical encoding of deai-zk's QuantizedModel,
    /// whose sha256 is the model's quantized_weights_sha256; sent as is.
    #[arg(long)]
    pub quantized_weights: PathBuf,
}

impl BuildMsg for Adjudicate {
    type Msg = pb::MsgAdjudicate;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgAdjudicate> {
        let quantized_weights = read_limited(
            &self.quantized_weights,
            MAX_WEIGHTS_FILE_BYTES,
            "--quantized-weights",
        )?;
        anyhow::ensure!(
            !quantized_weights.is_empty(),
            "--quantized-weights {} is empty",
            self.quantized_weights.display()
        );
        Ok(pb::MsgAdjudicate {
            sender: signer.into(),
            request_id: self.request_id,
            quantized_weights,
        })
    }
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LossMethod {
    /// |inference − truth|.
    Abs,
    /// (inference − truth)².
    Squared,
}

#[derive(clap::Args, Clone, Debug)]
pub struct CreateTopic {
    /// What is predicted, free text (1 to 256 bytes).
    #[arg(long)]
    pub metric: String,
    #[arg(long, value_enum)]
    pub loss_method: LossMethod,
    /// Blocks per epoch.
    #[arg(long)]
    pub epoch_length: u64,
    /// Epochs after an epoch before its ground truth is accepted.
    #[arg(long)]
    pub ground_truth_lag: u64,
    /// EMA weight of the newest score, a decimal in (0, 1] such as 0.1.
    #[arg(long, value_parser = rate)]
    pub alpha: String,
    /// The creation fee (the topic_creation_fee param), paid into the topic's reward pool.
    #[arg(long, value_parser = coin)]
    pub fee: ProtoCoin,
}

impl BuildMsg for CreateTopic {
    type Msg = pb::MsgCreateTopic;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgCreateTopic> {
        anyhow::ensure!(
            !self.metric.is_empty() && self.metric.len() <= MAX_METRIC_BYTES,
            "--metric must be 1 to {MAX_METRIC_BYTES} bytes, got {}",
            self.metric.len()
        );
        anyhow::ensure!(self.epoch_length > 0, "--epoch-length must be positive");
        let loss_method = match self.loss_method {
            LossMethod::Abs => pb::LossMethod::Abs,
            LossMethod::Squared => pb::LossMethod::Squared,
        };
        Ok(pb::MsgCreateTopic {
            creator: signer.into(),
            metric: self.metric.clone(),
            loss_method: loss_method as i32,
            epoch_length: self.epoch_length,
            ground_truth_lag: self.ground_truth_lag,
            alpha: self.alpha.clone(),
            fee: Some(self.fee.clone()),
        })
    }
}

/// A fixed-point value of a topic's epoch: `$args` makes `pb::$msg { $signer, topic_id,
/// epoch, value }`.
macro_rules! epoch_value_command {
    ($args:ident => $msg:ident { $signer:ident }, $doc:literal) => {
        #[derive(clap::Args, Clone, Debug)]
        pub struct $args {
            pub topic_id: u64,
            /// The epoch.
            #[arg(long)]
            pub epoch: u64,
            #[doc = $doc]
            #[arg(long, allow_hyphen_values = true)]
            pub value: i64,
        }

        impl BuildMsg for $args {
            type Msg = pb::$msg;
            fn build(&self, signer: &str) -> anyhow::Result<pb::$msg> {
                Ok(pb::$msg {
                    $signer: signer.into(),
                    topic_id: self.topic_id,
                    epoch: self.epoch,
                    value: self.value,
                })
            }
        }
    };
}

epoch_value_command!(SubmitTopicInference => MsgSubmitTopicInference { worker },
    "The worker's inference, a fixed-point integer (may be negative).");
epoch_value_command!(SubmitGroundTruth => MsgSubmitGroundTruth { reputer },
    "The observed ground truth, a fixed-point integer (may be negative).");
