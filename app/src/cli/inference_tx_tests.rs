//! Command lines of `deaid tx inference …` parsed by clap and turned into messages, no node.
//! The key directories are built here in the formats `deai-worker zk-setup` writes (the
//! verifying key is a well-formed one of points at infinity: it decodes and has the right
//! number of public inputs, which is all the chain checks at registration).

use std::path::Path;

use clap::Parser;
use prost::{Message, Name};

use super::*;
use crate::cli::tx_cmd::{TxArgs, TxCommand};
use crate::cli::{Cli, Command};

const SIGNER: &str = "deai1signer";

/// `deaid tx inference <args>`, the args split at spaces.
fn parse(args: &str) -> Result<InferenceTx, clap::Error> {
    let argv = ["deaid", "tx", "inference"]
        .into_iter()
        .chain(args.split_whitespace());
    match Cli::try_parse_from(argv)?.command {
        Command::Tx(tx) => match *tx {
            TxCommand::Inference(c) => Ok(c),
            _ => unreachable!("not an inference tx"),
        },
        _ => unreachable!("not a tx"),
    }
}

fn error(args: &str) -> String {
    parse(args).unwrap_err().to_string()
}

/// The message a command line makes (with `signer`), as an Any, and the key and flags it
/// signs with; or the error of building it.
fn try_any_of(args: &str, signer: &str) -> anyhow::Result<(cosmos_sdk_proto::Any, String, TxArgs)> {
    fn b<T: clap::Args + BuildMsg>(
        s: Signed<T>,
        signer: &str,
    ) -> anyhow::Result<(cosmos_sdk_proto::Any, String, TxArgs)> {
        Ok((to_any(&s.msg.build(signer)?), s.from, s.tx))
    }
    match parse(args).unwrap_or_else(|e| panic!("{args}: {e}")) {
        InferenceTx::RegisterModel(s) => b(s, signer),
        InferenceTx::UpdateModel(s) => b(s, signer),
        InferenceTx::RegisterServer(s) => b(s, signer),
        InferenceTx::UnregisterServer(s) => b(s, signer),
        InferenceTx::Request(s) => b(s, signer),
        // As `run` builds them: the proof's binding checked when --chain-id is given.
        InferenceTx::Submit(s) => {
            let m = s.msg.build_for(signer, s.tx.chain_id.as_deref())?;
            Ok((to_any(&m), s.from, s.tx))
        }
        InferenceTx::Challenge(s) => b(s, signer),
        InferenceTx::Respond(s) => {
            let m = s.msg.build_for(signer, s.tx.chain_id.as_deref())?;
            Ok((to_any(&m), s.from, s.tx))
        }
        InferenceTx::Adjudicate(s) => b(s, signer),
        InferenceTx::CreateTopic(s) => b(s, signer),
        InferenceTx::RegisterTopicWorker(s) => b(s, signer),
        InferenceTx::RegisterReputer(s) => b(s, signer),
        InferenceTx::SubmitTopicInference(s) => b(s, signer),
        InferenceTx::SubmitGroundTruth(s) => b(s, signer),
    }
}

fn msg<M: Message + prost::Name + Default>(args: &str) -> M {
    let (any, _, _) = try_any_of(args, SIGNER).unwrap_or_else(|e| panic!("{args}: {e}"));
    assert_eq!(any.type_url, M::type_url());
    M::decode(any.value.as_slice()).unwrap()
}

/// The error of building the message of a command line that parses.
fn build_error(args: &str) -> String {
    match try_any_of(args, SIGNER) {
        Ok(_) => panic!("{args}: built"),
        Err(e) => e.to_string(),
    }
}

fn udeai(n: u64) -> Option<ProtoCoin> {
    Some(deai_client::coin("udeai", n.into()))
}

fn hex(b: u8) -> String {
    hex::encode([b; 32])
}

/// A canonical compressed Groth16 verifying key with `n_public` public inputs, every point
/// at infinity (arkworks' compressed encoding: x little-endian, flags in the top bits of the
/// last byte, 0x40 = infinity).
fn vk_bytes(n_public: usize) -> Vec<u8> {
    let g1 = || [vec![0u8; 31], vec![0x40]].concat();
    let g2 = || [vec![0u8; 63], vec![0x40]].concat();
    let mut vk = [g1(), g2(), g2(), g2()].concat();
    vk.extend_from_slice(&(n_public as u64 + 1).to_le_bytes());
    for _ in 0..=n_public {
        vk.extend(g1());
    }
    vk
}

