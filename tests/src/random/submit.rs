//! Signing random txs locally and broadcasting them (CheckTx only, `broadcast_tx_sync`) to
//! the nodes: each account is pinned to one node, whose mempool knows its pending
//! sequence, and keeps its own sequence (consumed only when CheckTx accepts).

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use deai_client::keys::AccountKey;
use deai_client::rpc::NodeClient;
use deai_client::txbuilder::{coin, sign_tx, to_any, tx_hash, TxParams};
use deai_framework::Coins;

use super::gen::{World, MODULES};
use super::Rng;
use crate::{rt, Localnet};

/// The node's minimum gas price, 0.025udeai, as a fraction.
const GAS_PRICE: (u64, u64) = (25, 1000);

pub struct Acct {
    pub key: AccountKey,
    pub addr: String,
    pub number: u64,
    pub seq: u64,
    pub node: usize,
}

/// What was submitted: per module, what CheckTx refused (and why) and which txs it accepted.
#[derive(Default)]
pub struct Submitted {
    pub by_module: BTreeMap<&'static str, u64>,
    pub rejected_by_module: BTreeMap<&'static str, u64>,
    /// `tweak → refused` and `tweak → submitted`, the tx-level mischief of each tx.
    pub tweaks: BTreeMap<&'static str, (u64, u64)>,
    /// `codespace/code: log head` of CheckTx refusals, and RPC errors.
    pub reasons: BTreeMap<String, u64>,
    /// Upper-case hex hash → (module, label) of each tx CheckTx accepted.
    pub accepted: HashMap<String, (&'static str, &'static str)>,
}

impl Submitted {
    pub fn total(&self) -> u64 {
        self.by_module.values().sum()
    }

    fn merge(&mut self, o: Submitted) {
        for (k, v) in o.by_module {
            *self.by_module.entry(k).or_default() += v;
        }
        for (k, v) in o.rejected_by_module {
            *self.rejected_by_module.entry(k).or_default() += v;
        }
        for (k, (r, s)) in o.tweaks {
            let e = self.tweaks.entry(k).or_default();
            e.0 += r;
            e.1 += s;
        }
        for (k, v) in o.reasons {
            *self.reasons.entry(k).or_default() += v;
        }
        self.accepted.extend(o.accepted);
    }
}

/// `n` fresh accounts (keys from `seed`), funded by demo account 0 in one tx, pinned to the
/// nodes round-robin.
pub fn funded_accounts(net: &Localnet, nodes: usize, n: usize, seed: u64, each: u128) -> Vec<Acct> {
    use sha2::Digest;
    let keys: Vec<AccountKey> = (0..n)
        .map(|i| {
            let secret = sha2::Sha256::digest(format!("deai random run {seed} account {i}"));
            AccountKey::from_bytes(&secret).expect("a valid secret")
        })
        .collect();
    let funder = net.demo_key(0);
    let (number, sequence) = crate::account_of(net, 0, &funder);
    let msgs = keys
        .iter()
        .map(|k| {
            to_any(&cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
                from_address: funder.address().to_bech32(),
                to_address: k.address().to_bech32(),
                amount: vec![coin("udeai", each)],
            })
        })
        .collect();
    let gas = 200_000 + 60_000 * n as u64;
    let tx = sign_tx(
        &funder,
        msgs,
        &TxParams {
            chain_id: net.chain_id(),
            account_number: number,
            sequence,
            fee: Coins::parse(&format!("{}udeai", gas / 20)).expect("a coin"),
            gas_limit: gas,
            memo: String::new(),
            timeout_height: 0,
        },
    );
    let client = net.client(0);
    let rt = rt();
    let r = rt
        .block_on(client.broadcast_sync(tx))
        .expect("node 0 answers");
    assert_eq!(r.code, 0, "funding tx refused: {}", r.raw_log);
    let done = rt
        .block_on(client.wait_tx(&r.txhash, Duration::from_secs(60)))
        .expect("the funding tx commits");
    assert_eq!(done.code, 0, "funding tx failed: {}", done.raw_log);
    keys.into_iter()
        .enumerate()
        .map(|(i, key)| {
            let node = i % nodes;
            let (number, seq) = crate::account_of(net, node, &key);
            Acct {
                addr: key.address().to_bech32(),
                key,
                number,
                seq,
                node,
            }
        })
        .collect()
}

/// Random memo of about `bytes` bytes, sometimes of two-byte characters unless `ascii`.
fn memo(rng: &mut Rng, bytes: u64, ascii: bool) -> String {
    if !ascii && rng.pct(20) {
        "é".repeat((bytes / 2) as usize)
    } else {
        (0..bytes)
            .map(|_| (b'a' + rng.below(26) as u8) as char)
            .collect()
    }
}

