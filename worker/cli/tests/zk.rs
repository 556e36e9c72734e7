//! `zk-setup`, `prove` and `verify` end to end on a digits MLP the worker trains itself:
//! a valid proof verifies for the input and request asked and for no other; tampered
//! proof files and bad key directories fail with one line and exit 1.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{stderr, worker};
use std::sync::OnceLock;

use serde_json::Value;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Trains the shipped example for 2 epochs (about a second) and returns its weights.
fn train(dir: &Path) -> PathBuf {
    let spec = common::example_spec(dir, |v| v["training"]["epochs"] = 2.into());
    let out = dir.join("run");
    let o = worker(&["--quiet", "train", "--spec", s(&spec), "--out", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    out.join("weights.safetensors")
}

/// The first digits sample (a 0), scaled by the example's feature_scale 1/16.
fn input_file() -> PathBuf {
    concat!(env!("CARGO_MANIFEST_DIR"), "/examples/digit-0.json").into()
}

/// The same sample with pixel 3 (13/16) turned to 12/16, written into `dir`.
fn other_input_file(dir: &Path) -> PathBuf {
    let mut x: Vec<f64> =
        serde_json::from_str(&std::fs::read_to_string(input_file()).unwrap()).unwrap();
    assert_eq!(x[3], 0.8125);
    x[3] = 0.75;
    let path = dir.join("other-input.json");
    std::fs::write(&path, serde_json::to_string(&x).unwrap()).unwrap();
    path
}

/// The request id the tests prove for.
const REQUEST: &str = "request-1";

/// `verify` of a proof against the input file and request id asked.
fn verify(keys: &Path, proof: &Path, input: &Path, request: &str, json: bool) -> Output {
    let mut args = vec![];
    if json {
        args.extend(["--output", "json"]);
    }
    args.extend([
        "verify",
        "--keys",
        s(keys),
        "--proof",
        s(proof),
        "--input",
        s(input),
        "--request",
        request,
    ]);
    worker(&args)
}

/// Runs `zk-setup` (public mode) into DIR/keys.
fn setup(weights: &Path, dir: &Path) -> PathBuf {
    let keys = dir.join("keys");
    let o = worker(&[
        "--output",
        "json",
        "zk-setup",
        "--model",
        s(weights),
        "--out",
        s(&keys),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["mode"], "public");
    assert_eq!(r["shape"], serde_json::json!([64, 64, 10]));
    // The request binding, 64 inputs, 10 logits.
    assert_eq!(r["public_inputs"], 75);
    keys
}

/// Asserts exit 1 and exactly one `error: ` line containing `needle`.
fn assert_fails(o: &Output, needle: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(
        e.starts_with("error: ") && e.contains(needle),
        "want {needle:?}: {e}"
    );
    assert_eq!(e.trim_end().lines().count(), 1, "{e}");
    assert!(!e.contains("panicked"), "{e}");
}

/// A public input as the proof file writes it: 32-byte little-endian scalar, hex.
fn scalar_hex(v: i64) -> String {
    deai_zk::field::fr_to_bytes(&deai_zk::field::fr_from_i64(v))
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One trained model and its public-mode keys, shared by the tests (in cargo's
/// per-target temp directory, replaced on every run).
struct Fixture {
    weights: PathBuf,
    keys: PathBuf,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("deai-worker-zk-cli");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let weights = train(&dir);
        let keys = setup(&weights, &dir);
        Fixture { weights, keys }
    })
}

#[test]
fn setup_prove_verify_and_tampered_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let Fixture { weights, keys } = fixture();
    let (weights, keys) = (weights.clone(), keys.clone());
    for f in [
        "proving_key.bin",
        "verifying_key.bin",
        "circuit.json",
        "zk-setup.json",
    ] {
        assert!(keys.join(f).is_file(), "{f}");
    }
    let input = input_file();
    let proof = dir.path().join("p.json");
    let o = worker(&[
        "--output",
        "json",
        "prove",
        "--model",
        s(&weights),
        "--keys",
        s(&keys),
        "--input",
        s(&input),
        "--request",
        REQUEST,
        "--out",
        s(&proof),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let printed: Value = serde_json::from_slice(&o.stdout).unwrap();
    let p: Value = serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    assert_eq!(printed, p);
    let output: Vec<i64> = serde_json::from_value(p["output"].clone()).unwrap();
    assert_eq!(output.len(), 10);
    assert_eq!(deai_zk::argmax(&output), 0, "the sample is a 0: {output:?}");
    assert_eq!(p["proof"].as_str().unwrap().len(), 256);
    let binding = deai_zk::request::request_hex(&deai_zk::request_binding(REQUEST.as_bytes()));
    assert_eq!(p["request"], binding);
    let public = p["public_inputs"].as_array().unwrap();
    assert_eq!(public.len(), 75);
    // Plain encoding: the request binding, the input (pixel/16 at 8 fractional bits =
    // pixel · 16), then the logits. The sample's fourth pixel is 13.
    assert_eq!(public[0], binding);
    assert_eq!(public[1 + 3], scalar_hex(13 * 16));
    assert_eq!(public[65], scalar_hex(output[0]));

    let o = verify(&keys, &proof, &input, REQUEST, false);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with(
            "proof valid: public model, request \"request-1\", the given 64 input values"
        ),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = verify(&keys, &proof, &input, REQUEST, true);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["valid"], true);
    assert_eq!(r["output"], p["output"]);
    assert_eq!(r["request"], REQUEST);
    assert_eq!(r["request_binding"], binding);
    assert_eq!(r["input"][3], 13 * 16);
    // `{"quantized": [...]}` names the same input.
    let quantized = dir.path().join("quantized.json");
    std::fs::write(
        &quantized,
        serde_json::json!({ "quantized": r["input"] }).to_string(),
    )
    .unwrap();
    let o = verify(&keys, &proof, &quantized, REQUEST, false);
    assert!(o.status.success(), "{}", stderr(&o));

    // A valid proof, but not of the input asked, or not for the request asked.
    let other = other_input_file(dir.path());
    assert_fails(
        &verify(&keys, &proof, &other, REQUEST, false),
        "proof rejected: statement mismatch: the proof is for another input: input[3] = 208, expected 192",
    );
    assert_fails(
        &verify(&keys, &proof, &input, "request-2", false),
        "proof rejected: statement mismatch: the proof answers another request",
    );
    // Both flags are required: a verifier that does not know what was asked checks nothing.
    let o = worker(&["verify", "--keys", s(&keys), "--proof", s(&proof)]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--input"), "{}", stderr(&o));

    let tampered = dir.path().join("tampered.json");
    let check = |edit: &dyn Fn(&mut Value), input: &Path, request: &str, needle: &str| {
        let mut bad = p.clone();
        edit(&mut bad);
        std::fs::write(&tampered, bad.to_string()).unwrap();
        let o = verify(&keys, &tampered, input, request, false);
        assert_fails(&o, needle);
        assert!(o.stdout.is_empty());
    };
    // The output field alone: it disagrees with the public inputs.
    check(
        &|v| v["output"][0] = (output[0] + 1).into(),
        &input,
        REQUEST,
        "proof rejected: statement mismatch: output differs",
    );
    // Output field and public input together: a consistent but false statement.
    check(
        &|v| {
            v["output"][0] = (output[0] + 1).into();
            v["public_inputs"][65] = scalar_hex(output[0] + 1).into();
        },
        &input,
        REQUEST,
        "proof rejected: proof does not verify",
    );
    // The file rewritten to claim the other input, checked against it.
    check(
        &|v| v["public_inputs"][4] = scalar_hex(12 * 16).into(),
        &other,
        REQUEST,
        "proof rejected: proof does not verify",
    );
    // The file rewritten to claim another request (front-running), checked against it.
    let binding2 = deai_zk::request::request_hex(&deai_zk::request_binding(b"request-2"));
    check(
        &|v| {
            v["request"] = binding2.clone().into();
            v["public_inputs"][0] = binding2.clone().into();
        },
        &input,
        "request-2",
        "proof rejected: proof does not verify",
    );
    // The request field alone.
    check(
        &|v| v["request"] = binding2.clone().into(),
        &input,
        REQUEST,
        "request differs from the one in the public inputs",
    );
    // An input outside the declared range [0, 256].
    check(
        &|v| v["public_inputs"][4] = scalar_hex(257).into(),
        &input,
        REQUEST,
        "proof rejected: statement mismatch: input[3] = 257 outside [0, 256]",
    );
    // The proof bytes: the right length but not a proof, or too short.
    check(
        &|v| {
            let h = v["proof"].as_str().unwrap().to_string();
            v["proof"] = format!("{}{}", &h[..64], &h[..64]).repeat(2).into();
        },
        &input,
        REQUEST,
        "proof rejected",
    );
    check(
        &|v| v["proof"] = "00".into(),
        &input,
        REQUEST,
        "proof rejected: malformed proof",
    );
    check(
        &|v| v["extra"] = 1.into(),
        &input,
        REQUEST,
        "malformed proof file",
    );

    // JSON mode reports the reason on stdout too.
    let o = verify(&keys, &proof, &other, REQUEST, true);
    assert_fails(&o, "another input");
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["valid"], false);
    assert!(r["reason"].as_str().unwrap().contains("another input"));
}

#[test]
fn bad_keys_models_and_inputs_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let Fixture { weights, keys } = fixture();
    let (weights, keys) = (weights.clone(), keys.clone());
    let input = input_file();
    let proof = dir.path().join("p.json");
    let prove = |model: &Path, keys: &Path, input: &Path| {
        worker(&[
            "prove",
            "--model",
            s(model),
            "--keys",
            s(keys),
            "--input",
            s(input),
            "--request",
            REQUEST,
            "--out",
            s(&proof),
        ])
    };
    let o = prove(&weights, &keys, &input);
    assert!(o.status.success(), "{}", stderr(&o));
    let verify = |keys: &Path| verify(keys, &proof, &input, REQUEST, false);

    // Key directories that are missing, truncated, garbage or mixed up.
    let bad = dir.path().join("bad-keys");
    std::fs::create_dir(&bad).unwrap();
    assert_fails(&verify(&bad), "key directory");
    assert_fails(&verify(&dir.path().join("nonexistent")), "No such file");
    let copy = |name: &str| std::fs::copy(keys.join(name), bad.join(name)).unwrap();
    for f in [
        "proving_key.bin",
        "verifying_key.bin",
        "circuit.json",
        "zk-setup.json",
    ] {
        copy(f);
    }
    let vk = std::fs::read(keys.join("verifying_key.bin")).unwrap();
    std::fs::write(bad.join("verifying_key.bin"), &vk[..vk.len() - 7]).unwrap();
    assert_fails(&verify(&bad), "malformed verifying key");
    std::fs::write(bad.join("verifying_key.bin"), vec![0xffu8; vk.len()]).unwrap();
    assert_fails(&verify(&bad), "malformed verifying key");
    copy("verifying_key.bin");
    std::fs::write(bad.join("circuit.json"), "{\"mode\": \"public\"").unwrap();
    assert_fails(&verify(&bad), "malformed circuit.json");
    // A layout for another number of public inputs than the key takes.
    let mut layout: Value =
        serde_json::from_slice(&std::fs::read(keys.join("circuit.json")).unwrap()).unwrap();
    layout["n_inputs"] = 63.into();
    std::fs::write(bad.join("circuit.json"), layout.to_string()).unwrap();
    assert_fails(&verify(&bad), "key directory");
    copy("circuit.json");
    let pk = std::fs::read(keys.join("proving_key.bin")).unwrap();
    std::fs::write(bad.join("proving_key.bin"), &pk[..pk.len() / 2]).unwrap();
    assert_fails(&prove(&weights, &bad, &input), "malformed proving key");
    std::fs::remove_file(bad.join("zk-setup.json")).unwrap();
    assert_fails(&prove(&weights, &bad, &input), "zk-setup.json");

    // Other weights than the keys were set up for (one float changed).
    let mut w = std::fs::read(&weights).unwrap();
    let n = w.len();
    w[n - 2] ^= 0x40;
    let other = dir.path().join("other.safetensors");
    std::fs::write(&other, &w).unwrap();
    assert_fails(
        &prove(&other, &keys, &input),
        "are not the ones the keys in",
    );
    // Not a model at all.
    assert_fails(
        &worker(&["zk-setup", "--model", s(&input), "--out", s(&bad)]),
        "not safetensors",
    );
    // Inputs of the wrong length or not JSON.
    let short = dir.path().join("short.json");
    std::fs::write(&short, "[0.5, 0.25]").unwrap();
    assert_fails(&prove(&weights, &keys, &short), "2 values, model takes 64");
    std::fs::write(&short, "{\"quantized\": [300]}").unwrap();
    assert_fails(&prove(&weights, &keys, &short), "invalid input");
    std::fs::write(&short, "not json").unwrap();
    assert_fails(&prove(&weights, &keys, &short), "input file");
    // Bad options are clap errors (exit 2), before any work.
    let o = worker(&[
        "zk-setup",
        "--model",
        s(&weights),
        "--out",
        s(&bad),
        "--mode",
        "secret",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_fails(
        &worker(&[
            "zk-setup",
            "--model",
            s(&weights),
            "--out",
            s(&bad),
            "--input-max",
            "0",
        ]),
        "--input-max",
    );
}

/// A safetensors file with the worker's tensor names (`fc0.weight`, `fc0.bias`, ...),
/// F32, for a `dims[0]-dims[1]-...` MLP with small deterministic weights.
fn write_mlp(path: &Path, dims: &[usize]) {
    let mut header = serde_json::Map::new();
    let mut data: Vec<u8> = Vec::new();
    let mut seed = 0x9e37_79b9_u32;
    let mut tensor = |name: String,
                      shape: Vec<usize>,
                      header: &mut serde_json::Map<String, Value>| {
        let start = data.len();
        for _ in 0..shape.iter().product::<usize>() {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let v = (f64::from(seed >> 8) / f64::from(1u32 << 24) - 0.5) as f32;
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.insert(
            name,
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    };
    for (i, w) in dims.windows(2).enumerate() {
        tensor(format!("fc{i}.weight"), vec![w[1], w[0]], &mut header);
        tensor(format!("fc{i}.bias"), vec![w[1]], &mut header);
    }
    let header = Value::Object(header).to_string();
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&data);
    std::fs::write(path, bytes).unwrap();
}

/// Private mode on a small model, with the default (info) log level: arkworks' tracing
/// spans must stay off, or synthesis slows down quadratically.
#[test]
fn private_mode_with_argmax() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("w.safetensors");
    write_mlp(&model, &[16, 8, 4]);
    let keys = dir.path().join("keys");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_deai-worker"))
            .args(args)
            .env_remove("DEAI_LOG")
            .output()
            .unwrap()
    };
    let o = run(&[
        "--output",
        "json",
        "zk-setup",
        "--mode",
        "private",
        "--argmax",
        "--model",
        s(&model),
        "--out",
        s(&keys),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["mode"], "private");
    assert_eq!(r["output"], "argmax");
    let commitment = r["commitment"].as_str().unwrap().to_string();
    assert_eq!(commitment.len(), 64);

    let input = dir.path().join("x.json");
    let x: Vec<i64> = (0..16).map(|i| i * 16).collect();
    std::fs::write(&input, serde_json::json!({ "quantized": x }).to_string()).unwrap();
    let proof = dir.path().join("p.json");
    let o = run(&[
        "prove",
        "--model",
        s(&model),
        "--keys",
        s(&keys),
        "--input",
        s(&input),
        "--request",
        "nonce-9",
        "--out",
        s(&proof),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let p: Value = serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    // Commitment, request binding, 16 inputs, the class.
    assert_eq!(p["public_inputs"].as_array().unwrap().len(), 19);
    assert_eq!(p["public_inputs"][0], commitment);
    assert_eq!(p["public_inputs"][1], p["request"]);
    assert_eq!(p["public_inputs"][2 + 3], scalar_hex(48));

    let verify_args = |proof: &Path, json: bool| {
        let mut args = vec![];
        if json {
            args.extend(["--output", "json"]);
        }
        args.extend([
            "verify",
            "--keys",
            s(&keys),
            "--proof",
            s(proof),
            "--input",
            s(&input),
            "--request",
            "nonce-9",
        ]);
        run(&args)
    };
    let o = verify_args(&proof, true);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["commitment"], commitment);
    assert_eq!(v["output"], p["output"]);

    // Another weight commitment, or another class.
    let tampered = dir.path().join("tampered.json");
    let mut bad = p.clone();
    bad["public_inputs"][0] = scalar_hex(1).into();
    std::fs::write(&tampered, bad.to_string()).unwrap();
    assert_fails(&verify_args(&tampered, false), "weight commitment differs");
    let class = p["output"][0].as_i64().unwrap();
    let other = (class + 1) % 4;
    let mut bad = p.clone();
    bad["output"][0] = other.into();
    bad["public_inputs"][18] = scalar_hex(other).into();
    std::fs::write(&tampered, bad.to_string()).unwrap();
    assert_fails(&verify_args(&tampered, false), "proof does not verify");
}