/// The 32-byte little-endian encoding of 42, a canonical field element.
fn commitment() -> Vec<u8> {
    let mut c = vec![0u8; 32];
    c[0] = 42;
    c
}

/// A key directory as zk-setup writes it: a model of 4 inputs and 3 logits with inputs in
/// [-8, 255] at 4 fractional bits, plain encoding, and a key for `n_public` public inputs
/// (None: the right count, 1 + 4 + outputs, + 1 in private mode).
fn key_dir(dir: &Path, mode: &str, output: &str, n_public: Option<usize>) {
    let n_out = if output == "argmax" { 1 } else { 3 };
    let n = n_public.unwrap_or(usize::from(mode == "private") + 1 + 4 + n_out);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("verifying_key.bin"), vk_bytes(n)).unwrap();
    let mut layout = serde_json::json!({
        "mode": mode, "output": output, "encoding": "plain", "n_inputs": 4,
        "input_min": -8, "input_max": 255, "input_frac_bits": 4,
        "logit_bounds": [[-1000, 1000], [-5, 5], [0, 70000]],
    });
    if mode == "private" {
        layout["commitment"] = hex::encode(commitment()).into();
    }
    let text = serde_json::to_string_pretty(&layout).unwrap();
    std::fs::write(dir.join("circuit.json"), text).unwrap();
}

/// A register-model command line of a 4-8-3 model, plus `extra` flags.
fn register(extra: &str) -> String {
    register_as("mlp-4-8-3", "4,8,3", extra)
}

fn register_as(name: &str, architecture: &str, extra: &str) -> String {
    format!(
        "register-model alice --name {name} --architecture {architecture} --weights-sha256 {} \
         --quantized-weights-sha256 {} --price 1000udeai {extra}",
        hex(1),
        hex(2)
    )
}

#[test]
fn register_model_from_a_key_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let public = tmp.path().join("public");
    key_dir(&public, "public", "logits", None);
    let m: pb::MsgRegisterModel = msg(&register(&format!("--keys {}", public.display())));
    assert_eq!(m.owner, SIGNER);
    assert_eq!(
        (m.name.as_str(), m.architecture),
        ("mlp-4-8-3", vec![4, 8, 3])
    );
    assert_eq!(
        (m.weights_sha256, m.quantized_weights_sha256),
        (vec![1; 32], vec![2; 32])
    );
    assert_eq!(
        m.zk_mode,
        pb::ZkMode::Public as i32,
        "the mode of circuit.json"
    );
    assert_eq!(m.verifying_key, vk_bytes(8));
    assert!(m.weight_commitment.is_empty());
    assert_eq!((m.input_min, m.input_max, m.input_frac_bits), (-8, 255, 4));
    let c = m.circuit.unwrap();
    assert_eq!(c.output, pb::OutputKind::Logits as i32);
    assert_eq!(c.encoding, pb::IoEncoding::Plain as i32);
    let bounds: Vec<(i64, i64)> = c.logit_bounds.iter().map(|b| (b.lo, b.hi)).collect();
    assert_eq!(bounds, vec![(-1000, 1000), (-5, 5), (0, 70000)]);
    assert_eq!(m.price, udeai(1000));

    // Private mode: the commitment; argmax: one output.
    let private = tmp.path().join("private");
    key_dir(&private, "private", "argmax", None);
    let keys = format!("--keys {} --zk-mode private", private.display());
    let m: pb::MsgRegisterModel = msg(&register(&keys));
    assert_eq!(m.zk_mode, pb::ZkMode::Private as i32);
    assert_eq!(m.weight_commitment, commitment());
    assert_eq!(m.verifying_key, vk_bytes(1 + 1 + 4 + 1));
    assert_eq!(m.circuit.unwrap().output, pb::OutputKind::Argmax as i32);

    // zk mode none: no key, only the input range (from the directory, or the flags).
    let keys = format!("--keys {} --zk-mode none", private.display());
    let m: pb::MsgRegisterModel = msg(&register(&keys));
    assert_eq!(m.zk_mode, pb::ZkMode::None as i32);
    assert!(m.verifying_key.is_empty() && m.weight_commitment.is_empty());
    assert_eq!((m.input_min, m.input_max, m.input_frac_bits), (-8, 255, 4));
    assert_eq!(m.circuit, None);
    let flags = "--zk-mode none --input-min -128 --input-max 127 --input-frac-bits 6";
    let m: pb::MsgRegisterModel = msg(&register(flags));
    assert_eq!(
        (m.input_min, m.input_max, m.input_frac_bits),
        (-128, 127, 6)
    );
    assert_eq!(m.zk_mode, pb::ZkMode::None as i32);
}

