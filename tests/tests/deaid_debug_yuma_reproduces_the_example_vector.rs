//! `deaid debug yuma --input FILE` on the shared example vector (vendored at
//! yuma/tests/example-01.json) prints outputs that match the vector's within the tolerances
//! of the Yuma specification (floats 1e-6 + 1e-6·|ref|, u16 ±1, rao 1e-6·emission + 2),
//! and a malformed input is refused with a clear error and no output.

use std::process::Command;

use deai_e2e::{deaid_bin, repo_root};
use serde_json::Value;

fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().flat_map(floats).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap()],
        Value::Bool(b) => vec![f64::from(u8::from(*b))],
        other => panic!("not a number: {other}"),
    }
}

fn check(key: &str, got: &Value, want: &Value, tolerance: impl Fn(f64) -> f64) {
    let (g, w) = (floats(got), floats(want));
    assert_eq!(g.len(), w.len(), "{key}: length");
    for (i, (g, w)) in g.iter().zip(&w).enumerate() {
        assert!(
            (g - w).abs() <= tolerance(*w),
            "{key}[{i}]: got {g}, the vector says {w}"
        );
    }
}

#[test]
fn deaid_debug_yuma_reproduces_the_example_vector() {
    let input = repo_root().join("yuma/tests/example-01.json");
    let vector: Value = serde_json::from_slice(&std::fs::read(&input).unwrap()).unwrap();
    let out = Command::new(deaid_bin())
        .args(["debug", "yuma", "--input"])
        .arg(&input)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: Value = serde_json::from_slice(&out.stdout).expect("stdout is the outputs JSON");
    let want = &vector["outputs"];
    let emission = vector["params"]["rao_emission"].as_f64().unwrap_or(1e9);
    for key in [
        "consensus",
        "incentive",
        "dividends",
        "bonds",
        "validator_trust",
    ] {
        check(key, &got[key], &want[key], |w| 1e-6 + 1e-6 * w.abs());
    }
    for key in [
        "bonds_stored_u16",
        "consensus_u16",
        "incentive_u16",
        "dividends_u16",
    ] {
        check(key, &got[key], &want[key], |_| 1.0);
    }
    for key in ["miner_emission", "validator_emission"] {
        check(key, &got[key], &want[key], |_| 1e-6 * emission + 2.0);
    }
    assert_eq!(got["new_validator_permit"], want["new_validator_permit"]);

    // A file that is not a vector: an error naming the problem, nothing on stdout.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, br#"{"params": {}, "inputs": {"n": "three"}}"#).unwrap();
    let out = Command::new(deaid_bin())
        .args(["debug", "yuma", "--input"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "no outputs for a bad input");
    assert!(
        !String::from_utf8_lossy(&out.stderr).trim().is_empty(),
        "the error says why"
    );
}
