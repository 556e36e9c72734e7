//! Query load benchmark: bank Balance over gRPC and over REST against a running node, at a
//! fixed concurrency; prints p50/p99 latency and throughput.
//!
//!   deai-query-bench --localnet .localnet/localnet.json [--concurrency 32] [--requests 20000]

use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::bank::v1beta1::{query_client::QueryClient, QueryBalanceRequest};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

struct Args {
    localnet: String,
    concurrency: usize,
    requests: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        localnet: ".localnet/localnet.json".into(),
        concurrency: 32,
        requests: 20_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().ok_or_else(|| format!("{k} needs a value"));
        match k.as_str() {
            "--localnet" => a.localnet = v()?,
            "--concurrency" => a.concurrency = v()?.parse().map_err(|_| "bad --concurrency")?,
            "--requests" => a.requests = v()?.parse().map_err(|_| "bad --requests")?,
            "-h" | "--help" => {
                return Err(
                    "usage: deai-query-bench [--localnet PATH] [--concurrency N] [--requests N]"
                        .into(),
                )
            }
            _ => return Err(format!("unknown option {k}")),
        }
    }
    if a.concurrency == 0 || a.concurrency > 1024 || a.requests == 0 || a.requests > 10_000_000 {
        return Err("--concurrency must be 1..=1024 and --requests 1..=10000000".into());
    }
    Ok(a)
}

struct Report {
    name: &'static str,
    latencies: Vec<Duration>,
    errors: usize,
    wall: Duration,
}

impl Report {
    fn print(&mut self, concurrency: usize) {
        self.latencies.sort();
        let pct = |p: f64| {
            let i = ((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
            self.latencies.get(i).map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        println!(
            "| {:<5} | {:>11} | {:>8} | {:>6} | {:>12.0} | {:>8.3} | {:>8.3} |",
            self.name,
            concurrency,
            self.latencies.len(),
            self.errors,
            self.latencies.len() as f64 / self.wall.as_secs_f64(),
            pct(0.50),
            pct(0.99),
        );
    }
}

async fn bench_grpc(url: String, address: String, a: &Args) -> Result<Report, String> {
    let channels = a.concurrency.clamp(1, 4);
    let mut clients = Vec::new();
    for _ in 0..channels {
        let ch = tonic::transport::Endpoint::from_shared(url.clone())
            .map_err(|e| e.to_string())?
            .connect()
            .await
            .map_err(|e| format!("cannot connect to gRPC {url}: {e}"))?;
        clients.push(QueryClient::new(ch));
    }
    let per_task = a.requests.div_ceil(a.concurrency);
    let req = QueryBalanceRequest {
        address,
        denom: "udeai".into(),
    };
    let start = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..a.concurrency {
        let mut c = clients[t % channels].clone();
        let req = req.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_task);
            let mut errors = 0;
            for _ in 0..per_task {
                let t0 = Instant::now();
                match c.balance(req.clone()).await {
                    Ok(_) => lat.push(t0.elapsed()),
                    Err(_) => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    collect("gRPC", tasks, start).await
}

async fn collect(
    name: &'static str,
    tasks: Vec<tokio::task::JoinHandle<(Vec<Duration>, usize)>>,
    start: Instant,
) -> Result<Report, String> {
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.map_err(|e| e.to_string())?;
        latencies.extend(l);
        errors += e;
    }
    Ok(Report {
        name,
        latencies,
        errors,
        wall: start.elapsed(),
    })
}

/// One keep-alive HTTP/1.1 GET; returns the status.
async fn http_get(
    conn: &mut BufReader<tokio::net::TcpStream>,
    host: &str,
    path: &str,
) -> std::io::Result<u16> {
    let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n");
    conn.get_mut().write_all(req.as_bytes()).await?;
    let mut line = String::new();
    conn.read_line(&mut line).await?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let mut len = 0usize;
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; len.min(1 << 20)];
    conn.read_exact(&mut body).await?;
    Ok(status)
}

async fn bench_rest(base: String, address: String, a: &Args) -> Result<Report, String> {
    let host = base
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let path = Arc::new(format!(
        "/cosmos/bank/v1beta1/balances/{address}/by_denom?denom=udeai"
    ));
    let per_task = a.requests.div_ceil(a.concurrency);
    let mut conns = Vec::new();
    for _ in 0..a.concurrency {
        let s = tokio::net::TcpStream::connect(&host)
            .await
            .map_err(|e| format!("cannot connect to REST {host}: {e}"))?;
        let _ = s.set_nodelay(true);
        conns.push(BufReader::new(s));
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for mut conn in conns {
        let (host, path) = (host.clone(), path.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per_task);
            let mut errors = 0;
            for _ in 0..per_task {
                let t0 = Instant::now();
                match http_get(&mut conn, &host, &path).await {
                    Ok(200) => lat.push(t0.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        break;
                    }
                }
            }
            (lat, errors)
        }));
    }
    collect("REST", tasks, start).await
}

fn main() {
    let a = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let info: serde_json::Value = match std::fs::read(&a.localnet)
        .map_err(|e| e.to_string())
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "error: cannot read {}: {e} (start one with localnet/up.sh)",
                a.localnet
            );
            std::process::exit(1);
        }
    };
    let s = |p: &str| {
        info.pointer(p)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let (grpc, rest, address) = (
        format!("http://{}", s("/nodes/0/grpc")),
        s("/nodes/0/rest"),
        s("/accounts/0/address"),
    );
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    let result: Result<(), String> = rt.block_on(async {
        // Warm up both paths.
        let warm = Args {
            localnet: String::new(),
            concurrency: a.concurrency,
            requests: a.concurrency * 20,
        };
        bench_grpc(grpc.clone(), address.clone(), &warm).await?;
        bench_rest(rest.clone(), address.clone(), &warm).await?;
        println!(
            "Balance queries, {} requests per transport, against {}",
            a.requests, a.localnet
        );
        println!(
            "| path  | concurrency | requests | errors | throughput/s | p50 (ms) | p99 (ms) |"
        );
        println!(
            "|-------|-------------|----------|--------|--------------|----------|----------|"
        );
        bench_grpc(grpc, address.clone(), &a)
            .await?
            .print(a.concurrency);
        bench_rest(rest, address, &a).await?.print(a.concurrency);
        Ok(())
    });
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
