//! `deaid debug …`: offline tools that need no node. `debug yuma` runs one dense Yuma
//! Consensus epoch (`deai-yuma`, the training module's epoch) on a vector file and prints its
//! outputs, so that a vector from subtensor (or a task's stored state) can be checked by hand.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum DebugCommand {
    /// Run one Yuma Consensus epoch on `{"params": {...}, "inputs": {...}}` (the vector format
    /// of docs/yuma.md; missing params take subtensor's defaults) and print its outputs as
    /// pretty JSON.
    Yuma {
        /// The vector file, or `-` for stdin. Other top-level keys (such as a vector's
        /// expected `outputs`) are ignored.
        #[arg(long)]
        input: PathBuf,
    },
}

pub fn run(cmd: DebugCommand) -> anyhow::Result<()> {
    match cmd {
        DebugCommand::Yuma { input } => {
            let text = read_input(&input)?;
            let out = yuma(&text)?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
    }
}

/// The text of `path`, or of stdin for `-`.
fn read_input(path: &Path) -> anyhow::Result<String> {
    if path.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| anyhow::anyhow!("cannot read stdin: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read --input {}: {e}", path.display()))
    }
}

/// The epoch outputs of the vector `text`.
pub fn yuma(text: &str) -> anyhow::Result<deai_yuma::Outputs> {
    let v: deai_yuma::Vector = serde_json::from_str(text).map_err(|e| {
        anyhow::anyhow!("not a Yuma vector {{\"params\": {{…}}, \"inputs\": {{…}}}}: {e}")
    })?;
    let n = v.inputs.n;
    anyhow::ensure!(
        n <= MAX_N,
        "inputs.n is {n}; at most {MAX_N} neurons (an epoch is O(n^2))"
    );
    Ok(deai_yuma::run_vector(&v))
}

/// Largest `n` run (a 4096² matrix is 16M cells per matrix; more is surely a mistake).
const MAX_N: usize = 4096;

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::Value;

    use super::*;
    use crate::cli::{Cli, Command};

    const EXAMPLE: &str = include_str!("../../../yuma/tests/example-01.json");

    fn close_f(name: &str, got: &Value, want: &Value) {
        let (g, w): (Vec<f64>, Vec<f64>) = (
            serde_json::from_value(got.clone()).unwrap(),
            serde_json::from_value(want.clone()).unwrap(),
        );
        assert_eq!(g.len(), w.len(), "{name} len");
        for (i, (g, w)) in g.iter().zip(&w).enumerate() {
            assert!(
                (g - w).abs() <= 1e-6 + 1e-6 * w.abs(),
                "{name}[{i}]: got {g}, want {w}"
            );
        }
    }

    fn close_int(name: &str, got: &Value, want: &Value, tol: f64) {
        let (g, w): (Vec<u64>, Vec<u64>) = (
            serde_json::from_value(got.clone()).unwrap(),
            serde_json::from_value(want.clone()).unwrap(),
        );
        assert_eq!(g.len(), w.len(), "{name} len");
        for (i, (g, w)) in g.iter().zip(&w).enumerate() {
            assert!(
                (*g as f64 - *w as f64).abs() <= tol,
                "{name}[{i}]: got {g}, want {w}"
            );
        }
    }

    /// The README's tolerances: floats 1e-6 + 1e-6·|ref|, u16 ±1, rao 1e-6·rao + 2.
    #[test]
    fn example_01_outputs() {
        let want: Value = serde_json::from_str(EXAMPLE).unwrap();
        let got = serde_json::to_value(yuma(EXAMPLE).unwrap()).unwrap();
        let rao = want["params"]["rao_emission"].as_f64().unwrap_or(1e9);
        let w = &want["outputs"];
        for k in ["consensus", "incentive", "dividends", "validator_trust"] {
            close_f(k, &got[k], &w[k]);
        }
        for k in ["miner_emission", "validator_emission"] {
            close_int(k, &got[k], &w[k], 1e-6 * rao + 2.0);
        }
        let rows = w["bonds"].as_array().unwrap();
        assert_eq!(got["bonds"].as_array().unwrap().len(), rows.len());
        for (i, row) in rows.iter().enumerate() {
            close_f(&format!("bonds[{i}]"), &got["bonds"][i], row);
            let stored = &w["bonds_stored_u16"][i];
            close_int(
                &format!("bonds_stored_u16[{i}]"),
                &got["bonds_stored_u16"][i],
                stored,
                1.0,
            );
        }
        assert_eq!(got["new_validator_permit"], w["new_validator_permit"]);
    }

    #[test]
    fn defaults_and_errors() {
        let one = r#"{"inputs":{"n":1,"stake":[1],"weights":[[0]],"validator_permit":[true],"bonds_prev":[[0]]}}"#;
        let o = yuma(one).unwrap();
        assert_eq!(o.validator_emission, vec![1_000_000_000]);
        let e = yuma("{").unwrap_err().to_string();
        assert!(e.contains("not a Yuma vector") && e.contains("EOF"), "{e}");
        let e = yuma(r#"{"params":{}}"#).unwrap_err().to_string();
        assert!(e.contains("missing field `inputs`"), "{e}");
        let e = yuma(r#"{"inputs":{"n":1,"stake":[-1]}}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("invalid value"), "{e}");
        let big = r#"{"inputs":{"n":100000,"stake":[],"weights":[],"validator_permit":[],"bonds_prev":[]}}"#;
        assert!(yuma(big).unwrap_err().to_string().contains("at most 4096"));
        let e = read_input(Path::new("/nonexistent/v.json"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read --input /nonexistent/v.json"), "{e}");
    }

    #[test]
    fn parses() {
        let cli = Cli::try_parse_from(["deaid", "debug", "yuma", "--input", "-"]).unwrap();
        let Command::Debug(DebugCommand::Yuma { input }) = cli.command else {
            panic!("not debug yuma")
        };
        assert_eq!(input, PathBuf::from("-"));
        assert!(Cli::try_parse_from(["deaid", "debug", "yuma"]).is_err());
    }
}
