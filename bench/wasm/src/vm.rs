//! Part 1: the vm itself (`deai_wasm::vm::WasmVm`) on the framework's in-memory store, each
//! call run on a `Ctx` overlay with a gas meter as a tx runs it: store; the first
//! instantiate of a code by the state of the vm's cache; every execute of both contracts'
//! flows, unpinned and pinned; smart queries under wasmd's smart-query gas limit.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_bank::BankWrite;
use deai_bench_common::exec::{block, DENOM};
use deai_bench_common::stats::Summary;
use deai_framework::state::WriteSet;
use deai_framework::{Address, Coin, Coins, Ctx, GasMeter, MemStore, StateRead, TxError};
use deai_wasm::vm::{DeaiQuerier, DeaiQuery, Instantiate, TxInfo, WasmVm, SMART_QUERY_GAS_LIMIT};
use deai_wasm::{StoreCode, WasmWrite};
use serde_json::{json, Value};

/// The gas limit of each measured tx (the calls use far less; it only bounds the vm).
pub const TX_GAS: u64 = 20_000_000;
/// MsgStoreCode's limit (3 gas per byte of a ~400 KB code, plus the checks).
pub const STORE_GAS: u64 = 100_000_000;
/// The model the double of the inference module answers for.
pub const MODEL_ID: u64 = 1;

/// A built contract of wasm-contracts/artifacts.
pub fn artifact(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../wasm-contracts/artifacts")
        .join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}. Build the contracts first: wasm-contracts/build.sh",
            path.display()
        )
    })
}

/// Account `i` (20 bytes of `i`).
pub fn addr(i: u8) -> Address {
    Address::from_bytes(&[i; 20]).expect("20 bytes")
}

fn coins(amount: u128) -> Coins {
    if amount == 0 {
        return Coins::empty();
    }
    Coins::new(vec![Coin::new(DENOM, amount).expect("coin")]).expect("coins")
}

fn proto_coins(amount: u128) -> Vec<ProtoCoin> {
    if amount == 0 {
        return vec![];
    }
    vec![deai_bench_common::exec::coin(amount)]
}

/// The inference module's answer to the model marketplace, as a double: model [`MODEL_ID`]
/// exists, owned by `owner`, evaluated at 90%. It reads no state, so the node's answer
/// costs more gas by its reads (see the FinalizeBlock part and docs/wasm.md).
pub struct BenchDeai {
    pub owner: String,
}

impl DeaiQuerier for BenchDeai {
    fn query(&self, _: &dyn StateRead, q: &DeaiQuery) -> Result<Result<Value, String>, TxError> {
        Ok(Ok(match q {
            DeaiQuery::InferenceModel { id } if *id == MODEL_ID => json!({"model": {
                "id": MODEL_ID, "owner": self.owner, "name": "digits",
                "eval_score_bps": 9000, "active": true,
                "weights_sha256": "11".repeat(32)}}),
            DeaiQuery::InferenceModel { .. } => json!({"model": null}),
            DeaiQuery::ComputeProvider { .. } => json!({"provider": null}),
            DeaiQuery::TrainingLineage { .. } => json!({"lineage": null}),
        }))
    }
}

/// One call: its gas, its wall time and its writes.
pub struct Run {
    pub gas: u64,
    pub elapsed: Duration,
    pub writes: WriteSet,
}

/// Runs `f` at `height` on an overlay of `state` with a meter of `limit`, timing the whole
/// call (the overlay's writes collected included); `state` is only read.
pub fn run<T>(
    state: &dyn StateRead,
    height: u64,
    limit: u64,
    f: impl FnOnce(&mut Ctx) -> Result<T, TxError>,
) -> Result<Run, TxError> {
    let b = block(height);
    let meter = GasMeter::new(limit);
    let start = Instant::now();
    let mut ctx = Ctx::new(state, &meter, &b);
    f(&mut ctx)?;
    let (writes, _events) = ctx.finish();
    let elapsed = start.elapsed();
    Ok(Run {
        gas: meter.consumed(),
        elapsed,
        writes,
    })
}

