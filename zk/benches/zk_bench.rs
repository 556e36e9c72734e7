//! `cargo bench -p deai-zk --bench zk_bench [-- --quick]`
//!
//! Prints constraints, setup, prove and verify times, proof and key sizes and
//! peak memory for the 64-32-10 (digits) and 784-56-10 (MNIST-shaped) MLPs in
//! both modes. Each configuration runs in its own child process so that the
//! peak RSS (VmHWM) belongs to it alone. Weights are random (seeded) floats
//! quantized by the crate's quantizer; the input is one random image.

use std::process::Command;
use std::time::{Duration, Instant};

use deai_zk::circuit::CircuitSpec;
use deai_zk::field::frs_to_bytes;
use deai_zk::prover;
use deai_zk::quant::{quantize, FloatLayer, FloatMlp, QuantConfig};
use deai_zk::{verify, IoEncoding, Mode, OutputKind};

const CONFIGS: &[(&str, &[usize], Mode, IoEncoding, OutputKind)] = &[
    (
        "64-32-10",
        &[64, 32, 10],
        Mode::Public,
        IoEncoding::Plain,
        OutputKind::Logits,
    ),
    (
        "64-32-10",
        &[64, 32, 10],
        Mode::Public,
        IoEncoding::Packed,
        OutputKind::Logits,
    ),
    (
        "64-32-10",
        &[64, 32, 10],
        Mode::Public,
        IoEncoding::Plain,
        OutputKind::Argmax,
    ),
    (
        "64-32-10",
        &[64, 32, 10],
        Mode::Private,
        IoEncoding::Plain,
        OutputKind::Logits,
    ),
    (
        "784-56-10",
        &[784, 56, 10],
        Mode::Public,
        IoEncoding::Plain,
        OutputKind::Logits,
    ),
    (
        "784-56-10",
        &[784, 56, 10],
        Mode::Public,
        IoEncoding::Packed,
        OutputKind::Logits,
    ),
    (
        "784-56-10",
        &[784, 56, 10],
        Mode::Public,
        IoEncoding::Plain,
        OutputKind::Argmax,
    ),
    (
        "784-56-10",
        &[784, 56, 10],
        Mode::Private,
        IoEncoding::Plain,
        OutputKind::Logits,
    ),
];

struct SplitMix(u64);
impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn float_model(dims: &[usize]) -> FloatMlp {
    let mut rng = SplitMix(42);
    let layers = dims
        .windows(2)
        .map(|w| {
            let a = (3.0 / w[0] as f32).sqrt();
            FloatLayer {
                n_in: w[0],
                n_out: w[1],
                weight: (0..w[0] * w[1])
                    .map(|_| (rng.unit() * 2.0 - 1.0) * a)
                    .collect(),
                bias: (0..w[1]).map(|_| (rng.unit() * 2.0 - 1.0) * 0.1).collect(),
            }
        })
        .collect();
    FloatMlp { layers }
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.to_string())
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn run_one(idx: usize) -> Result<String, deai_zk::ZkError> {
    let (name, dims, mode, encoding, output) = CONFIGS[idx];
    let model = quantize(&float_model(dims), &QuantConfig::default())?;
    let spec = CircuitSpec {
        mode,
        output,
        encoding,
    };
    let stats = prover::circuit_stats(&model, spec)?;
    let t = Instant::now();
    let keys = prover::setup(&model, spec)?;
    let setup = t.elapsed();
    let mut rng = SplitMix(7);
    let x: Vec<i64> = (0..dims[0]).map(|_| (rng.next() % 256) as i64).collect();
    let t = Instant::now();
    let out = prover::prove(&keys, &model, &x, deai_zk::request_binding(b"bench"))?;
    let prove = t.elapsed();
    let vk = keys.vk_bytes()?;
    let pi = frs_to_bytes(&out.public_inputs);
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let ok = verify(&vk, &pi, &out.proof)?;
        times.push(t.elapsed());
        assert!(ok, "bench proof must verify");
    }
    let prepared = deai_zk::verifier::PreparedVerifier::from_bytes(&vk)?;
    let mut ptimes = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let ok = prepared.verify(&pi, &out.proof)?;
        ptimes.push(t.elapsed());
        assert!(ok, "bench proof must verify");
    }
    let pk_len = keys.pk_bytes()?.len();
    Ok(format!(
        "| {name} | {} | {} | {} | {} | {} | {:.2} | {:.3} | {:.2} | {:.2} | {} | {} | {} | {} |",
        format!("{mode:?}").to_lowercase(),
        format!("{encoding:?}").to_lowercase(),
        format!("{output:?}").to_lowercase(),
        stats.constraints,
        stats.public_inputs - 1,
        setup.as_secs_f64(),
        prove.as_secs_f64(),
        median(times).as_secs_f64() * 1e3,
        median(ptimes).as_secs_f64() * 1e3,
        out.proof.len(),
        vk.len(),
        pk_len,
        vm_hwm_kib() / 1024,
    ))
}

