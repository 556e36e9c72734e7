//! Property: random bonded ratios, params, splits and market weights over many blocks never
//! create or lose a unit: the supply grows by exactly what was minted, each block's split
//! sums to its provision, and every minted unit sits in the fee collector, the community
//! pool, a market's account (credited to one of its recipients) or the mint module account
//! (the markets' unclaimed emission).

use proptest::prelude::*;

use deai_auth::{AuthWrite, FEE_COLLECTOR};
use deai_bank::{BankRead, COMMUNITY_POOL};
use deai_framework::MemStore;
use deai_framework::StateWrite;

use crate::tests::*;
use crate::tests_sink::*;
use crate::*;

const IDS: u64 = 6;

#[derive(Clone, Debug)]
enum Op {
    /// Set the weight of recipient `id` of market `m` (0 removes it).
    Weight(usize, u64, u128),
    /// Make recipient `id` of market `m` refuse credits.
    Refuse(usize, u64),
    /// Bond more of user `u`'s funds.
    Bond(u8, u128),
    /// Run blocks.
    Blocks(u8),
    /// The market touches recipient `id` (a stake change, out of turn).
    Touch(usize, u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..IDS, prop_oneof![Just(0u128), 1..1_000u128, 1..u128::from(u64::MAX)])
            .prop_map(|(m, id, w)| Op::Weight(m, id, w)),
        1 => (0..3usize, 0..IDS).prop_map(|(m, id)| Op::Refuse(m, id)),
        1 => (1..=8u8, 1..FUNDS).prop_map(|(u, a)| Op::Bond(u, a)),
        4 => (1..4u8).prop_map(Op::Blocks),
        1 => (0..3usize, 0..IDS).prop_map(|(m, id)| Op::Touch(m, id)),
    ]
}

fn split() -> impl Strategy<Value = [u32; 5]> {
    proptest::collection::vec(0..10_000u32, 4).prop_map(|mut cuts| {
        cuts.sort_unstable();
        [
            cuts[0],
            cuts[1] - cuts[0],
            cuts[2] - cuts[1],
            cuts[3] - cuts[2],
            10_000 - cuts[3],
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn no_unit_is_created_or_lost(
        sp in split(),
        bpy in 1..5_000u64,
        min in 0..200u64,
        width in 0..800u64,
        goal in 1..1000u64,
        rate in 0..1000u64,
        visits in 1..5usize,
        ops in proptest::collection::vec(op(), 1..40),
    ) {
        let milli = |n: u64| format!("{}.{:03}", n / 1000, n % 1000);
        let max = (min + width).min(1000);
        let mut s: MemStore = store_with(serde_json::json!({
            "params": {
                "mint_denom": "udeai",
                "inflation_rate_change": milli(rate),
                "inflation_max": milli(max),
                "inflation_min": milli(min),
                "goal_bonded": milli(goal),
                "blocks_per_year": bpy.to_string()},
            "emission_split": {
                "validators_bps": sp[0], "training_bps": sp[1], "inference_bps": sp[2],
                "data_bps": sp[3], "community_pool_bps": sp[4]}}));
        for m in MARKETS {
            s.ensure_module_account_with(m, &[]).unwrap();
        }
        let module = MintModule::new(
            MARKETS
                .iter()
                .map(|m| Box::new(MockSink { market: m, visits }) as Box<dyn EmissionSink>)
                .collect(),
        );
        let supply0 = s.supply_of("udeai").unwrap();
        let mut minted = 0u128;
        let mut validators = 0u128;
        let mut h = 0u64;
        for o in ops {
            match o {
                Op::Weight(m, id, w) => set_weight_of(&mut s, MARKETS[m], id, w),
                Op::Refuse(m, id) => s.put(rkey_of(MARKETS[m], id), vec![1]).unwrap(),
                Op::Bond(u, a) => {
                    let have = s.balance(&addr(u), "udeai").unwrap();
                    if have > 0 {
                        bond(&mut s, u, a.min(have));
                    }
                }
                Op::Touch(m, id) => {
                    let sink = module.sinks()[m].as_ref();
                    in_block(&mut s, h + 1, |ctx| crate::touch(ctx, sink, id)).unwrap();
                }
                Op::Blocks(n) => {
                    for _ in 0..n {
                        h += 1;
                        let out = begin(&mut s, h, &module);
                        prop_assert_eq!(
                            out.validators + out.training + out.inference + out.data
                                + out.community_pool,
                            out.minted
                        );
                        minted += out.minted;
                        validators += out.validators;
                        prop_assert_eq!(s.supply_of("udeai").unwrap() - supply0, minted);
                    }
                }
            }
        }
        // Where every minted unit is.
        let mut unclaimed = 0u128;
        let mut in_markets = 0u128;
        for m in MARKETS {
            let pools: u128 = (0..IDS).map(|id| pool_of(&s, m, id)).sum();
            prop_assert_eq!(module_bal(&s, m), pools, "{} holds its recipients' credits", m);
            in_markets += pools;
            if let Some(st) = s.market_state(m).unwrap() {
                let items: u128 = s
                    .index_items_from(m, 0, 100)
                    .unwrap()
                    .iter()
                    .map(|i| i.weight)
                    .sum();
                prop_assert_eq!(st.total_weight, items);
                unclaimed += st.unclaimed;
            }
        }
        prop_assert_eq!(module_bal(&s, MODULE_ACCOUNT), unclaimed);
        prop_assert_eq!(module_bal(&s, FEE_COLLECTOR), validators);
        prop_assert_eq!(
            module_bal(&s, FEE_COLLECTOR) + module_bal(&s, COMMUNITY_POOL) + in_markets + unclaimed,
            minted
        );
        // Genesis round trip of whatever state the run left.
        // (Without staking: the test bonds by moving coins, which staking's genesis refuses.)
        let mods: Vec<Box<dyn deai_framework::Module>> = vec![
            Box::new(deai_auth::AuthModule),
            Box::new(deai_bank::BankModule),
            Box::new(MintModule::default()),
        ];
        let exported = deai_framework::testing::export_all(&mods, &s);
        let s2 = deai_framework::testing::try_init_all(&mods, &exported).unwrap();
        prop_assert_eq!(deai_framework::testing::export_all(&mods, &s2), exported);
        // After a block, inflation is within its bounds.
        let inf = s.minter().unwrap().inflation;
        prop_assert!(
            h == 0 || (inf >= Dec::parse(&milli(min)).unwrap() && inf <= Dec::parse(&milli(max)).unwrap())
        );
    }
}
