//! Load generator for the committed-TPS benchmark (bench/tps.sh).
//!
//!   deai-loadgen deai    --rpc URL --localnet localnet.json --txs N --senders S
//!   deai-loadgen kvstore --rpc URL --txs N --senders S
//!
//! Both modes load a node the same way: S concurrent streams, each broadcasting its own
//! pre-built txs in order with broadcast_tx_sync. Committed TPS is the number of load txs
//! in the blocks that carried them, divided by the time between those blocks' headers.

use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::bank::v1beta1::{Input, MsgMultiSend, MsgSend, Output};
use deai_rpc::HttpClient;
use tendermint_rpc::Client;

use deai_client::keys::AccountKey;
use deai_client::rpc::NodeClient;
use deai_client::txbuilder::{coin, sign_tx, to_any, TxParams};
use deai_framework::{Address, Coins};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn params(chain_id: &str, account_number: u64, sequence: u64) -> TxParams {
    TxParams {
        chain_id: chain_id.into(),
        account_number,
        sequence,
        fee: Coins::parse("2500udeai").unwrap_or_default(),
        gas_limit: 100_000,
        memo: String::new(),
        timeout_height: 0,
    }
}

/// Funds `senders` fresh accounts from the first demo account and returns their keys.
async fn fund_senders(
    node: &NodeClient,
    localnet: &serde_json::Value,
    senders: usize,
) -> anyhow::Result<Vec<AccountKey>> {
    let mnemonic = localnet["accounts"][0]["mnemonic"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no demo account"))?;
    let funder = AccountKey::from_mnemonic(mnemonic)?;
    let chain_id = localnet["chain_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let acct = node
        .account(&funder.address())
        .await?
        .ok_or_else(|| anyhow::anyhow!("funder missing"))?;
    let keys: Vec<AccountKey> = (0..senders)
        .map(|_| AccountKey::generate().map(|(_, k)| k))
        .collect::<Result<_, _>>()?;
    let each = 10_000_000_000u128;
    let msg = to_any(&MsgMultiSend {
        inputs: vec![Input {
            address: funder.address().to_bech32(),
            coins: vec![coin("udeai", each * senders as u128)],
        }],
        outputs: keys
            .iter()
            .map(|k| Output {
                address: k.address().to_bech32(),
                coins: vec![coin("udeai", each)],
            })
            .collect(),
    });
    let mut p = params(&chain_id, acct.account_number, acct.sequence);
    p.gas_limit = 100_000 + 40_000 * senders as u64;
    p.fee = Coins::parse(&format!("{}udeai", p.gas_limit / 40 + 1))
        .map_err(|e| anyhow::anyhow!(e.log))?;
    let r = node.broadcast_sync(sign_tx(&funder, vec![msg], &p)).await?;
    anyhow::ensure!(r.code == 0, "funding rejected: {}", r.raw_log);
    let done = node.wait_tx(&r.txhash, Duration::from_secs(60)).await?;
    anyhow::ensure!(done.code == 0, "funding failed: {}", done.raw_log);
    Ok(keys)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).cloned().unwrap_or_default();
    let rpc = arg(&args, "--rpc").unwrap_or_else(|| "http://127.0.0.1:26601".into());
    let total: usize = arg(&args, "--txs").map_or(Ok(20_000), |s| s.parse())?;
    let senders: usize = arg(&args, "--senders").map_or(Ok(32), |s| s.parse())?;
    let per = total / senders;

    // Pre-build every tx, so that signing is not measured.
    let streams: Vec<Vec<Vec<u8>>> = match mode.as_str() {
        "deai" => {
            let path = arg(&args, "--localnet")
                .ok_or_else(|| anyhow::anyhow!("--localnet FILE needed"))?;
            let localnet: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
            let node = NodeClient::new(&rpc)?;
            let keys = fund_senders(&node, &localnet, senders).await?;
            let chain_id = localnet["chain_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let sink = Address::from_bytes(&[0xAB; 20]).map_err(|e| anyhow::anyhow!(e.log))?;
            let mut streams = Vec::new();
            for k in &keys {
                let acct = node
                    .account(&k.address())
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("sender missing"))?;
                let msg = to_any(&MsgSend {
                    from_address: k.address().to_bech32(),
                    to_address: sink.to_bech32(),
                    amount: vec![coin("udeai", 1)],
                });
                streams.push(
                    (0..per as u64)
                        .map(|s| {
                            sign_tx(
                                k,
                                vec![msg.clone()],
                                &params(&chain_id, acct.account_number, s),
                            )
                        })
                        .collect(),
                );
            }
            streams
        }
        "kvstore" => (0..senders)
            .map(|s| {
                (0..per)
                    .map(|i| format!("load{s}x{i}=v{i}").into_bytes())
                    .collect()
            })
            .collect(),
        _ => anyhow::bail!(
            "usage: deai-loadgen deai|kvstore --rpc URL [--localnet FILE] [--txs N] [--senders S]"
        ),
    };

    let http = HttpClient::new(rpc.as_str())?;
    let start_height = http.status().await?.sync_info.latest_block_height.value();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for stream in streams {
        let rpc = rpc.clone();
        tasks.push(tokio::spawn(async move {
            let c = HttpClient::new(rpc.as_str()).map_err(|e| anyhow::anyhow!("{e}"))?;
            let mut accepted = 0usize;
            for tx in stream {
                let r = c
                    .broadcast_tx_sync(tx)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                if r.code.is_ok() {
                    accepted += 1;
                }
            }
            anyhow::Ok(accepted)
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += t.await??;
    }
    let sent_secs = started.elapsed().as_secs_f64();
    // Wait for the mempool to drain: two empty blocks in a row after the load.
    let deadline = Instant::now() + Duration::from_secs(180);
    let mut empty_in_a_row = 0;
    let mut seen = start_height;
    while empty_in_a_row < 2 && Instant::now() < deadline {
        let h = http.status().await?.sync_info.latest_block_height.value();
        for height in seen + 1..=h {
            let b = http
                .block(tendermint::block::Height::try_from(height)?)
                .await?;
            empty_in_a_row = if b.block.data.is_empty() {
                empty_in_a_row + 1
            } else {
                0
            };
        }
        seen = h;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let end_height = http.status().await?.sync_info.latest_block_height.value();

    // Blocks that carried load: from the first with txs to the last with txs.
    let mut first: Option<(u64, tendermint::Time)> = None;
    let mut last: Option<(u64, tendermint::Time)> = None;
    let mut committed = 0usize;
    for h in start_height + 1..=end_height {
        let b = http.block(tendermint::block::Height::try_from(h)?).await?;
        let n = b.block.data.len();
        if n > 0 {
            committed += n;
            if first.is_none() {
                // The interval starts at the previous block, when this block's txs began to count.
                let prev = http
                    .block(tendermint::block::Height::try_from(h - 1)?)
                    .await?;
                first = Some((h - 1, prev.block.header.time));
            }
            last = Some((h, b.block.header.time));
        }
    }
    let (Some((h0, t0)), Some((h1, t1))) = (first, last) else {
        anyhow::bail!("no load tx was committed");
    };
    let secs = t1
        .duration_since(t0)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .as_secs_f64();
    let tps = committed as f64 / secs.max(1e-9);
    println!(
        "{{\"mode\":\"{mode}\",\"sent\":{},\"accepted\":{accepted},\"committed\":{committed},\"blocks\":{},\"seconds\":{secs:.3},\"send_seconds\":{sent_secs:.3},\"committed_tps\":{tps:.1}}}",
        per * senders,
        h1 - h0
    );
    Ok(())
}