#[test]
fn register_model_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let public = tmp.path().join("public");
    key_dir(&public, "public", "logits", None);
    let keys = format!("--keys {}", public.display());
    for (extra, why) in [
        ("", "give --keys DIR"),
        ("--zk-mode public", "needs --keys DIR"),
        (
            "--zk-mode none --input-min 0",
            "needs --input-min, --input-max",
        ),
        (
            &format!("{keys} --zk-mode private"),
            "is for a Public model",
        ),
        (
            "--zk-mode none --input-min 5 --input-max 4 --input-frac-bits 0",
            "input_min is above input_max",
        ),
        (
            &format!("--keys {}", tmp.path().join("missing").display()),
            "cannot read verifying key",
        ),
    ] {
        let e = build_error(&register(extra));
        assert!(e.contains(why), "{extra}: {e}");
    }
    for (name, arch, why) in [
        (
            "m",
            "5,8,3",
            "is for 4 inputs, --architecture starts with 5",
        ),
        (
            "m",
            "4,8,2",
            "has 3 logit bounds, --architecture ends with 2",
        ),
        ("m", "4", "at least 2"),
        ("é", "4,8,3", "name must be"),
    ] {
        let e = build_error(&register_as(name, arch, &keys));
        assert!(e.contains(why), "{arch}: {e}");
    }

    // A key for another statement, a key that does not decode, a bad circuit.json.
    let other = tmp.path().join("other");
    key_dir(&other, "public", "logits", Some(9));
    let e = build_error(&register(&format!("--keys {}", other.display())));
    assert!(
        e.contains("the key takes 9 public inputs, the model's statement has 8"),
        "{e}"
    );
    std::fs::write(other.join("verifying_key.bin"), b"not a key").unwrap();
    let e = build_error(&register(&format!("--keys {}", other.display())));
    assert!(e.contains("verifying key does not decode"), "{e}");
    key_dir(&other, "public", "logits", None);
    let layout = std::fs::read_to_string(other.join("circuit.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&layout).unwrap();
    v["encoding"] = "zip".into();
    std::fs::write(other.join("circuit.json"), v.to_string()).unwrap();
    let e = build_error(&register(&format!("--keys {}", other.display())));
    assert!(e.contains("unknown variant `zip`"), "{e}");
    v["encoding"] = "plain".into();
    v["extra"] = 1.into();
    std::fs::write(other.join("circuit.json"), v.to_string()).unwrap();
    let e = build_error(&register(&format!("--keys {}", other.display())));
    assert!(e.contains("unknown field `extra`"), "{e}");
    v.as_object_mut().unwrap().remove("extra");
    v["commitment"] = hex::encode(commitment()).into();
    std::fs::write(other.join("circuit.json"), v.to_string()).unwrap();
    let e = build_error(&register(&format!("--keys {}", other.display())));
    assert!(
        e.contains("commitment is given in private mode only"),
        "{e}"
    );

    // Shapes clap checks.
    let e = error(&register(&format!("{keys} --input-min 0")));
    assert!(e.contains("cannot be used with"), "{e}");
    let e = error(&register("--zk-mode some"));
    assert!(e.contains("some"), "{e}");
    let e = error("register-model alice --weights-sha256 abcd");
    assert!(e.contains("32-byte hash"), "{e}");
    assert!(error("register-model alice --name m").contains("--architecture"));
}

#[test]
fn models_and_servers() {
    let m: pb::MsgUpdateModel = msg("update-model alice 3 --price 50udeai --enabled false");
    assert_eq!(
        (m.owner.as_str(), m.model_id, m.enabled),
        (SIGNER, 3, false)
    );
    assert_eq!(m.price, udeai(50));
    let m: pb::MsgUpdateModel = msg("update-model alice 3 --price 50udeai --enabled true");
    assert!(m.enabled);
    assert!(error("update-model alice 3 --price 50udeai").contains("--enabled"));
    assert!(error("update-model alice 3 --price 50udeai --enabled maybe").contains("maybe"));

    let (any, from, tx) = try_any_of(
        "register-server srv 3 --stake 10000000udeai -y --wait",
        SIGNER,
    )
    .unwrap();
    assert_eq!((from.as_str(), tx.yes, tx.wait), ("srv", true, true));
    let m = pb::MsgRegisterServer::decode(any.value.as_slice()).unwrap();
    assert_eq!((m.server.as_str(), m.model_id), (SIGNER, 3));
    assert_eq!(m.stake, udeai(10_000_000));
    assert!(error("register-server srv 3").contains("--stake"));
    assert!(error("register-server srv 3 --stake 1udeai,2uatom").contains("one positive coin"));
    let m: pb::MsgUnregisterServer = msg("unregister-server srv 3");
    assert_eq!((m.server.as_str(), m.model_id), (SIGNER, 3));
    assert!(error("unregister-server srv").contains("MODEL_ID"));
}

#[test]
fn requests() {
    let m: pb::MsgRequestInference = msg(
        "request alice --model 2 --input-values -3,0,17,255 --fee 1000udeai --deadline-blocks 20",
    );
    assert_eq!((m.requester.as_str(), m.model_id), (SIGNER, 2));
    assert_eq!(m.input, vec![-3, 0, 17, 255]);
    assert_eq!(m.fee, udeai(1000));
    assert_eq!((m.mode, m.k), (pb::VerificationMode::Zk as i32, 1));
    assert_eq!(m.deadline_blocks, 20);
    let base = "request alice --model 2 --input-values 1 --fee 5udeai --deadline-blocks 9";
    let m: pb::MsgRequestInference = msg(&format!("{base} --mode redundant --k 3"));
    assert_eq!((m.mode, m.k), (pb::VerificationMode::Redundant as i32, 3));
    let m: pb::MsgRequestInference = msg(&format!("{base} --mode optimistic"));
    assert_eq!((m.mode, m.k), (pb::VerificationMode::Optimistic as i32, 1));
    for (extra, why) in [
        ("--mode redundant", "needs --k 2 or more"),
        ("--mode redundant --k 1", "needs --k 2 or more"),
        ("--k 2", "for --mode redundant only"),
    ] {
        let e = build_error(&format!("{base} {extra}"));
        assert!(e.contains(why), "{extra}: {e}");
    }
    let e = build_error("request alice --model 2 --fee 5udeai --deadline-blocks 9");
    assert!(e.contains("give --input FILE or --input-values"), "{e}");
    assert!(error(&format!("{base} --mode fast")).contains("fast"));
    assert!(
        error("request alice --model 2 --input-values 1 --fee 5udeai")
            .contains("--deadline-blocks")
    );

    // Input files as deai-worker prove reads them.
    let tmp = tempfile::tempdir().unwrap();
    let q = tmp.path().join("q.json");
    std::fs::write(&q, r#"{"quantized": [-8, 4, 16, 255]}"#).unwrap();
    let args = format!(
        "request alice --model 2 --input {} --fee 5udeai --deadline-blocks 9",
        q.display()
    );
    let m: pb::MsgRequestInference = msg(&args);
    assert_eq!(m.input, vec![-8, 4, 16, 255]);
    let e = error(&format!("{args} --input-values 1"));
    assert!(e.contains("cannot be used with"), "{e}");
    let f = tmp.path().join("f.json");
    std::fs::write(&f, "[0.5, -1.0, 1.03125, 100]").unwrap();
    let InferenceTx::Request(s) = parse(&args.replace("q.json", "f.json")).unwrap() else {
        unreachable!()
    };
    assert_eq!(
        s.msg.input().unwrap(),
        Input::Floats(vec![0.5, -1.0, 1.03125, 100.0])
    );
    let e = s.msg.build(SIGNER).unwrap_err().to_string();
    assert!(e.contains("needs the model's scale"), "{e}");
    std::fs::write(&f, r#"{"values": [1]}"#).unwrap();
    let e = build_error(&args.replace("q.json", "f.json"));
    assert!(e.contains("expected a JSON array of numbers"), "{e}");
}

#[test]
fn float_inputs_are_quantized_as_deai_zk_does() {
    // round(x · 2^4), half away from zero, clamped to [-8, 255].
    let q = quantize(&[0.5, -1.0, 1.03125, 100.0, -0.03125], 5, 4, -8, 255).unwrap();
    assert_eq!(q, vec![8, -8, 17, 255, -1]);
    let e = quantize(&[1.0], 2, 4, 0, 9).unwrap_err().to_string();
    assert!(e.contains("1 values, model takes 2"), "{e}");
    assert!(quantize(&[f32::NAN], 1, 4, 0, 9).is_err());
}

/// A proof file as deai-worker prove writes it, bound to `context`.
fn proof_file(dir: &Path, output: &[i64], context: &str, proof_len: usize) -> std::path::PathBuf {
    let path = dir.join("proof.json");
    let file = serde_json::json!({
        "output": output,
        "request": request_binding_hex(context),
        "public_inputs": [request_binding_hex(context)],
        "proof": "ab".repeat(proof_len),
    });
    std::fs::write(&path, serde_json::to_string_pretty(&file).unwrap()).unwrap();
    path
}

#[test]
fn request_binding_matches_deai_zk() {
    // deai-zk's fixed vector (zk/src/request.rs).
    assert_eq!(
        request_binding_hex("req-1"),
        "5b6b4d1ee4b7b415d84f964dede8b11283b8c434b717bf4d7f341d71c7310500"
    );
}

#[test]
fn answers() {
    let m: pb::MsgSubmitInference = msg("submit srv 42 --output-values -5,7,300");
    assert_eq!((m.server.as_str(), m.request_id), (SIGNER, 42));
    assert_eq!((m.output, m.proof), (vec![-5, 7, 300], vec![]));
    assert!(build_error("submit srv 42").contains("give --output-values"));

    let tmp = tempfile::tempdir().unwrap();
    let server = deai_framework::Address::from_bytes(&[5; 20])
        .unwrap()
        .to_bech32();
    let context = format!("deai-local/inference/42/{server}");
    let proof = proof_file(tmp.path(), &[3, -2, 9], &context, 128);
    let args = format!("submit srv 42 --proof {}", proof.display());
    let m: pb::MsgSubmitInference = msg(&args);
    assert_eq!((m.output, m.proof), (vec![3, -2, 9], vec![0xab; 128]));
    let m: pb::MsgSubmitInference = msg(&format!("{args} --output-values 3,-2,9 -o json"));
    assert_eq!(m.output, vec![3, -2, 9]);
    let e = build_error(&format!("{args} --output-values 3,-2,8"));
    assert!(
        e.contains("differs from the output [3, -2, 9] proved in"),
        "{e}"
    );

    // With --chain-id, the binding is checked against the signer and the request.
    let with_chain = format!("{args} --chain-id deai-local");
    let (any, _, _) = try_any_of(&with_chain, &server).unwrap();
    assert_eq!(any.type_url, pb::MsgSubmitInference::type_url());
    let e = try_any_of(&with_chain, SIGNER).unwrap_err().to_string();
    assert!(e.contains("answers another request"), "{e}");
    assert!(
        e.contains(&format!("--request deai-local/inference/42/{SIGNER}")),
        "{e}"
    );
    let e = try_any_of(
        &with_chain.replace("submit srv 42", "submit srv 43"),
        &server,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("answers another request"), "{e}");
    let e = try_any_of(&format!("{args} --chain-id other"), &server)
        .unwrap_err()
        .to_string();
    assert!(e.contains("answers another request"), "{e}");

    // Respond: the proof alone, checked the same way.
    let respond = format!("respond srv 42 --proof {}", proof.display());
    let m: pb::MsgRespondChallenge = msg(&respond);
    assert_eq!(
        (m.server.as_str(), m.request_id, m.proof),
        (SIGNER, 42, vec![0xab; 128])
    );
    assert!(try_any_of(&format!("{respond} --chain-id deai-local"), &server).is_ok());
    assert!(try_any_of(&format!("{respond} --chain-id deai-local"), SIGNER).is_err());
    assert!(error("respond srv 42").contains("--proof"));

    // Bad proof files.
    proof_file(tmp.path(), &[1], &context, 127);
    let e = build_error(&args);
    assert!(
        e.contains("a proof of 127 bytes, a Groth16 proof has 128"),
        "{e}"
    );
    std::fs::write(&proof, "{}").unwrap();
    let e = build_error(&args);
    assert!(e.contains("expected what deai-worker prove writes"), "{e}");
    let e = build_error(&format!(
        "submit srv 42 --proof {}",
        tmp.path().join("no").display()
    ));
    assert!(e.contains("cannot read proof file"), "{e}");
}

#[test]
fn challenges() {
    let m: pb::MsgChallenge = msg("challenge bob 42 --bond 1000000udeai");
    assert_eq!((m.challenger.as_str(), m.request_id), (SIGNER, 42));
    assert_eq!(m.bond, udeai(1_000_000));
    assert!(error("challenge bob 42").contains("--bond"));

    let tmp = tempfile::tempdir().unwrap();
    let w = tmp.path().join("weights.bin");
    std::fs::write(&w, [1u8, 2, 3]).unwrap();
    let m: pb::MsgAdjudicate = msg(&format!(
        "adjudicate bob 42 --quantized-weights {}",
        w.display()
    ));
    assert_eq!((m.sender.as_str(), m.request_id), (SIGNER, 42));
    assert_eq!(m.quantized_weights, vec![1, 2, 3]);
    std::fs::write(&w, []).unwrap();
    let e = build_error(&format!(
        "adjudicate bob 42 --quantized-weights {}",
        w.display()
    ));
    assert!(e.contains("is empty"), "{e}");
}

#[test]
fn topics() {
    let m: pb::MsgCreateTopic = msg(
        "create-topic alice --metric eth-usd-1h --loss-method squared \
         --epoch-length 100 --ground-truth-lag 10 --alpha 0.1 --fee 10000000udeai",
    );
    assert_eq!(
        (m.creator.as_str(), m.metric.as_str()),
        (SIGNER, "eth-usd-1h")
    );
    assert_eq!(m.loss_method, pb::LossMethod::Squared as i32);
    assert_eq!((m.epoch_length, m.ground_truth_lag), (100, 10));
    assert_eq!((m.alpha.as_str(), m.fee), ("0.1", udeai(10_000_000)));
    let topic = "create-topic alice --loss-method abs --ground-truth-lag 0 --fee 1udeai";
    let base = format!("{topic} --metric m");
    let m: pb::MsgCreateTopic = msg(&format!("{base} --epoch-length 5 --alpha 1"));
    assert_eq!(m.loss_method, pb::LossMethod::Abs as i32);
    assert!(build_error(&format!("{base} --epoch-length 0 --alpha 1")).contains("--epoch-length"));
    let long = "x".repeat(257);
    let e = build_error(&format!(
        "{topic} --epoch-length 5 --alpha 1 --metric {long}"
    ));
    assert!(e.contains("--metric must be 1 to 256 bytes"), "{e}");
    assert!(error(&format!("{base} --epoch-length 5 --alpha 1.5")).contains("(0, 1]"));
    assert!(error("create-topic alice --loss-method huber").contains("huber"));

    let m: pb::MsgRegisterTopicWorker = msg("register-topic-worker w 4 --stake 1000000udeai");
    assert_eq!(
        (m.worker.as_str(), m.topic_id, m.stake),
        (SIGNER, 4, udeai(1_000_000))
    );
    let m: pb::MsgRegisterReputer = msg("register-reputer r 4 --stake 2udeai");
    assert_eq!(
        (m.reputer.as_str(), m.topic_id, m.stake),
        (SIGNER, 4, udeai(2))
    );
    let m: pb::MsgSubmitTopicInference = msg("submit-topic-inference w 4 --epoch 7 --value -1234");
    assert_eq!(
        (m.worker.as_str(), m.topic_id, m.epoch, m.value),
        (SIGNER, 4, 7, -1234)
    );
    let m: pb::MsgSubmitGroundTruth = msg("submit-ground-truth r 4 --epoch 7 --value 99");
    assert_eq!(
        (m.reputer.as_str(), m.topic_id, m.epoch, m.value),
        (SIGNER, 4, 7, 99)
    );
    assert!(error("submit-ground-truth r 4 --epoch 7").contains("--value"));
    assert!(error("submit-ground-truth r 4 --epoch 7 --value 1.5").contains("1.5"));
}
