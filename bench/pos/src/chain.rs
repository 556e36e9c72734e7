//! An in-memory chain with the app's proof-of-stake modules, registered and ordered as
//! `app/src/node/mod.rs::modules` does (without the markets, whose begin/end blocks are not
//! what this bench measures): blocks run the way FinalizeBlock runs its hooks (each module
//! on a `Ctx` over the block's overlay, with the router, an infinite meter), messages the
//! way `app/src/tx/exec.rs` runs a tx's messages (decoded through the router, on a `Ctx`
//! with a `GasMeter` of the tx's limit and the framework's default `GasConfig`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use cosmos_sdk_proto::Any;
use prost::Name;

use deai_bank::BankWrite;
use deai_bench_common::exec::{any, coin, CHAIN_ID, DENOM, PREV_BLOCK_HASH};
use deai_bench_common::rng::SplitMix64;
use deai_framework::context::{BlockInfo, CometInfo, CommitVote};
use deai_framework::state::WriteSet;
use deai_framework::{
    Address, Coins, Ctx, Delta, Event, GasMeter, MemStore, Module, Router, StateRead, TxError,
};
use deai_staking::address::val_to_bech32;
use deai_staking::keeper::{consensus_address, consensus_key, pubkey_any};
use deai_staking::StakingRead;

/// One whole token in base units.
pub const TOKEN: u128 = 1_000_000;
/// The gas limit of every measured message's tx (what a wallet would set generously; a
/// message over it would fail, so none of the figures is cut by it).
pub const GAS_LIMIT: u64 = 10_000_000;
/// Blocks the delegations of the setup are spread over (the same for every size, so that
/// both chains reach the timed blocks at the same height).
pub const SETUP_BLOCKS: u64 = 20;

/// The modules of the chain, in the app's order (genesis, begin and end blocks): mint
/// before distribution before slashing; gov's end block before staking's.
pub fn modules() -> Vec<Box<dyn Module>> {
    let hooks: Arc<dyn deai_staking::StakingHooks> = Arc::new(deai_distribution::Hooks);
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(deai_mint::MintModule::default()),
        Box::new(deai_gov::GovModule),
        Box::new(deai_staking::StakingModule::with_hooks(hooks.clone())),
        Box::new(deai_distribution::DistributionModule),
        Box::new(deai_slashing::SlashingModule::with_hooks(hooks)),
    ]
}

/// The time of block `height` (6 s blocks, as bench-common's).
pub fn time_of(height: u64) -> i64 {
    1_700_000_000 + 6 * height as i64
}

/// Operator `i`'s account (20 bytes, disjoint from the delegators').
pub fn operator(i: u32) -> Address {
    let mut b = [0xA0u8; 20];
    b[16..].copy_from_slice(&i.to_be_bytes());
    Address::from_bytes(&b).unwrap_or_else(|e| panic!("operator address: {}", e.log))
}

/// Delegator `i`'s account.
pub fn delegator(i: u64) -> Address {
    let mut b = [0xD0u8; 20];
    b[12..].copy_from_slice(&i.to_be_bytes());
    Address::from_bytes(&b).unwrap_or_else(|e| panic!("delegator address: {}", e.log))
}

/// Another account `i` (proposers, depositors, new validators, payers).
pub fn other(i: u32) -> Address {
    let mut b = [0xE0u8; 20];
    b[16..].copy_from_slice(&i.to_be_bytes());
    Address::from_bytes(&b).unwrap_or_else(|e| panic!("account address: {}", e.log))
}

/// Operator `i`'s ed25519 consensus key (any 32 bytes: staking does not decode the point).
pub fn cons_key(i: u32) -> [u8; 32] {
    let mut k = [0x77u8; 32];
    k[..4].copy_from_slice(&i.to_be_bytes());
    k
}