/// Signs `per_account` random txs for each of `accts` (all pinned to node `rpc`) and
/// broadcasts them, interleaving the accounts.
pub fn submit_round(
    world: &World,
    chain_id: &str,
    rpc: &str,
    accts: &mut [Acct],
    per_account: usize,
    mut rng: Rng,
) -> Submitted {
    let rt = rt();
    let client = NodeClient::new(rpc).expect("rpc address");
    let mut out = Submitted::default();
    let others: Vec<String> = world.accounts.clone();
    for _ in 0..per_account {
        for a in accts.iter_mut() {
            let roll = rng.below(1000);
            let tweak = match roll {
                0..=14 => "undecodable-bytes",
                15..=44 => "wrong-signer",
                45..=74 => "wrong-sequence",
                75..=144 => "fee-below-min-gas-price",
                145..=224 => "gas-too-low",
                225..=254 => "memo-too-long",
                _ => "none",
            };
            let module = *rng.pick(&MODULES);
            let (module, label, creates, tx) = if tweak == "undecodable-bytes" {
                let n = rng.range(1, 300) as usize;
                ("(none)", "undecodable", None, rng.bytes(n))
            } else {
                let signer = if tweak == "wrong-signer" {
                    rng.pick(&others).clone()
                } else {
                    a.addr.clone()
                };
                let built = world.build(module, &signer, &mut rng);
                let gas = match tweak {
                    "gas-too-low" => rng.range(1_000, 80_000),
                    _ => built.min_gas.max(rng.range(150_000, 1_500_000)),
                };
                let need = (gas * GAS_PRICE.0).div_ceil(GAS_PRICE.1);
                let fee = match tweak {
                    "fee-below-min-gas-price" => need * rng.range(0, 95) / 100,
                    _ => need + rng.below(need * 2 + 1),
                };
                let memo_len = match tweak {
                    "memo-too-long" => rng.range(257, 400),
                    _ if rng.pct(10) => rng.range(64, 256),
                    _ => rng.below(64),
                };
                let sequence = match tweak {
                    "wrong-sequence" if a.seq > 0 && rng.pct(50) => a.seq - 1,
                    "wrong-sequence" => a.seq + rng.range(1, 3),
                    _ => a.seq,
                };
                let params = TxParams {
                    chain_id: chain_id.into(),
                    account_number: a.number,
                    sequence,
                    fee: if fee == 0 {
                        Coins::default()
                    } else {
                        Coins::parse(&format!("{fee}udeai")).expect("a coin")
                    },
                    gas_limit: gas,
                    memo: memo(&mut rng, memo_len, tweak == "memo-too-long"),
                    timeout_height: 0,
                };
                let tx = sign_tx(&a.key, built.msgs, &params);
                (built.module, built.label, built.creates, tx)
            };
            *out.by_module.entry(module).or_default() += 1;
            out.tweaks.entry(tweak).or_default().1 += 1;
            let hash = tx_hash(&tx);
            let refused = match rt.block_on(client.broadcast_sync(tx)) {
                Ok(r) if r.code == 0 => {
                    a.seq += 1;
                    if let Some(o) = creates {
                        world.ids.created(o);
                    }
                    out.accepted.insert(hash, (module, label));
                    None
                }
                Ok(r) => Some(format!("{}/{}", r.codespace, r.code)),
                Err(e) => Some(format!(
                    "rpc: {}",
                    e.to_string().chars().take(60).collect::<String>()
                )),
            };
            if let Some(reason) = refused {
                *out.rejected_by_module.entry(module).or_default() += 1;
                out.tweaks.entry(tweak).or_default().0 += 1;
                *out.reasons.entry(reason).or_default() += 1;
            }
        }
    }
    out
}

/// Runs `rounds` rounds of `per_account` txs per account, the accounts of each node (
/// `by_node[i]`) from one thread per node; between rounds, waits for the mempools to empty
/// and re-reads every account's sequence.
pub fn run_rounds(
    net: &Localnet,
    world: &World,
    by_node: &mut [Vec<Acct>],
    rounds: u64,
    per_account: usize,
    seed: u64,
) -> Submitted {
    let chain_id = net.chain_id();
    let mut all = Submitted::default();
    for round in 0..rounds {
        let started = Instant::now();
        let results: Vec<Submitted> = std::thread::scope(|sc| {
            let handles: Vec<_> = by_node
                .iter_mut()
                .enumerate()
                .map(|(node, mine)| {
                    let rpc = net.rpc(node);
                    let chain_id = &chain_id;
                    let rng = Rng::derive(seed, round, node as u64);
                    sc.spawn(move || submit_round(world, chain_id, &rpc, mine, per_account, rng))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a submitting thread panicked"))
                .collect()
        });
        let sent: u64 = results.iter().map(Submitted::total).sum();
        for r in results {
            all.merge(r);
        }
        wait_mempools_empty(net, by_node.len(), Duration::from_secs(180));
        // A tx CheckTx accepted may still fail its ante in the block, or leave a mempool on
        // recheck: the chain's sequence is the truth.
        for a in by_node.iter_mut().flatten() {
            a.seq = crate::account_of(net, a.node, &a.key).1;
        }
        println!(
            "round {round}: {sent} txs submitted and drained in {:.1?} (height {})",
            started.elapsed(),
            net.height(0)
        );
    }
    all
}

/// Waits until no node has a tx in its mempool.
pub fn wait_mempools_empty(net: &Localnet, nodes: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        // tendermint-rpc has no /num_unconfirmed_txs.
        let pending: Vec<u64> = (0..nodes)
            .map(|i| {
                let (_, v) = crate::curl_json(
                    "GET",
                    &format!("{}/num_unconfirmed_txs", net.rpc(i)),
                    None,
                    &[],
                );
                v["result"]["total"]
                    .as_str()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(u64::MAX)
            })
            .collect();
        if pending.iter().all(|&n| n == 0) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "mempools still hold {pending:?} txs after {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
