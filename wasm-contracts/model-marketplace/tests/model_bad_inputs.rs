//! Bad inputs are rejected with the right error and change nothing.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use cw_multi_test::Executor;
use model_marketplace::deai::TrainingLineage;
use model_marketplace::msg::{ExecuteMsg, InstantiateMsg};
use model_marketplace::ranking::RankingWeights;
use model_marketplace::state::LicenceKind;
use model_marketplace::{ContractError, InputError};

fn field_of(e: ContractError) -> &'static str {
    match e {
        ContractError::Input(InputError::Invalid { field, .. }) => field,
        e => panic!("not Invalid: {e}"),
    }
}

type Case = (fn(&mut InstantiateMsg), &'static str);

#[test]
fn instantiate_rejects_bad_config() {
    let mut s = Suite::new();
    let fee = s.fee.clone();
    let cases: Vec<Case> = vec![
        (|m| m.denom = "".into(), "denom"),
        (|m| m.fee_bps = 1_001, "fee_bps"),
        (|m| m.fee_collector = "nope".into(), "fee_collector"),
        (|m| m.min_eval_score_bps = 10_001, "min_eval_score_bps"),
        (
            |m| {
                m.ranking_weights = RankingWeights {
                    eval_bps: 5_000,
                    usage_bps: 5_000,
                    rating_bps: 1,
                }
            },
            "ranking_weights",
        ),
        (|m| m.usage_half = 0, "usage_half"),
        (|m| m.symbol = "HAS SPACE".into(), "symbol"),
    ];
    for (mutate, field) in cases {
        let mut msg = default_instantiate(&fee);
        mutate(&mut msg);
        let err = s
            .app
            .instantiate_contract(s.code, fee.clone(), &msg, &[], "x", None)
            .unwrap_err();
        assert_eq!(field_of(err.downcast().unwrap()), field);
    }
}

#[test]
fn listing_is_checked_against_deai_and_its_inputs() {
    let mut s = Suite::new();
    let (seller, alice, bob) = (s.seller.clone(), s.alice.clone(), s.bob.clone());
    // Royalty shares must sum to exactly 10000, without duplicates or zero shares.
    for cs in [
        vec![(alice.clone(), 5_000), (bob.clone(), 4_999)],
        vec![(alice.clone(), 5_000), (alice.clone(), 5_000)],
        vec![(alice.clone(), 10_000), (bob.clone(), 0)],
        vec![],
    ] {
        let msg = s.listing_msg(MODEL, cs);
        assert_eq!(
            field_of(s.exec(&seller, &msg, 0).unwrap_err()),
            "contributors"
        );
    }
    let one = vec![(alice.clone(), 10_000)];
    // Not the model's owner, unknown model, retired model, low evaluation score.
    assert_eq!(
        s.exec(&alice, &s.listing_msg(MODEL, one.clone()), 0)
            .unwrap_err(),
        ContractError::NotModelOwner(MODEL)
    );
    assert_eq!(
        s.exec(&seller, &s.listing_msg(8, one.clone()), 0)
            .unwrap_err(),
        ContractError::ModelNotFound(8)
    );
    s.set_model(9, &seller, 9_000, false);
    assert_eq!(
        s.exec(&seller, &s.listing_msg(9, one.clone()), 0)
            .unwrap_err(),
        ContractError::ModelInactive(9)
    );
    s.set_model(10, &seller, 4_999, true);
    assert_eq!(
        s.exec(&seller, &s.listing_msg(10, one.clone()), 0)
            .unwrap_err(),
        ContractError::EvalScoreTooLow {
            model_id: 10,
            score: 4_999,
            min: 5_000
        }
    );
    // Prices: at least one, none zero.
    let mut msg = s.listing_msg(MODEL, one.clone());
    if let ExecuteMsg::CreateListing {
        per_use_price,
        perpetual_price,
        ..
    } = &mut msg
    {
        *per_use_price = None;
        *perpetual_price = None;
    }
    assert_eq!(field_of(s.exec(&seller, &msg, 0).unwrap_err()), "price");
    if let ExecuteMsg::CreateListing { per_use_price, .. } = &mut msg {
        *per_use_price = Some(Uint128::zero());
    }
    assert_eq!(
        field_of(s.exec(&seller, &msg, 0).unwrap_err()),
        "per_use_price"
    );
    // Training lineage must name this model as its output.
    let mut msg = s.listing_msg(MODEL, one.clone());
    if let ExecuteMsg::CreateListing { training_task, .. } = &mut msg {
        *training_task = Some(3);
    }
    assert_eq!(
        s.exec(&seller, &msg, 0).unwrap_err(),
        ContractError::LineageNotFound(3)
    );
    let lineage = |head: Option<&str>| TrainingLineage {
        task: 3,
        rounds: 4,
        head_weights_sha256: head.map(str::to_string),
        lineage_head: "ef".repeat(32),
    };
    let other = "ab".repeat(32);
    let model_weights = "cd".repeat(32);
    for head in [None, Some(other.as_str())] {
        s.deai.lineages.lock().unwrap().insert(3, lineage(head));
        assert_eq!(
            s.exec(&seller, &msg, 0).unwrap_err(),
            ContractError::LineageMismatch {
                task: 3,
                model_id: MODEL
            }
        );
    }
    s.deai
        .lineages
        .lock()
        .unwrap()
        .insert(3, lineage(Some(model_weights.as_str())));
    s.exec(&seller, &msg, 0).unwrap();
    // One listing per model.
    assert_eq!(
        s.exec(&seller, &s.listing_msg(MODEL, one), 0).unwrap_err(),
        ContractError::ModelAlreadyListed {
            model_id: MODEL,
            listing_id: 1
        }
    );
}

#[test]
fn buying_rejects_bad_kinds_uses_and_funds() {
    let mut s = Suite::new();
    let listing_id = s.list();
    let (buyer, seller) = (s.buyer.clone(), s.seller.clone());
    let per_use = |uses| ExecuteMsg::Buy {
        listing_id,
        kind: LicenceKind::PerUse,
        uses,
    };
    assert_eq!(
        field_of(s.exec(&buyer, &per_use(None), 7).unwrap_err()),
        "uses"
    );
    assert_eq!(
        field_of(s.exec(&buyer, &per_use(Some(0)), 7).unwrap_err()),
        "uses"
    );
    assert_eq!(
        field_of(s.exec(&buyer, &per_use(Some(1_000_001)), 7).unwrap_err()),
        "uses"
    );
    let perpetual_with_uses = ExecuteMsg::Buy {
        listing_id,
        kind: LicenceKind::Perpetual,
        uses: Some(1),
    };
    assert_eq!(
        field_of(s.exec(&buyer, &perpetual_with_uses, 1_001).unwrap_err()),
        "uses"
    );
    assert_eq!(
        s.exec(&buyer, &per_use(Some(1)), 0).unwrap_err(),
        ContractError::Input(InputError::WrongFunds {
            denom: DENOM.into()
        })
    );
    let missing = ExecuteMsg::Buy {
        listing_id: 5,
        kind: LicenceKind::Perpetual,
        uses: None,
    };
    assert_eq!(
        s.exec(&buyer, &missing, 1_001).unwrap_err(),
        ContractError::ListingNotFound(5)
    );

    // Withdrawing the perpetual price, then deactivating.
    let upd = |p: Option<u128>, active| ExecuteMsg::UpdateListing {
        listing_id,
        per_use_price: None,
        perpetual_price: p.map(Uint128::new),
        active,
    };
    assert_eq!(
        s.exec(&buyer, &upd(Some(0), None), 0).unwrap_err(),
        ContractError::Unauthorized("the seller")
    );
    s.exec(&seller, &upd(Some(0), None), 0).unwrap();
    let perpetual = ExecuteMsg::Buy {
        listing_id,
        kind: LicenceKind::Perpetual,
        uses: None,
    };
    assert_eq!(
        s.exec(&buyer, &perpetual, 1_001).unwrap_err(),
        ContractError::KindNotOffered {
            listing_id,
            kind: "perpetual"
        }
    );
    s.exec(&seller, &upd(None, Some(false)), 0).unwrap();
    assert_eq!(
        s.exec(&buyer, &per_use(Some(1)), 7).unwrap_err(),
        ContractError::ListingInactive(listing_id)
    );
    // Rating, consuming and transferring unknown tokens, and bad stars.
    assert_eq!(
        s.exec(
            &buyer,
            &ExecuteMsg::Rate {
                token_id: "42".into(),
                stars: 3
            },
            0
        )
        .unwrap_err(),
        ContractError::TokenNotFound("42".into())
    );
    s.exec(&seller, &upd(None, Some(true)), 0).unwrap();
    let t = attr(&s.exec(&buyer, &per_use(Some(1)), 7).unwrap(), "token_id");
    assert_eq!(
        field_of(
            s.exec(
                &buyer,
                &ExecuteMsg::Rate {
                    token_id: t.clone(),
                    stars: 6
                },
                0
            )
            .unwrap_err()
        ),
        "stars"
    );
    assert_eq!(
        s.exec(
            &seller,
            &ExecuteMsg::Rate {
                token_id: t.clone(),
                stars: 3
            },
            0
        )
        .unwrap_err(),
        ContractError::Unauthorized("the licence owner")
    );
    let bad = ExecuteMsg::TransferNft {
        recipient: "not-bech32".into(),
        token_id: t,
    };
    assert_eq!(field_of(s.exec(&buyer, &bad, 0).unwrap_err()), "recipient");
}