/// What one block's hooks took.
pub struct BlockTimes {
    /// Every module's begin block (auth and bank have none), as FinalizeBlock runs them.
    pub begin: Duration,
    /// Every module's end block.
    pub end: Duration,
    /// (module, begin, end) of each module.
    pub per_module: Vec<(&'static str, Duration, Duration)>,
    /// The gas the begin and end hooks counted (on their infinite meters): the work done
    /// in reads, writes and iterated entries, independent of the machine.
    pub begin_gas: u64,
    pub end_gas: u64,
}

/// A measured message: its gas on a metered tx context, and the time of decode + execute +
/// collecting the writes.
pub struct Metered {
    pub gas: u64,
    pub elapsed: Duration,
    pub writes: WriteSet,
}

pub struct Chain {
    pub store: MemStore,
    pub router: Router,
    pub modules: Vec<Box<dyn Module>>,
    /// The height of the last block run (the next message or block runs at `height + 1`).
    pub height: u64,
    pub validators: u32,
    /// Each delegator's validator (delegator `i` delegates once, to validator `of[i]`).
    pub delegation_of: Vec<u32>,
    /// Validators left out of the next blocks' last commit (not signing).
    pub absent: Vec<u32>,
}

impl Chain {
    /// Genesis with the modules' defaults (SDK parameters: 100 validators, 13% inflation,
    /// 2% community tax, a window of 100 blocks, 10,000,000 udeai minimum deposit) and the
    /// bank's denom metadata.
    pub fn genesis() -> Self {
        let modules = modules();
        let mut router = Router::new();
        for m in &modules {
            m.register(&mut router);
        }
        let app = serde_json::json!({
            "auth": {},
            "bank": {},
            "mint": {},
            "gov": {},
            "staking": {},
            "distribution": {},
            "slashing": {},
        });
        let mut store = MemStore::new();
        for m in &modules {
            m.init_genesis(&mut store, &app[m.name()])
                .unwrap_or_else(|e| panic!("genesis of {}: {}", m.name(), e.log));
        }
        Self {
            store,
            router,
            modules,
            height: 1,
            validators: 0,
            delegation_of: Vec::new(),
            absent: Vec::new(),
        }
    }

    /// Creates coins in `who`'s account (bank's mint, as a genesis balance would).
    pub fn fund(&mut self, who: &Address, amount: u128) {
        let c = Coins::parse(&format!("{amount}{DENOM}"))
            .unwrap_or_else(|e| panic!("coins: {}", e.log));
        self.store
            .mint_coins(who, &c)
            .unwrap_or_else(|e| panic!("funding: {}", e.log));
    }

    /// The block at `height` with this chain's last commit (every validator CometBFT last
    /// heard of, each signing unless absent).
    fn block_info(&self, height: u64, comet: Arc<CometInfo>) -> BlockInfo {
        BlockInfo {
            height,
            time_unix: time_of(height),
            chain_id: CHAIN_ID.into(),
            prev_block_hash: PREV_BLOCK_HASH,
            comet,
            ..Default::default()
        }
    }

    /// The previous block's commit: every validator with a last power, signing unless in
    /// `absent`, the proposer rotating.
    pub fn last_commit(&self, height: u64) -> CometInfo {
        let absent: Vec<Vec<u8>> = self
            .absent
            .iter()
            .map(|&i| consensus_address(&cons_key(i)))
            .collect();
        let powers = self
            .store
            .last_powers(10_000)
            .unwrap_or_else(|e| panic!("last powers: {}", e.log));
        let mut last_commit = Vec::with_capacity(powers.len());
        for (op, power) in powers {
            let v = self
                .store
                .must_validator(&op)
                .unwrap_or_else(|e| panic!("validator: {}", e.log));
            let key = consensus_key(&v).unwrap_or_else(|e| panic!("key: {}", e.log));
            let address = consensus_address(&key);
            let signed = !absent.contains(&address);
            last_commit.push(CommitVote {
                address,
                power,
                signed,
            });
        }
        let proposer = last_commit
            .get(height as usize % last_commit.len().max(1))
            .map(|v| v.address.clone())
            .unwrap_or_default();
        CometInfo {
            proposer,
            last_commit,
            ..Default::default()
        }
    }

