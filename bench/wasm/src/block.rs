//! Part 2: executes per second in FinalizeBlock. deaid's `App` on the node's store (fjall,
//! `deaid init`'s default, or sled with `--store sled`; a temp dir) with N
//! genesis accounts; the agent marketplace stored and instantiated by txs, then one block
//! of N signed MsgExecuteContract txs per step of the agent flow (N distinct senders, so
//! every tx of a block runs against the same contract), and a block of N MsgSend for
//! comparison. Each block goes through `finalize_block` and `commit` as CometBFT drives
//! them, without CheckTx (signatures are verified in the block, in parallel, as for a
//! block from another proposer).

use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use cosmos_sdk_proto::Any;
use deai_bench_common::exec::DENOM;
use deai_client::keys::AccountKey;
use deai_client::txbuilder::{coin, sign_tx, to_any, TxParams};
use deai_framework::Coins;
use deaid::node::{App, NodeSettings};
use deaid::store::{open_backend, Storage, StorageConfig};
use prost::bytes::Bytes;
use serde_json::json;
use tendermint_proto::v0_38::abci;

use crate::vm::{agent_init, artifact};

const CHAIN: &str = "deai-bench";
/// Gas limit of each contract call (they use about 100k–130k) and its fee at 0.025udeai.
const EXEC_GAS: u64 = 400_000;
const STORE_TX_GAS: u64 = 10_000_000;

pub struct BlockRow {
    pub what: String,
    pub gas_per_tx: u64,
    pub finalize: Duration,
    pub commit: Duration,
}

pub struct Report {
    /// The store backend: fjall or sled.
    pub store: String,
    pub txs: usize,
    pub rounds: usize,
    pub blocks: Vec<BlockRow>,
}

struct Chain {
    app: App,
    keys: Vec<AccountKey>,
    seq: Vec<u64>,
    height: i64,
    _dir: tempfile::TempDir,
}

impl Chain {
    fn new(n: usize, backend: &str) -> Self {
        let keys: Vec<AccountKey> = (0..n)
            .map(|i| {
                let mut seed = [9u8; 32];
                seed[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
                AccountKey::from_bytes(&seed).expect("a key")
            })
            .collect();
        let dir = tempfile::Builder::new()
            .prefix("wasm-bench-app")
            .tempdir()
            .expect("temp dir");
        let storage = Storage::open(
            open_backend(backend, dir.path()).expect("the node's store"),
            StorageConfig::default(),
        )
        .expect("storage");
        // The vm's cache in a temp dir of the app's own (NodeSettings::wasm_dir None).
        let app = App::new(storage, NodeSettings::default()).expect("app");
        let accounts: Vec<_> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                json!({"@type": "/cosmos.auth.v1beta1.BaseAccount",
                "address": k.address().to_bech32(), "pub_key": null,
                "account_number": i.to_string(), "sequence": "0"})
            })
            .collect();
        let balances: Vec<_> = keys
            .iter()
            .map(|k| {
                json!({"address": k.address().to_bech32(),
                "coins": [{"denom": DENOM, "amount": "1000000000000"}]})
            })
            .collect();
        let state = json!({"auth": {"accounts": accounts}, "bank": {"balances": balances}});
        app.init_chain(abci::RequestInitChain {
            chain_id: CHAIN.into(),
            app_state_bytes: Bytes::from(serde_json::to_vec(&state).expect("json")),
            ..Default::default()
        });
        Self {
            app,
            seq: vec![0; n],
            keys,
            height: 0,
            _dir: dir,
        }
    }

    fn tx(&mut self, i: usize, msg: Any, gas: u64) -> Bytes {
        let p = TxParams {
            chain_id: CHAIN.into(),
            account_number: i as u64,
            sequence: self.seq[i],
            fee: Coins::parse(&format!("{}{DENOM}", gas.div_ceil(40))).expect("fee"),
            gas_limit: gas,
            memo: String::new(),
            timeout_height: 0,
        };
        self.seq[i] += 1;
        Bytes::from(sign_tx(&self.keys[i], vec![msg], &p))
    }

    /// Finalizes and commits a block of `txs`; every tx must succeed. The two times and the
    /// mean gas used per tx.
    fn block(&mut self, what: &str, txs: Vec<Bytes>) -> (Duration, Duration, u64) {
        self.height += 1;
        let n = txs.len().max(1) as u64;
        let t = Instant::now();
        let res = self.app.finalize_block(abci::RequestFinalizeBlock {
            txs,
            height: self.height,
            ..Default::default()
        });
        let finalize = t.elapsed();
        if let Some(bad) = res.tx_results.iter().find(|r| r.code != 0) {
            panic!(
                "{what}: a tx failed: code {} ({}): {}",
                bad.code, bad.codespace, bad.log
            );
        }
        let t = Instant::now();
        self.app.commit();
        let commit = t.elapsed();
        let gas: i64 = res.tx_results.iter().map(|r| r.gas_used).sum();
        (finalize, commit, gas as u64 / n)
    }

    fn sender(&self, i: usize) -> String {
        self.keys[i].address().to_bech32()
    }
}