/// Writes the benchmarked models and inputs for external tools (zk/bench/compare.sh):
/// `<name>.quant.json` (QuantizedModel), `<name>.float.json` (float layers) and
/// `<name>.input.json` (`{"q": [...ints], "f": [...floats]}`).
fn export(dir: &str) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    for (name, dims) in [
        ("64-32-10", &[64usize, 32, 10][..]),
        ("784-56-10", &[784, 56, 10][..]),
    ] {
        let float = float_model(dims);
        let q = quantize(&float, &QuantConfig::default())?;
        let mut rng = SplitMix(7);
        let x: Vec<i64> = (0..dims[0]).map(|_| (rng.next() % 256) as i64).collect();
        let xf: Vec<f64> = x.iter().map(|v| *v as f64 / 256.0).collect();
        let layers: Vec<serde_json::Value> = float
            .layers
            .iter()
            .map(|l| serde_json::json!({"n_in": l.n_in, "n_out": l.n_out, "weight": l.weight, "bias": l.bias}))
            .collect();
        std::fs::write(
            format!("{dir}/{name}.quant.json"),
            serde_json::to_string(&q)?,
        )?;
        std::fs::write(
            format!("{dir}/{name}.float.json"),
            serde_json::to_string(&layers)?,
        )?;
        std::fs::write(
            format!("{dir}/{name}.input.json"),
            serde_json::json!({"q": x, "f": xf, "logits": q.infer(&x)?}).to_string(),
        )?;
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--export") {
        let dir = args
            .get(pos + 1)
            .map(String::as_str)
            .unwrap_or("zk-bench-export");
        if let Err(e) = export(dir) {
            eprintln!("export failed: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--child") {
        let idx: usize = args.get(pos + 1).and_then(|s| s.parse().ok()).unwrap_or(0);
        match run_one(idx) {
            Ok(line) => println!("{line}"),
            Err(e) => println!("| config {idx} failed: {e} |"),
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    // `--only N` runs one configuration (index into CONFIGS).
    let only: Option<usize> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|p| args.get(p + 1))
        .and_then(|s| s.parse().ok());
    let exe = std::env::current_exe().expect("bench binary path");
    println!(
        "threads: rayon default ({} logical CPUs)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("| model | mode | io | output | constraints | public inputs | setup s | prove s | verify ms (vk bytes) | verify ms (prepared vk) | proof B | vk B | pk B | peak MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in [4usize, 26, 794] {
        println!(
            "poseidon: hashing {n} field elements costs {:?} constraints",
            deai_zk::circuit::poseidon::hash_cost(n)
        );
    }
    for (idx, cfg) in CONFIGS.iter().enumerate() {
        if (quick && cfg.1[0] == 784 && cfg.2 == Mode::Private) || only.is_some_and(|o| o != idx) {
            continue;
        }
        match Command::new(&exe)
            .arg("--child")
            .arg(idx.to_string())
            .output()
        {
            Ok(o) => print!("{}", String::from_utf8_lossy(&o.stdout)),
            Err(e) => println!("| config {idx}: could not start: {e} |"),
        }
    }
}