    /// Runs one block's hooks (no txs) at the next height, timing begin and end, and keeps
    /// its writes.
    pub fn block(&mut self) -> BlockTimes {
        self.block_with(|_, _| {})
    }

    /// A block whose txs are `txs(chain, block state)` between the begin and end hooks
    /// (untimed; for the setup).
    fn block_with(&mut self, txs: impl FnOnce(&Self, &mut Delta)) -> BlockTimes {
        let height = self.height + 1;
        let comet = Arc::new(self.last_commit(height));
        let block = self.block_info(height, comet);
        let mut per_module = Vec::with_capacity(self.modules.len());
        let writes = {
            let mut state = Delta::new(&self.store);
            let (mut begin, mut begin_gas) = (Duration::ZERO, 0);
            for m in &self.modules {
                let t = Instant::now();
                begin_gas += hook(m.as_ref(), &self.router, &mut state, &block, true);
                let d = t.elapsed();
                begin += d;
                per_module.push((m.name(), d, Duration::ZERO));
            }
            txs(self, &mut state);
            let (mut end, mut end_gas) = (Duration::ZERO, 0);
            for (m, row) in self.modules.iter().zip(per_module.iter_mut()) {
                let t = Instant::now();
                end_gas += hook(m.as_ref(), &self.router, &mut state, &block, false);
                let d = t.elapsed();
                end += d;
                row.2 = d;
            }
            (state.into_writes(), begin, end, begin_gas, end_gas)
        };
        self.store.apply(writes.0);
        self.height = height;
        BlockTimes {
            begin: writes.1,
            end: writes.2,
            per_module,
            begin_gas: writes.3,
            end_gas: writes.4,
        }
    }

    /// Runs `msg` at the next height on a tx context over `state` (the block's overlay or
    /// the store), metered with a gas limit of [`GAS_LIMIT`], as the app runs a tx's
    /// messages. The parent is only read.
    pub fn metered(&self, state: &dyn StateRead, msg: &Any) -> Result<Metered, TxError> {
        let block = self.block_info(self.height + 1, Arc::new(CometInfo::default()));
        let gas = GasMeter::new(GAS_LIMIT);
        let start = Instant::now();
        let m = self.router.decode(msg)?;
        let mut ctx = Ctx::new(state, &gas, &block).with_router(&self.router);
        ctx.emit(
            Event::new("message")
                .attr("action", &msg.type_url)
                .attr("module", m.module()),
        );
        m.execute(&mut ctx)?;
        let (writes, _events) = ctx.finish();
        Ok(Metered {
            gas: gas.consumed(),
            elapsed: start.elapsed(),
            writes,
        })
    }

    /// Runs `p` at the next height on the store and keeps its writes; panics on failure (a
    /// broken setup).
    pub fn apply<P: prost::Message + Name>(&mut self, p: &P) -> Metered {
        let mut r = self
            .metered(&self.store, &any(p))
            .unwrap_or_else(|e| panic!("{}: {} {}", P::type_url(), e.codespace, e.log));
        self.store.apply(std::mem::take(&mut r.writes));
        r
    }

    /// Creates `n` validators (self-bonds of 1,000 to 10,000 tokens, 5–20% commission) and
    /// bonds them at an end block.
    pub fn create_validators(&mut self, n: u32, rng: &mut SplitMix64) {
        for i in 0..n {
            let op = operator(i);
            let bond = rng.range(1_000, 10_000) as u128 * TOKEN;
            self.fund(&op, bond + 1_000_000 * TOKEN);
            let rate = rng.range(5, 21);
            self.apply(&create_validator_msg(&op, &cons_key(i), bond, rate));
        }
        self.validators = n;
        self.block();
    }