/// Repeats `call` `warm_up` times untimed and `runs` times timed; every run must use the
/// same gas (the vm meters deterministically). The gas, the timed runs' summary and the
/// last run's writes.
pub fn repeat(
    what: &str,
    warm_up: usize,
    runs: usize,
    mut call: impl FnMut() -> Result<Run, TxError>,
) -> (u64, Summary, WriteSet) {
    let mut gas = None;
    let mut times = Vec::with_capacity(runs);
    let mut last = WriteSet::new();
    for i in 0..warm_up + runs.max(1) {
        let r = call().unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(
            *gas.get_or_insert(r.gas),
            r.gas,
            "{what}: gas differs between runs"
        );
        if i >= warm_up {
            times.push(r.elapsed);
        }
        last = r.writes;
    }
    (
        gas.expect("at least one run"),
        Summary::of(&times).expect("at least one run"),
        last,
    )
}

/// A vm whose cache lives in a temp dir of its own (or in `dir`).
pub struct Vm {
    pub vm: WasmVm,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl Vm {
    pub fn fresh(deai: &str) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("wasm-bench")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().join("wasm");
        Self {
            vm: WasmVm::new(&dir, querier(deai)),
            dir,
            _tmp: Some(tmp),
        }
    }

    /// A new vm (an empty memory cache) on the cache directory of `other`.
    pub fn on_dir_of(other: &Vm, deai: &str) -> Self {
        Self {
            vm: WasmVm::new(&other.dir, querier(deai)),
            dir: other.dir.clone(),
            _tmp: None,
        }
    }
}

fn querier(owner: &str) -> Box<dyn DeaiQuerier> {
    Box::new(BenchDeai {
        owner: owner.to_string(),
    })
}

pub fn store_msg(sender: &Address, wasm: &[u8]) -> StoreCode {
    StoreCode::try_from(pb::MsgStoreCode {
        sender: sender.to_bech32(),
        wasm_byte_code: wasm.to_vec(),
        instantiate_permission: None,
    })
    .expect("a valid MsgStoreCode")
}

pub fn instantiate_msg(sender: &Address, code_id: u64, msg: &Value) -> Instantiate {
    Instantiate {
        sender: sender.clone(),
        admin: Some(sender.clone()),
        code_id,
        label: "bench".into(),
        msg: msg.to_string().into_bytes(),
        funds: Coins::empty(),
        salt: None,
    }
}

pub fn instantiate(vm: &WasmVm, ctx: &mut Ctx, m: &Instantiate) -> Result<Address, TxError> {
    use prost::Message;
    let any = vm.instantiate(ctx, TxInfo { index: 0 }, m)?;
    let r = pb::MsgInstantiateContractResponse::decode(any.value.as_slice())
        .map_err(|e| deai_framework::sdk::internal(format!("instantiate response: {e}")))?;
    Address::from_bech32(&r.address)
}

pub fn execute_msg(
    sender: &Address,
    contract: &Address,
    msg: &Value,
    funds: u128,
) -> pb::MsgExecuteContract {
    pb::MsgExecuteContract {
        sender: sender.to_bech32(),
        contract: contract.to_bech32(),
        msg: msg.to_string().into_bytes(),
        funds: proto_coins(funds),
    }
}

pub fn agent_init(arbiter: &Address) -> Value {
    json!({"arbiter": arbiter.to_bech32(), "denom": DENOM, "min_bond": "1000",
        "dispute_window_blocks": 20, "max_delivery_blocks": 100, "slash_bps": 5000,
        "reputation_half_life_blocks": 1000})
}

