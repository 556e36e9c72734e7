//! data's share of the chain's inflation (deai-mint's emission split): the [`EmissionSink`]
//! that the app hands to `deai_mint::MintModule::new`.
//!
//! - **Recipients**: data pools, by id.
//! - **Weight**: an open pool's stake, the sum of its validators' bonds (at most
//!   [`crate::MAX_POOL_VALIDATORS_CAP`] records): the stake that scores its contributions.
//!   A closing or closed pool weighs 0 (its balance is about to be refunded to its owner,
//!   less its unspent emission).
//!   Contribution stakes are not counted: they are per epoch and returned at settlement.
//! - **Credit**: the claim is added to the pool's reward balance (`Pool.balance`), from which
//!   each epoch pays `reward_per_epoch` to contributors by proof-of-contribution; the mint
//!   module moves the coins into the data module account, whose bond-denom balance keeps
//!   equalling the sum of its records. A pool that is not open, unknown, or of another denom
//!   refuses (the claim goes to the community pool).
//! - **Unspent emission**: the emission part of each pool's balance is recorded
//!   (`deai_mint::PoolPart`, `state_key::emission_pool`); `reward_pools::unspent_in` reads
//!   it, so that closing a pool sends it to the community pool rather than refund it to the
//!   owner (`settle.rs`; `MsgClosePool` settles the pool with `reward_pools::settle` and
//!   drops its weight, the record is deleted once the pool closed). Genesis exports and
//!   imports the records (`PoolEmission`).
//!
//! deai-mint keeps the lazy index, moves every coin and credits by the rules all reward-pool
//! markets share (`deai_mint::reward_pools`); this file says where data's pools are and
//! what they weigh.

use deai_framework::{sdk, Coin, Ctx, StateRead, StateWrite, TxError};
use deai_mint::reward_pools::{export_parts, import_part};
use deai_mint::{EmissionSink, PoolSink, RewardPools};
use deai_proto::data::v1 as pb;

use crate::keeper::{DataRead, DataWrite};
use crate::{state_key, MODULE_ACCOUNT};

/// Pools visited per block (each reads up to 64 bonds).
pub const VISITS_PER_BLOCK: usize = 16;

/// data's reward pools, as the mint module credits them.
#[derive(Clone, Copy, Debug, Default)]
pub struct DataPools;

/// data's emission sink.
pub type DataEmission = PoolSink<DataPools>;

/// The sink, boxed for `deai_mint::MintModule::new`.
pub fn sink() -> Box<dyn EmissionSink> {
    DataEmission::boxed()
}

fn open(p: &pb::Pool) -> bool {
    p.status == pb::PoolStatus::Open as i32
}

