//! `deai-worker replay`: the audit of a training result, as a verifier runs it. The
//! checkpoints and the weights are looked up by the hashes the result commits to, never by
//! a path it names; what cannot be found is reported as withheld.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use deai_worker_engine::checkpoint::max_checkpoint_bytes;
use deai_worker_engine::train::{checkpoint_file, WEIGHTS_FILE};
use deai_worker_engine::{self as engine, runtime, Budget, Published};
use deai_worker_jobs::result::MAX_RESULT_BYTES;
use deai_worker_jobs::{TrainResult, Verdict};
use serde::Serialize;

use crate::{progress, read_spec, Output, SourceArgs};

#[derive(Args)]
pub struct ReplayArgs {
    /// The claimed result (result.json).
    #[arg(long)]
    result: PathBuf,
    /// The job's spec as the chain holds it. Without it, the spec inside the result is
    /// used, which only shows that the run matches its own claim.
    #[arg(long)]
    spec: Option<PathBuf>,
    /// Re-execute checkpoint K to K+1.
    #[arg(long, conflicts_with_all = ["from", "to"])]
    segment: Option<usize>,
    #[arg(long = "from-checkpoint", requires = "to")]
    from: Option<usize>,
    #[arg(long = "to-checkpoint", requires = "from")]
    to: Option<usize>,
    /// Where checkpoints may be found under their conventional names NNNNN.safetensors
    /// (default: the result's directory's checkpoints/); a file is used only if it hashes
    /// to the record.
    #[arg(long)]
    checkpoints: Option<PathBuf>,
    /// The published weights file (default: the result's directory's weights.safetensors,
    /// then the store by weights_file_sha256).
    #[arg(long)]
    weights: Option<PathBuf>,
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    sources: SourceArgs,
}

#[derive(Serialize)]
struct Report {
    verdict: Verdict,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<Published>,
}

/// Exit status of each verdict, for scripts: 0 honest, 2 diverged, 3 malformed,
/// 4 withheld, 5 incomparable (1 is an error of the verifier itself).
fn exit_code(v: &Verdict) -> ExitCode {
    ExitCode::from(match v {
        Verdict::Honest { .. } => 0,
        Verdict::Diverged { .. } => 2,
        Verdict::Malformed { .. } => 3,
        Verdict::Withheld { .. } => 4,
        Verdict::Incomparable { .. } => 5,
    })
}

fn read_result(path: &PathBuf) -> anyhow::Result<TrainResult> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("{}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_RESULT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}", path.display()))?;
    TrainResult::from_json(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

pub fn run(out: Output, quiet: bool, a: &ReplayArgs) -> anyhow::Result<ExitCode> {
    let claimed = read_result(&a.result)?;
    let spec = match &a.spec {
        Some(p) => read_spec(p)?,
        None => claimed.spec.clone(),
    };
    let (from, to) = match (a.segment, a.from, a.to) {
        (Some(k), _, _) => (k, k.saturating_add(1)),
        (None, Some(f), Some(t)) => (f, t),
        _ => bail!("give --segment K, or --from-checkpoint I and --to-checkpoint J"),
    };
    let n = claimed.checkpoints.len();
    if from >= to || to >= n {
        bail!("checkpoints {from}..={to} are not a range of the result's {n} checkpoints");
    }
    let d = &spec.dataset;
    let data_path =
        a.sources
            .sources()
            .resolve("dataset", &d.sha256, a.data.as_deref(), d.path.as_deref())?;
    let dataset = engine::data::load(&data_path, d)?;
    let rt = runtime::deterministic_cpu()?;

    let dir = a.result.parent().map(PathBuf::from).unwrap_or_default();
    let ck_dir = a
        .checkpoints
        .clone()
        .unwrap_or_else(|| dir.join("checkpoints"));
    let limit = max_checkpoint_bytes(&spec);
    let sources = a.sources.sources();
    let checkpoint = |i: usize| {
        let local = [ck_dir.join(checkpoint_file(i).trim_start_matches("checkpoints/"))];
        sources.find_bytes(&claimed.checkpoints[i].file_sha256, &local, limit)
    };
    let start = if from == 0 { None } else { checkpoint(from)? };
    let mut progress = progress::for_terminal(quiet);
    let verdict = engine::replay_range(
        rt,
        &spec,
        &claimed,
        from,
        to,
        start.as_deref(),
        &dataset,
        &Budget::default(),
        progress.as_mut(),
    )?;
    let published = if verdict.is_honest() && to == n - 1 {
        let last = checkpoint(n - 1)?;
        let local: Vec<PathBuf> = a
            .weights
            .iter()
            .cloned()
            .chain([dir.join(WEIGHTS_FILE)])
            .collect();
        let weights = sources.find_bytes(&claimed.weights_file_sha256, &local, limit)?;
        Some(engine::verify_published(
            rt,
            &spec,
            &claimed,
            last.as_deref(),
            weights.as_deref(),
            &dataset,
        )?)
    } else {
        None
    };
    let verdict = match &published {
        Some(Published::Rejected(v)) => v.clone(),
        _ => verdict,
    };
    let code = exit_code(&verdict);
    let report = Report { verdict, published };
    match out {
        Output::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        Output::Text if report.verdict.is_honest() => {
            let mut line = format!("replay verdict: {}", report.verdict.describe());
            if let Some(Published::Verified(m)) = &report.published {
                line.push_str(&format!(
                    "; published weights verified: train_accuracy {} test_accuracy {} (final_loss {} unverified)",
                    m.train_accuracy, m.test_accuracy, m.final_loss_unverified
                ));
            }
            println!("{line}");
        }
        Output::Text => {}
    }
    if !report.verdict.is_honest() {
        eprintln!("error: replay verdict: {}", report.verdict.describe());
    }
    Ok(code)
}
