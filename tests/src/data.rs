//! Helpers for data-market tests over a real chain: queries, token balances, the provider
//! daemon and raw signed download requests.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use deai_proto::data::v1 as pb;

use crate::worker::Daemon;
use crate::{rt, Localnet};

/// Calls a `deai.data.v1.Query` method on node 0.
pub fn query<Req: prost::Message, Res: prost::Message + Default>(
    net: &Localnet,
    method: &str,
    req: &Req,
) -> Res {
    crate::query_service(net, "deai.data.v1.Query", method, req)
}

pub fn params(net: &Localnet) -> pb::Params {
    let r: pb::QueryParamsResponse = query(net, "Params", &pb::QueryParamsRequest {});
    r.params.expect("params")
}

pub fn dataset(net: &Localnet, id: u64) -> pb::Dataset {
    let r: pb::QueryDatasetResponse = query(net, "Dataset", &pb::QueryDatasetRequest { id });
    r.dataset.expect("dataset")
}

pub fn grant(net: &Localnet, id: u64) -> pb::Grant {
    let r: pb::QueryGrantResponse = query(net, "Grant", &pb::QueryGrantRequest { id });
    r.grant.expect("grant")
}

/// The grants of `grantee` (all datasets).
pub fn grants_of(net: &Localnet, grantee: &str) -> Vec<pb::Grant> {
    let r: pb::QueryGrantsResponse = query(
        net,
        "Grants",
        &pb::QueryGrantsRequest {
            grantee: grantee.into(),
            dataset_id: 0,
            pagination: None,
        },
    );
    r.grants
}

/// A pool and its validators.
pub fn pool(net: &Localnet, id: u64) -> pb::QueryPoolResponse {
    query(net, "Pool", &pb::QueryPoolRequest { id })
}

/// A pool's contributions and their scores.
pub fn contributions(net: &Localnet, pool_id: u64) -> pb::QueryContributionsResponse {
    query(
        net,
        "Contributions",
        &pb::QueryContributionsRequest {
            pool_id,
            pagination: None,
        },
    )
}

/// The balance of `addr` in `denom` on node 0 (0 when it holds none).
pub fn balance_of(net: &Localnet, addr: &str, denom: &str) -> u128 {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
    let r: QueryBalanceResponse = rt()
        .block_on(net.client(0).query(
            "/cosmos.bank.v1beta1.Query/Balance",
            &QueryBalanceRequest {
                address: addr.into(),
                denom: denom.into(),
            },
            0,
        ))
        .unwrap()
        .unwrap();
    r.balance.map_or(0, |c| c.amount.parse().unwrap())
}

/// Polls `f` every 300 ms until it returns Some; panics with `what` after `timeout`.
pub fn wait_for<T>(what: &str, timeout: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `deai-worker data provider start` for `key`, serving on 127.0.0.1:`port` from `store`;
/// its state dir is `dir/provider-<key>` (where `data publish` must write its catalog).
pub fn provider(dir: &Path, net: &Localnet, key: &str, store: &Path, port: u16) -> Daemon {
    let node = net.rpc(0);
    let keys = net.keys_home();
    let listen = format!("127.0.0.1:{port}");
    Daemon::spawn(
        dir,
        &format!("provider-{key}"),
        &[
            "data",
            "provider",
            "start",
            "--node",
            &node,
            "--key",
            key,
            "--keyring-backend",
            "test",
            "--home",
            keys.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--listen",
            &listen,
            "--poll-secs",
            "1",
        ],
    )
}

/// A signed download request header (`x-deai-download: …`) for `grant` of `dataset` at
/// `height`, signed by the key of demo<i>.
pub fn download_header(net: &Localnet, i: usize, dataset: u64, grant: u64, height: u64) -> String {
    let key = net.demo_key(i - 1);
    let signing = k256::ecdsa::SigningKey::from_slice(&key.secret_bytes()).unwrap();
    let signed = deai_worker_data::DownloadRequest {
        chain_id: net.chain_id(),
        dataset_id: dataset,
        grant_id: grant,
        height,
    }
    .sign(&signing)
    .unwrap();
    format!(
        "{}: {}",
        deai_worker_data::DOWNLOAD_HEADER,
        signed.to_header_value()
    )
}

/// GETs `url` with `headers` into `out`: (HTTP status, bytes written).
pub fn curl_get(url: &str, headers: &[String], out: &Path) -> (u16, u64) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "30", "-o"])
        .arg(out)
        .args(["-w", "%{http_code}", url]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let o = cmd.output().unwrap();
    let status: u16 = String::from_utf8_lossy(&o.stdout).trim().parse().unwrap();
    let written = std::fs::metadata(out).map_or(0, |m| m.len());
    (status, written)
}

/// sha256 of a file, hex.
pub fn file_sha256(path: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(path).unwrap()))
}