fn amount_of(c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> Result<Coin, TxError> {
    Coin::from_proto(
        c.as_ref()
            .ok_or_else(|| sdk::internal("data record without a coin"))?,
    )
    .map_err(|e| sdk::internal(format!("corrupt data coin: {}", e.log)))
}

/// The stake of an open pool: Σ of its validators' bonds.
pub fn pool_weight<S: StateRead + ?Sized>(s: &S, id: u64) -> Result<u128, TxError> {
    let Some(p) = s.get_pool(id)? else {
        return Ok(0);
    };
    if !open(&p) {
        return Ok(0);
    }
    let mut sum: u128 = 0;
    for v in s.pool_validators_of(id)? {
        sum = sum
            .checked_add(amount_of(&v.stake)?.amount)
            .ok_or_else(|| sdk::internal("pool stake overflows"))?;
    }
    Ok(sum)
}

/// Every emission record, for genesis export.
pub(crate) fn export(s: &dyn StateRead) -> Result<Vec<pb::PoolEmission>, TxError> {
    Ok(export_parts::<DataPools>(s)?
        .into_iter()
        .map(|(pool_id, p)| pb::PoolEmission {
            pool_id,
            part: p.part.to_string(),
            balance_after: p.balance_after.to_string(),
        })
        .collect())
}

/// Imports the emission records (after the pools).
pub(crate) fn import(
    s: &mut dyn StateWrite,
    records: &[pb::PoolEmission],
    invalid: impl Fn(String) -> TxError,
) -> Result<(), TxError> {
    for r in records {
        import_part::<DataPools>(s, r.pool_id, &r.part, &r.balance_after, &invalid)?;
    }
    Ok(())
}

impl RewardPools for DataPools {
    type Record = pb::Pool;
    const MARKET: &'static str = deai_mint::DATA;
    const ACCOUNT: &'static str = MODULE_ACCOUNT;
    const NOUN: &'static str = "pool";
    const VISITS_PER_BLOCK: usize = VISITS_PER_BLOCK;

    fn record_key(id: u64) -> Vec<u8> {
        state_key::pool(id)
    }

    fn records_prefix() -> Vec<u8> {
        state_key::pools()
    }

    fn part_key(id: u64) -> Vec<u8> {
        state_key::emission_pool(id)
    }

    fn parts_prefix() -> Vec<u8> {
        state_key::emission_pools()
    }

    fn load(s: &dyn StateRead, id: u64) -> Result<Option<pb::Pool>, TxError> {
        s.get_pool(id)
    }

    fn store(ctx: &mut Ctx, p: &pb::Pool) -> Result<(), TxError> {
        ctx.put_pool(p)
    }

    /// A closing or closed pool's balance is about to be refunded.
    fn takes_emission(p: &pb::Pool) -> bool {
        open(p)
    }

    fn balance(p: &pb::Pool) -> Result<Coin, TxError> {
        amount_of(&p.balance)
    }

    fn set_balance(p: &mut pb::Pool, balance: &Coin) {
        p.balance = Some(balance.to_proto());
    }

    fn weight(s: &dyn StateRead, id: u64) -> Result<u128, TxError> {
        pool_weight(s, id)
    }
}

#[cfg(test)]
mod tests {
    use deai_bank::BankRead;
    use deai_framework::{Ctx, GasMeter, MemStore, Module};
    use deai_mint::{MintModule, MintRead};

    use super::*;
    use crate::tests::*;
    use crate::tests_pools::{bond_msg, create, pool_balance, FUNDS_IN, OWNER, V1, V2};

    fn with_mint(mut s: MemStore) -> MemStore {
        MintModule::default()
            .init_genesis(
                &mut s,
                &serde_json::json!({"emission_split": {
                    "validators_bps": 0, "training_bps": 0, "inference_bps": 0,
                    "data_bps": 10000, "community_pool_bps": 0}}),
            )
            .unwrap();
        s
    }

    fn mint_block(s: &mut MemStore, m: &MintModule, h: u64) -> deai_mint::Minted {
        let gas = GasMeter::infinite();
        let snap = s.clone();
        let b = deai_framework::testing::block(h);
        let mut ctx = Ctx::new(&snap, &gas, &b);
        let out = deai_mint::begin_blocker(&mut ctx, m.sinks()).unwrap();
        let (w, _) = ctx.finish();
        s.apply(w);
        out
    }

    #[test]
    fn pools_are_credited_pro_rata_to_their_bonds_lazily() {
        let mut s = store();
        let a = create(&mut s, 1);
        let b = create(&mut s, 1);
        let c = create(&mut s, 1); // no bonds: weight 0
        exec_at(&mut s, 2, bond_msg(V1, a, 1_000)).unwrap();
        exec_at(&mut s, 2, bond_msg(V1, b, 1_000)).unwrap();
        exec_at(&mut s, 2, bond_msg(V2, b, 2_000)).unwrap();
        let mut s = with_mint(s);
        assert_eq!(
            (pool_weight(&s, a).unwrap(), pool_weight(&s, b).unwrap()),
            (1_000, 3_000)
        );
        assert_eq!(pool_weight(&s, c).unwrap(), 0);
        let m = MintModule::new(vec![sink()]);
        let b1 = mint_block(&mut s, &m, 3);
        assert_eq!(b1.data, b1.minted);
        assert_eq!(pool_balance(&s, a), FUNDS_IN, "lazy: nothing yet");
        mint_block(&mut s, &m, 4);
        assert_eq!(pool_balance(&s, a) - FUNDS_IN, b1.minted / 4);
        assert_eq!(pool_balance(&s, b) - FUNDS_IN, b1.minted * 3 / 4);
        assert_eq!(pool_balance(&s, c), FUNDS_IN);
        assert_eq!(
            deai_mint::reward_pools::unspent_emission::<DataPools>(&s, a).unwrap(),
            b1.minted / 4
        );
        assert_reconciles(&s);
        let st = s.market_state(deai_mint::DATA).unwrap().unwrap();
        assert_eq!(
            s.module_balance(deai_mint::MODULE_ACCOUNT, "udeai")
                .unwrap(),
            st.unclaimed
        );
    }

    #[test]
    fn a_closed_pool_stops_receiving_and_its_claim_goes_to_the_community_pool() {
        let mut s = store();
        let a = create(&mut s, 1);
        exec_at(&mut s, 2, bond_msg(V1, a, 1_000)).unwrap();
        let mut s = with_mint(s);
        let m = MintModule::new(vec![sink()]);
        let b1 = mint_block(&mut s, &m, 3);
        exec_at(
            &mut s,
            4,
            pb::MsgClosePool {
                owner: deai_framework::testing::addr(OWNER).to_bech32(),
                pool_id: a,
            },
        )
        .unwrap();
        let b2 = mint_block(&mut s, &m, 4);
        // The claim for block 3 is refused (closing) and the pool weighs 0 from now on.
        assert_eq!(pool_balance(&s, a), FUNDS_IN);
        assert_eq!(pool_weight(&s, a).unwrap(), 0);
        assert_eq!(
            s.module_balance(deai_bank::COMMUNITY_POOL, "udeai")
                .unwrap(),
            b1.minted + b2.minted
        );
        assert_reconciles(&s);
    }
}