pub fn model_init(fee_collector: &Address) -> Value {
    json!({"denom": DENOM, "name": "deai licences", "symbol": "DEAILIC", "fee_bps": 250,
        "fee_collector": fee_collector.to_bech32(), "min_eval_score_bps": 5000,
        "ranking_weights": {"eval_bps": 5000, "usage_bps": 2500, "rating_bps": 2500},
        "usage_half": 10})
}

/// How many times each figure is measured.
#[derive(Clone, Copy, Debug)]
pub struct Counts {
    /// Timed runs of each cached call (after `warm_up` untimed ones).
    pub runs: usize,
    pub warm_up: usize,
    /// Runs of each store and of each cold / disk-cached first instantiate (a new vm each).
    pub cold_runs: usize,
}

pub struct StoreRow {
    pub contract: &'static str,
    pub bytes: usize,
    pub gas: u64,
    pub time: Summary,
}

pub struct CacheRow {
    pub contract: &'static str,
    pub cache: &'static str,
    pub gas: u64,
    pub time: Summary,
}

pub struct CallRow {
    pub contract: &'static str,
    pub call: String,
    pub unpinned: (u64, Summary),
    pub pinned: (u64, Summary),
}

pub struct QueryRow {
    pub contract: &'static str,
    pub query: String,
    pub gas: u64,
    pub time: Summary,
}

#[derive(Default)]
pub struct Report {
    pub store: Vec<StoreRow>,
    pub cache: Vec<CacheRow>,
    pub calls: Vec<CallRow>,
    pub queries: Vec<QueryRow>,
}

/// One contract's chain twice: the same state without and with the code pinned, each
/// with its own vm (memory-cached; pinned).
struct Pair {
    contract_name: &'static str,
    unpinned: (MemStore, Vm),
    pinned: (MemStore, Vm),
    height: u64,
}

impl Pair {
    /// Measures `msg` (sent by `sender` with `funds`) on both and applies it to both.
    #[allow(clippy::too_many_arguments)]
    fn execute(
        &mut self,
        report: &mut Report,
        c: Counts,
        call: &str,
        contract: &Address,
        sender: &Address,
        msg: Value,
        funds: u128,
    ) {
        let m = execute_msg(sender, contract, &msg, funds);
        let height = self.height;
        let measure = |s: &mut MemStore, vm: &WasmVm, what: &str| {
            let (gas, time, writes) = repeat(what, c.warm_up, c.runs, || {
                run(&*s, height, TX_GAS, |ctx| {
                    vm.execute(ctx, TxInfo { index: 0 }, &m)
                })
            });
            s.apply(writes);
            (gas, time)
        };
        let unpinned = measure(&mut self.unpinned.0, &self.unpinned.1.vm, call);
        let pinned = measure(&mut self.pinned.0, &self.pinned.1.vm, call);
        report.calls.push(CallRow {
            contract: self.contract_name,
            call: call.to_string(),
            unpinned,
            pinned,
        });
    }

    fn query(&self, report: &mut Report, c: Counts, name: &str, contract: &Address, q: Value) {
        let (s, vm) = (&self.unpinned.0, &self.unpinned.1.vm);
        let bytes = q.to_string().into_bytes();
        let (gas, time, _) = repeat(name, c.warm_up, c.runs, || {
            run(s, self.height, SMART_QUERY_GAS_LIMIT, |ctx| {
                vm.query_smart(ctx, contract, &bytes)
            })
        });
        report.queries.push(QueryRow {
            contract: self.contract_name,
            query: name.to_string(),
            gas,
            time,
        });
    }
}

