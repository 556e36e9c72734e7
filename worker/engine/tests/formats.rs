//! Datasets in safetensors, a CSV with a header and the label first, and the
//! logistic model.

use deai_worker_engine::data::write_safetensors_dataset;
use deai_worker_engine::{train, Silent};
use deai_worker_jobs::{Digest, JobSpec};

fn spec(dataset: serde_json::Value, model: serde_json::Value) -> JobSpec {
    let v = serde_json::json!({
        "version": 1, "kind": "train", "model": model, "dataset": dataset,
        "training": {"optimizer": {"type": "adam", "lr": 0.05}, "epochs": 5, "batch_size": 16,
                     "checkpoint_every": 10, "seed": 3}
    });
    JobSpec::from_json(&v.to_string()).unwrap()
}

/// Two separable blobs: class = whether x0 + x1 > 1.
fn blobs(rows: usize) -> (Vec<f32>, Vec<i64>) {
    let mut rng = deai_worker_jobs::rng::SplitMix64::new(9);
    let mut f = Vec::new();
    let mut l = Vec::new();
    for _ in 0..rows {
        let a = (rng.next_u64() >> 40) as f32 / (1u32 << 24) as f32;
        let b = (rng.next_u64() >> 40) as f32 / (1u32 << 24) as f32;
        f.extend([a, b]);
        l.push(i64::from(a + b > 1.0));
    }
    (f, l)
}

#[test]
fn a_safetensors_dataset_trains_a_logistic_model() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blobs.safetensors");
    let (f, l) = blobs(400);
    write_safetensors_dataset(&path, 2, &f, &l).unwrap();
    let sha = Digest::of_file(&path).unwrap();
    let s = spec(
        serde_json::json!({"sha256": sha.to_hex(), "format": "safetensors"}),
        serde_json::json!({"type": "logistic", "inputs": 2, "classes": 2}),
    );
    let r = train(&s, &path, &dir.path().join("out"), &mut Silent).unwrap();
    assert!(r.metrics.test_accuracy > 0.9, "{}", r.metrics.test_accuracy);
    assert_eq!(r.datasets[0].rows, 400);
}

#[test]
fn a_csv_with_a_header_and_the_label_first_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("blobs.csv");
    let (f, l) = blobs(400);
    let mut text = String::from("label,a,b\n");
    for (i, y) in l.iter().enumerate() {
        text.push_str(&format!("{y},{},{}\n", f[2 * i], f[2 * i + 1]));
    }
    std::fs::write(&path, text).unwrap();
    let sha = Digest::of_file(&path).unwrap();
    let s = spec(
        serde_json::json!({"sha256": sha.to_hex(), "format": "csv", "header": true, "label_column": 0}),
        serde_json::json!({"type": "mlp", "inputs": 2, "hidden": [8, 8], "classes": 2}),
    );
    let r = train(&s, &path, &dir.path().join("out"), &mut Silent).unwrap();
    assert!(r.metrics.test_accuracy > 0.9, "{}", r.metrics.test_accuracy);
}

#[test]
fn a_gzip_bomb_is_cut_off_at_the_limit_without_inflating_it() {
    use std::io::Write;
    // 48 gzip members of 64 MiB of zeros each: 3 GiB once inflated, about 3 MB on disk.
    let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b'0'; 1 << 20];
    for _ in 0..64 {
        member.write_all(&zeros).unwrap();
    }
    let member = member.finish().unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("bomb.csv.gz");
    let mut f = std::fs::File::create(&path).unwrap();
    for _ in 0..48 {
        f.write_all(&member).unwrap();
    }
    drop(f);
    let sha = Digest::of_file(&path).unwrap();
    let s = spec(
        serde_json::json!({"sha256": sha.to_hex(), "format": "csv"}),
        serde_json::json!({"type": "logistic", "inputs": 2, "classes": 2}),
    );
    // With a 32 MiB bound the loader stops after 32 MiB of output.
    let e = deai_worker_engine::data::load_bounded(&path, &s.dataset, 32 << 20)
        .err()
        .expect("refused");
    assert!(
        e.to_string().contains("exceeds the 33554432-byte limit"),
        "{e}"
    );
}

#[test]
fn host_tensors_must_fill_their_shape() {
    use deai_worker_engine::state::HostTensor;
    assert!(HostTensor::new(vec![2, 3], vec![0; 24]).is_ok());
    let e = HostTensor::new(vec![2, 3], vec![0; 20])
        .err()
        .expect("refused");
    assert!(
        e.to_string()
            .contains("do not hold an f32 tensor of shape [2, 3]"),
        "{e}"
    );
    assert!(HostTensor::new(vec![usize::MAX, 2], vec![]).is_err());
}
