//! Helpers for inference-market tests over a real chain: the digits model trained, set up for
//! Groth16 and registered from the CLI, inference queries, and deai-worker's JSON output.

use std::path::{Path, PathBuf};
use std::process::Command;

use deai_proto::inference::v1 as pb;

use crate::compute::typed_events;
use crate::worker::worker_bin;
use crate::{run_ok, Localnet};

/// Runs `deai-worker --quiet --output json <args>` and parses the one JSON document it prints.
pub fn worker_json(args: &[&str]) -> serde_json::Value {
    let out = run_ok(
        Command::new(worker_bin())
            .args(["--quiet", "--output", "json"])
            .args(args),
    );
    let start = out.find('{').unwrap_or_else(|| panic!("no JSON: {out}"));
    serde_json::from_str(&out[start..]).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Calls a `deai.inference.v1.Query` method on node 0.
pub fn query<Req: prost::Message, Res: prost::Message + Default>(
    net: &Localnet,
    method: &str,
    req: &Req,
) -> Res {
    crate::query_service(net, "deai.inference.v1.Query", method, req)
}

pub fn request(net: &Localnet, id: u64) -> pb::Request {
    let r: pb::QueryRequestResponse = query(net, "Request", &pb::QueryRequestRequest { id });
    r.request.expect("request")
}

pub fn params(net: &Localnet) -> pb::Params {
    let r: pb::QueryParamsResponse = query(net, "Params", &pb::QueryParamsRequest {});
    r.params.expect("params")
}

pub fn server_stake(net: &Localnet, model_id: u64, server: &str) -> u128 {
    let s: pb::QueryServerResponse = query(
        net,
        "Server",
        &pb::QueryServerRequest {
            model_id,
            server: server.to_string(),
        },
    );
    s.server.unwrap().stake.unwrap().amount.parse().unwrap()
}

/// `floor(amount × d)` for a decimal string `d` ("0.020000000000000000"), as the chain computes.
pub fn mul_dec(amount: u128, d: &str) -> u128 {
    let (i, f) = d.split_once('.').unwrap_or((d, ""));
    let f = format!("{f:0<18}");
    let units = i.parse::<u128>().unwrap() * 10u128.pow(18) + f[..18].parse::<u128>().unwrap();
    amount * units / 10u128.pow(18)
}

/// The digits model trained by deai-worker, set up for Groth16 and registered by `owner`.
pub struct DigitsModel {
    pub id: u64,
    pub weights: PathBuf,
    pub keys: PathBuf,
    /// deai-zk's canonical encoding of the quantized weights (for adjudication).
    pub quantized: PathBuf,
}

impl DigitsModel {
    pub fn register(net: &Localnet, dir: &Path, owner: &str, price: &str) -> Self {
        let spec = crate::worker::digits_spec();
        let trained = dir.join("trained");
        run_ok(
            Command::new(worker_bin())
                .args(["--quiet", "train", "--spec"])
                .arg(&spec)
                .arg("--out")
                .arg(&trained),
        );
        let weights = trained.join("weights.safetensors");
        let keys = dir.join("keys");
        run_ok(
            Command::new(worker_bin())
                .args(["--quiet", "zk-setup", "--model"])
                .arg(&weights)
                .arg("--out")
                .arg(&keys),
        );
        let quantized = dir.join("digits.qweights");
        let info = worker_json(&[
            "model-info",
            "--model",
            weights.to_str().unwrap(),
            "--keys",
            keys.to_str().unwrap(),
            "--quantized-out",
            quantized.to_str().unwrap(),
        ]);
        let arch: Vec<String> = info["architecture"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.to_string())
            .collect();
        let registered = net.cli_tx(
            "inference",
            owner,
            &[
                "register-model",
                "--name",
                "digits",
                "--architecture",
                &arch.join(","),
                "--weights-sha256",
                info["weights_sha256"].as_str().unwrap(),
                "--quantized-weights-sha256",
                info["quantized_weights_sha256"].as_str().unwrap(),
                "--keys",
                keys.to_str().unwrap(),
                "--zk-mode",
                "public",
                "--price",
                price,
            ],
        );
        let id = typed_events::<pb::EventModelRegistered>(&registered["events"])[0].model_id;
        Self {
            id,
            weights,
            keys,
            quantized,
        }
    }

    /// A model directory for `deai-worker inference-server`: DIR/<id>/{model.safetensors, keys/}.
    pub fn model_dir(&self, dir: &Path) -> PathBuf {
        let models = dir.join("models");
        let m = models.join(self.id.to_string());
        std::fs::create_dir_all(m.join("keys")).unwrap();
        std::fs::copy(&self.weights, m.join("model.safetensors")).unwrap();
        for f in std::fs::read_dir(&self.keys).unwrap() {
            let f = f.unwrap();
            if f.file_type().unwrap().is_file() {
                std::fs::copy(f.path(), m.join("keys").join(f.file_name())).unwrap();
            }
        }
        models
    }

    /// `deai-worker prove` of `input` bound to `request` (the binding context), into `out`.
    pub fn prove(&self, input: &Path, request: &str, out: &Path) -> serde_json::Value {
        run_ok(
            Command::new(worker_bin())
                .args(["--quiet", "prove", "--model"])
                .arg(&self.weights)
                .arg("--keys")
                .arg(&self.keys)
                .arg("--input")
                .arg(input)
                .args(["--request", request, "--out"])
                .arg(out),
        );
        serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap()
    }
}