/// Store, then the first instantiate by cache state; returns the contract's [`Pair`] with
/// the contract instantiated (code 1, instance 1) in both states.
#[allow(clippy::too_many_arguments)]
fn deploy(
    report: &mut Report,
    c: Counts,
    name: &'static str,
    wasm: &[u8],
    creator: &Address,
    init: &Value,
    funded: &[(Address, u128)],
    deai: &str,
) -> (Pair, Address) {
    let store = store_msg(creator, wasm);
    // Store: each run on an empty state with a vm of its own (an empty cache dir): the
    // vm's checks, compilation and the save to disk, as every node does for a new code.
    let mut times = Vec::new();
    let mut gas = None;
    for _ in 0..c.cold_runs.max(1) {
        let vm = Vm::fresh(deai);
        let s = MemStore::new();
        let r = run(&s, 1, STORE_GAS, |ctx| vm.vm.store_code(ctx, &store))
            .unwrap_or_else(|e| panic!("store {name}: {e:?}"));
        assert_eq!(*gas.get_or_insert(r.gas), r.gas, "store {name}: gas");
        times.push(r.elapsed);
    }
    report.store.push(StoreRow {
        contract: name,
        bytes: wasm.len(),
        gas: gas.expect("a run"),
        time: Summary::of(&times).expect("a run"),
    });

    // The state every instantiate starts from: the code stored, accounts funded.
    let home = Vm::fresh(deai);
    let mut s = MemStore::new();
    let r = run(&s, 1, STORE_GAS, |ctx| home.vm.store_code(ctx, &store))
        .unwrap_or_else(|e| panic!("store {name}: {e:?}"));
    s.apply(r.writes);
    for (a, amount) in funded {
        s.mint_coins(a, &coins(*amount)).expect("mint");
    }
    let inst = instantiate_msg(creator, 1, init);
    let once = |vm: &WasmVm, s: &MemStore| run(s, 2, TX_GAS, |ctx| instantiate(vm, ctx, &inst));
    let mut cache_row = |cache: &'static str, gas: u64, time: Summary| {
        report.cache.push(CacheRow {
            contract: name,
            cache,
            gas,
            time,
        })
    };
    // Cold: a new vm on an empty cache dir; the code is in state only (a node that joined
    // by state sync, or whose cache dir was lost): saved, compiled, then instantiated.
    let (gas, time, _) = repeat("cold instantiate", 0, c.cold_runs, || {
        once(&Vm::fresh(deai).vm, &s)
    });
    cache_row(
        "cold: empty cache dir (compile + save + instantiate)",
        gas,
        time,
    );
    // Disk: a new vm on the dir `home` compiled into: the module deserialized from disk
    // (a node's first call to a code after a restart).
    let (gas, time, _) = repeat("disk instantiate", 0, c.cold_runs, || {
        once(&Vm::on_dir_of(&home, deai).vm, &s)
    });
    cache_row("disk cache, empty memory cache (load module)", gas, time);
    // Memory: the vm that stored the code, module in its memory cache, not pinned.
    let (gas, time, writes) = repeat("memory instantiate", c.warm_up, c.runs, || {
        once(&home.vm, &s)
    });
    cache_row("memory cache, unpinned", gas, time);
    // Pinned: the pinned flag in state (MsgPinCodes' effect) and the code pinned in the vm.
    let mut sp = s.clone();
    sp.set_pinned(1, true).expect("pin flag");
    let pinned_vm = Vm::on_dir_of(&home, deai);
    run(&sp, 1, TX_GAS, |ctx| {
        pinned_vm.vm.pin_codes(ctx, &[1], true)
    })
    .expect("pin the code");
    let (gas, time, writes_p) = repeat("pinned instantiate", c.warm_up, c.runs, || {
        once(&pinned_vm.vm, &sp)
    });
    cache_row("pinned", gas, time);

    s.apply(writes);
    sp.apply(writes_p);
    let contract = deai_wasm::address::classic(1, 1).expect("address");
    (
        Pair {
            contract_name: name,
            unpinned: (s, home),
            pinned: (sp, pinned_vm),
            height: 3,
        },
        contract,
    )
}

