//! Model directories (a small MLP with real Groth16 keys, or a keyless quantized model), their
//! chain records, and the world a server runs in.

use std::path::Path;
use std::time::Duration;

use deai_proto::inference::v1::{self as pb};
use deai_zk::circuit::CircuitSpec;
use deai_zk::quant::{FloatLayer, FloatMlp, QuantConfig};
use deai_zk::{IoEncoding, Mode, OutputKind};

use super::fake_chain::*;
use crate::keydir::{read_weights, SetupRecord, SETUP_FILE};
use crate::models::{quantized_encoding, LocalModel, KEYS_DIR, WEIGHTS_FILE};
use crate::notices::Notice;
use crate::server::{Config, Server};
use crate::state::{self};

/// A 4-3-2 MLP with fixed weights, inputs in [0, 1] quantized onto 0..=16.
pub(super) fn float_model() -> FloatMlp {
    let w = |n: usize, k: f32| {
        (0..n)
            .map(|i| ((i as f32 * 0.37 + k).sin()) * 0.8)
            .collect::<Vec<f32>>()
    };
    FloatMlp {
        layers: vec![
            FloatLayer {
                n_in: 4,
                n_out: 3,
                weight: w(12, 0.1),
                bias: w(3, 0.5),
            },
            FloatLayer {
                n_in: 3,
                n_out: 2,
                weight: w(6, 1.3),
                bias: w(2, 2.0),
            },
        ],
    }
}

/// Writes `dir/<id>/model.safetensors` and `dir/<id>/keys/` as zk-setup does.
pub(super) fn write_model_dir(dir: &Path, id: u64) -> LocalModel {
    write_model_dir_with(
        dir,
        id,
        CircuitSpec {
            mode: Mode::Public,
            output: OutputKind::Logits,
            encoding: IoEncoding::Plain,
        },
    )
}

pub(super) fn write_model_dir_with(dir: &Path, id: u64, spec: CircuitSpec) -> LocalModel {
    let d = dir.join(id.to_string());
    let keys = d.join(KEYS_DIR);
    std::fs::create_dir_all(&keys).unwrap();
    let float = float_model();
    std::fs::write(d.join(WEIGHTS_FILE), float.to_safetensors().unwrap()).unwrap();
    let w = read_weights(&d.join(WEIGHTS_FILE)).unwrap();
    let quant = QuantConfig::unit_range(1.0, 4);
    let model = deai_zk::quant::quantize(&float, &quant).unwrap();
    deai_zk::prover::setup(&model, spec)
        .unwrap()
        .write_dir(&keys)
        .unwrap();
    let record = SetupRecord {
        weights_sha256: w.canonical,
        quant,
    };
    std::fs::write(
        keys.join(SETUP_FILE),
        serde_json::to_string(&record).unwrap(),
    )
    .unwrap();
    LocalModel::read(id, &d).unwrap()
}

/// The chain's record of a model registered with `local`'s files.
pub(super) fn chain_model(local: &LocalModel) -> pb::Model {
    let r = local.registration();
    pb::Model {
        id: local.id,
        owner: "deai1owner".into(),
        name: "tiny".into(),
        architecture: r.architecture,
        weights_sha256: r.weights_sha256,
        quantized_weights_sha256: r.quantized_weights_sha256,
        zk_mode: r.zk_mode,
        verifying_key: r.verifying_key,
        weight_commitment: r.weight_commitment,
        input_min: r.input_min,
        input_max: r.input_max,
        input_frac_bits: r.input_frac_bits,
        circuit: r.circuit,
        price: Some(coin(100)),
        enabled: true,
        ..Default::default()
    }
}

pub(super) struct World {
    pub(super) _tmp: tempfile::TempDir,
    pub(super) models: std::path::PathBuf,
    pub(super) state: std::path::PathBuf,
    pub(super) chain: FakeChain,
    pub(super) local: LocalModel,
}

pub(super) fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let models = tmp.path().join("models");
    let local = write_model_dir(&models, 1);
    let chain = FakeChain::new();
    chain.with(|l| l.models.insert(1, chain_model(&local)));
    World {
        state: tmp.path().join("state"),
        models,
        _tmp: tmp,
        chain,
        local,
    }
}

impl World {
    pub(super) fn server(&self) -> Server<FakeChain> {
        let (file, st) = state::open(&self.state).unwrap();
        Server::new(
            self.chain.clone(),
            Config {
                model_dir: self.models.clone(),
                stake: None,
                reconcile_every: Duration::from_secs(1),
                watchdog: false,
            },
            file,
            st,
        )
    }
}

pub(super) fn assigned(r: &pb::Request) -> Notice {
    Notice::Requested(pb::EventInferenceRequested {
        request_id: r.id,
        model_id: r.model_id,
        deadline: r.deadline,
        servers: r.servers.clone(),
        ..Default::default()
    })
}

/// Writes `dir/<id>/model.quantized` (a keyless model) and reads it back.
pub(super) fn write_keyless_model_dir(dir: &Path, id: u64) -> LocalModel {
    let d = dir.join(id.to_string());
    std::fs::create_dir_all(&d).unwrap();
    let model = deai_zk::quant::quantize(&float_model(), &QuantConfig::unit_range(1.0, 4)).unwrap();
    std::fs::write(
        d.join(crate::models::QUANTIZED_FILE),
        quantized_encoding(&model),
    )
    .unwrap();
    LocalModel::read(id, &d).unwrap()
}

impl Server<FakeChain> {
    /// Queues and answers one request now.
    pub(super) async fn serve_now(&mut self, id: u64) {
        self.reconcile().await;
        while let Some(x) = self.next_queued() {
            if x == id {
                self.serve(id).await;
            }
        }
    }
}

impl World {
    pub(super) fn server_with(&self, watchdog: bool) -> Server<FakeChain> {
        let (file, st) = state::open(&self.state).unwrap();
        Server::new(
            self.chain.clone(),
            Config {
                model_dir: self.models.clone(),
                stake: None,
                reconcile_every: Duration::from_secs(1),
                watchdog,
            },
            file,
            st,
        )
    }
    /// Adds keyless model 2 (held as model.quantized) to the directory and the chain.
    pub(super) fn with_keyless(&self) -> LocalModel {
        let local = write_keyless_model_dir(&self.models, 2);
        let mut m = chain_model(&local);
        m.id = 2;
        self.chain.with(|l| l.models.insert(2, m));
        local
    }
}