    /// Funds `n` delegators and has each delegate 1 to 1,000 tokens to a random validator
    /// by MsgDelegate, spread over [`SETUP_BLOCKS`] blocks (so that rewards accrue between
    /// them, as on a live chain). The time this took.
    pub fn delegate_all(&mut self, n: u64, rng: &mut SplitMix64) -> Duration {
        let start = Instant::now();
        let per_block = n.div_ceil(SETUP_BLOCKS).max(1);
        let mut next = 0u64;
        let mut plan = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let v = rng.range(0, self.validators as u64) as u32;
            let amount = rng.range(1, 1_001) as u128 * TOKEN;
            plan.push((v, amount));
        }
        for (i, &(_, amount)) in plan.iter().enumerate() {
            self.fund(&delegator(i as u64), amount + 100_000 * TOKEN);
        }
        while next < n {
            let upto = (next + per_block).min(n);
            let range = next..upto;
            let plan_ref = &plan;
            self.block_with(|chain, state| {
                for i in range {
                    let (v, amount) = plan_ref[i as usize];
                    let msg = delegate_msg(&delegator(i), &operator(v), amount);
                    let r = chain
                        .metered(state, &any(&msg))
                        .unwrap_or_else(|e| panic!("setup MsgDelegate {i}: {}", e.log));
                    state.apply(r.writes);
                }
            });
            next = upto;
        }
        self.delegation_of = plan.iter().map(|&(v, _)| v).collect();
        start.elapsed()
    }

    /// Adds `n` keys that no module reads (under a prefix of no module, values of 120
    /// bytes): a store as large as a bigger chain's without its delegations, to tell the
    /// cost of a larger store from the cost of more delegations.
    pub fn add_ballast(&mut self, n: u64) {
        for i in 0..n {
            let mut k = b"zz-ballast/".to_vec();
            k.extend_from_slice(&i.to_be_bytes());
            deai_framework::StateWrite::put(&mut self.store, k, vec![0x42; 120])
                .unwrap_or_else(|e| panic!("ballast: {}", e.log));
        }
    }
}

/// Runs one module's begin or end block on a `Ctx` over `state` with the router and an
/// infinite meter, keeping its writes; a hook error is a broken bench (the node would halt).
/// The gas it counted.
fn hook(m: &dyn Module, router: &Router, state: &mut Delta, block: &BlockInfo, begin: bool) -> u64 {
    let gas = GasMeter::infinite();
    let mut ctx = Ctx::new(&*state, &gas, block).with_router(router);
    let r = if begin {
        m.begin_block(&mut ctx)
    } else {
        m.end_block(&mut ctx)
    };
    if let Err(e) = r {
        panic!(
            "{} block of {} failed: {} {}",
            if begin { "begin" } else { "end" },
            m.name(),
            e.codespace,
            e.log
        );
    }
    let (writes, _events) = ctx.finish();
    state.apply(writes);
    gas.consumed()
}

pub fn create_validator_msg(
    op: &Address,
    key: &[u8; 32],
    bond: u128,
    rate_pct: u64,
) -> spb::MsgCreateValidator {
    #[allow(deprecated)]
    spb::MsgCreateValidator {
        description: Some(spb::Description {
            moniker: format!("validator-{}", &op.to_bech32()[..12]),
            website: "https://example.org".into(),
            details: "a proof-of-stake bench validator".into(),
            ..Default::default()
        }),
        commission: Some(spb::CommissionRates {
            rate: format!("0.{rate_pct:02}"),
            max_rate: "0.5".into(),
            max_change_rate: "0.01".into(),
        }),
        min_self_delegation: "1".into(),
        delegator_address: String::new(),
        validator_address: val_to_bech32(op),
        pubkey: Some(pubkey_any(key)),
        value: Some(coin(bond)),
    }
}

pub fn delegate_msg(del: &Address, op: &Address, amount: u128) -> spb::MsgDelegate {
    spb::MsgDelegate {
        delegator_address: del.to_bech32(),
        validator_address: val_to_bech32(op),
        amount: Some(coin(amount)),
    }
}