fn execute(sender: &str, contract: &str, msg: serde_json::Value, funds: u128) -> Any {
    to_any(&pb::MsgExecuteContract {
        sender: sender.into(),
        contract: contract.into(),
        msg: msg.to_string().into_bytes(),
        funds: if funds == 0 {
            vec![]
        } else {
            vec![coin(DENOM, funds)]
        },
    })
}

/// A block kind's samples: its name, FinalizeBlock and Commit times, gas per tx.
type Samples = (String, Vec<Duration>, Vec<Duration>, Vec<u64>);

/// Median of a few durations.
fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// `rounds` rounds of the agent flow, each by N accounts of their own (N agents hired by
/// the N clients of the same set, client i hiring agent i+1), one block per step.
pub fn measure(n: usize, rounds: usize, backend: &str) -> Report {
    let n = n.max(2);
    let rounds = rounds.max(1);
    let mut c = Chain::new(n * rounds, backend);
    // The contract: stored and instantiated by account 0, one block each (not measured).
    let store = to_any(&pb::MsgStoreCode {
        sender: c.sender(0),
        wasm_byte_code: artifact("agent-marketplace"),
        instantiate_permission: None,
    });
    let tx = c.tx(0, store, STORE_TX_GAS);
    c.block("store", vec![tx]);
    let arbiter = c.keys[0].address();
    let init = to_any(&pb::MsgInstantiateContract {
        sender: c.sender(0),
        admin: String::new(),
        code_id: 1,
        label: "agent-marketplace".into(),
        msg: agent_init(&arbiter).to_string().into_bytes(),
        funds: vec![],
    });
    let tx = c.tx(0, init, EXEC_GAS);
    c.block("instantiate", vec![tx]);
    let contract = deai_wasm::address::classic(1, 1)
        .expect("address")
        .to_bech32();

    let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    type Step<'a> = (
        &'a str,
        &'a dyn Fn(&Chain, usize, usize) -> (serde_json::Value, u128),
    );
    // Account `base + i` is client i and agent i of its round; client i hires agent i+1,
    // and its job is the i-th of the round's hire block (ids count from 1 over rounds).
    let job = |base: usize, i: usize| (base + i + 1) as u64;
    let steps: [Step; 5] = [
        ("register_agent (bond sent)", &|_, _, i| {
            (
                json!({"register_agent": {"name": format!("agent{i}"),
                    "capabilities": ["summarize"], "endpoint": "https://a.example",
                    "price": "250"}}),
                1_000,
            )
        }),
        ("hire (escrow sent)", &|c, base, i| {
            (
                json!({"hire": {"agent": c.sender(base + (i + 1) % n), "task": "summarize",
                    "delivery_blocks": 10}}),
                250,
            )
        }),
        ("deliver", &|_, base, j| {
            // Agent j was hired by client j-1.
            (
                json!({"deliver": {"job_id": job(base, (j + n - 1) % n),
                    "result_hash": hash, "result_uri": "ipfs://r"}}),
                0,
            )
        }),
        ("accept (pays the agent)", &|_, base, i| {
            (json!({"accept": {"job_id": job(base, i)}}), 0)
        }),
        ("rate", &|_, base, i| {
            (json!({"rate": {"job_id": job(base, i), "stars": 5}}), 0)
        }),
    ];
    // Per step (and the MsgSend block last): FinalizeBlock and Commit times, gas per tx.
    let mut samples: Vec<Samples> = steps
        .iter()
        .map(|(what, _)| format!("MsgExecuteContract: {what}"))
        .chain(["MsgSend (for comparison)".to_string()])
        .map(|w| (w, vec![], vec![], vec![]))
        .collect();
    for round in 0..rounds {
        let base = round * n;
        for (k, (what, msg)) in steps.iter().enumerate() {
            let txs: Vec<Bytes> = (0..n)
                .map(|i| {
                    let (m, funds) = msg(&c, base, i);
                    let any = execute(&c.sender(base + i), &contract, m, funds);
                    c.tx(base + i, any, EXEC_GAS)
                })
                .collect();
            let (finalize, commit, gas) = c.block(what, txs);
            samples[k].1.push(finalize);
            samples[k].2.push(commit);
            samples[k].3.push(gas);
        }
        // For comparison: MsgSend on the same app and state.
        let txs: Vec<Bytes> = (0..n)
            .map(|i| {
                let any = to_any(&MsgSend {
                    from_address: c.sender(base + i),
                    to_address: c.sender(base + (i + 1) % n),
                    amount: vec![coin(DENOM, 1)],
                });
                c.tx(base + i, any, 100_000)
            })
            .collect();
        let (finalize, commit, gas) = c.block("send", txs);
        let last = samples.len() - 1;
        samples[last].1.push(finalize);
        samples[last].2.push(commit);
        samples[last].3.push(gas);
    }
    let blocks = samples
        .into_iter()
        .map(|(what, f, cm, gas)| BlockRow {
            what,
            gas_per_tx: gas.iter().sum::<u64>() / gas.len().max(1) as u64,
            finalize: median(f),
            commit: median(cm),
        })
        .collect();
    Report {
        store: backend.to_string(),
        txs: n,
        rounds,
        blocks,
    }
}