pub fn measure(c: Counts) -> Report {
    let mut report = Report::default();

    // The agent marketplace: register (bond) → hire (escrow) → deliver → accept (pays the
    // agent with a BankMsg::Send) → rate.
    let [creator, arbiter, agent, client] = [addr(1), addr(2), addr(3), addr(4)];
    let (mut p, contract) = deploy(
        &mut report,
        c,
        "agent-marketplace",
        &artifact("agent-marketplace"),
        &creator,
        &agent_init(&arbiter),
        &[(agent.clone(), 1_000_000), (client.clone(), 1_000_000)],
        "",
    );
    let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let steps = [
        (
            "register_agent (1,000 bond)",
            &agent,
            json!({"register_agent": {"name": "summarizer", "capabilities": ["summarize"],
                "endpoint": "https://a.example", "price": "250"}}),
            1_000,
        ),
        (
            "hire (250 escrowed)",
            &client,
            json!({"hire": {"agent": agent.to_bech32(), "task": "summarize",
                "delivery_blocks": 10}}),
            250,
        ),
        (
            "deliver",
            &agent,
            json!({"deliver": {"job_id": 1, "result_hash": hash, "result_uri": "ipfs://r"}}),
            0,
        ),
        (
            "accept (BankMsg::Send to the agent)",
            &client,
            json!({"accept": {"job_id": 1}}),
            0,
        ),
        (
            "rate",
            &client,
            json!({"rate": {"job_id": 1, "stars": 5}}),
            0,
        ),
    ];
    for (call, sender, msg, funds) in steps {
        p.execute(&mut report, c, call, &contract, sender, msg, funds);
        p.height += 1;
    }
    for (name, q) in [
        ("job", json!({"job": {"job_id": 1}})),
        (
            "reputation",
            json!({"reputation": {"agent": agent.to_bech32()}}),
        ),
        ("agents (1 listed)", json!({"agents": {}})),
    ] {
        p.query(&mut report, c, name, &contract, q);
    }

    // The model marketplace: a listing checked against the inference module (DeaiQuery),
    // then licences bought (the split paid to 4 accounts, an NFT receipt minted).
    let [fee, seller, alice, bob, buyer] = [addr(20), addr(30), addr(31), addr(32), addr(33)];
    let (mut p, contract) = deploy(
        &mut report,
        c,
        "model-marketplace",
        &artifact("model-marketplace"),
        &fee,
        &model_init(&fee),
        &[(buyer.clone(), 1_000_000)],
        &seller.to_bech32(),
    );
    let listing = json!({"create_listing": {"model_id": MODEL_ID, "title": "Digits",
        "uri": "ipfs://card", "per_use_price": "7", "perpetual_price": "1001",
        "contributors": [{"address": alice.to_bech32(), "share_bps": 5000},
            {"address": bob.to_bech32(), "share_bps": 3000},
            {"address": seller.to_bech32(), "share_bps": 2000}], "training_task": null}});
    p.execute(
        &mut report,
        c,
        "create_listing (one DeaiQuery)",
        &contract,
        &seller,
        listing,
        0,
    );
    p.height += 1;
    p.execute(
        &mut report,
        c,
        "buy perpetual (1,001: 4 payouts, NFT minted)",
        &contract,
        &buyer,
        json!({"buy": {"listing_id": 1, "kind": "perpetual", "uses": null}}),
        1_001,
    );
    p.height += 1;
    p.execute(
        &mut report,
        c,
        "buy per-use ×3 (21: 3 payouts)",
        &contract,
        &buyer,
        json!({"buy": {"listing_id": 1, "kind": "per_use", "uses": 3}}),
        21,
    );
    for (name, q) in [
        (
            "owner_of (cw721)",
            json!({"owner_of": {"token_id": "1", "include_expired": null}}),
        ),
        (
            "quote_split",
            json!({"quote_split": {"listing_id": 1, "kind": "perpetual", "uses": null}}),
        ),
        (
            "ranking (one DeaiQuery)",
            json!({"ranking": {"model_id": MODEL_ID}}),
        ),
    ] {
        p.query(&mut report, c, name, &contract, q);
    }
    report
}
