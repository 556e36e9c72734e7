//! The ranking score follows its documented formula, from the on-chain evaluation score
//! (custom query), usage and ratings.

mod common;

use common::*;
use model_marketplace::msg::{ExecuteMsg, QueryMsg, RankingResponse};
use model_marketplace::state::LicenceKind;

#[test]
fn ranking_combines_evaluation_usage_and_ratings_as_documented() {
    let mut s = Suite::new();
    let listing_id = s.list();
    let r: RankingResponse = s.q(&QueryMsg::Ranking { model_id: MODEL });
    // E = 9000, U = 0, R = 10000·6/10 = 6000 → (5000·9000 + 2500·0 + 2500·6000)/10000.
    assert_eq!((r.eval_bps, r.usage_bps, r.rating_bps), (9_000, 0, 6_000));
    assert_eq!(r.score_bps, 6_000);
    assert_eq!(r.listing_id, listing_id);
    assert!(r.formula.contains("usage_half"));

    let (buyer, buyer2, seller) = (s.buyer.clone(), s.buyer2.clone(), s.seller.clone());
    let mut tokens = vec![];
    for who in [&buyer, &buyer2] {
        let t = s
            .exec(
                who,
                &ExecuteMsg::Buy {
                    listing_id,
                    kind: LicenceKind::PerUse,
                    uses: Some(10),
                },
                70,
            )
            .unwrap();
        tokens.push(attr(&t, "token_id"));
    }
    s.exec(
        &seller,
        &ExecuteMsg::ConsumeUse {
            token_id: tokens[0].clone(),
            uses: 8,
        },
        0,
    )
    .unwrap();
    s.exec(
        &buyer,
        &ExecuteMsg::Rate {
            token_id: tokens[0].clone(),
            stars: 5,
        },
        0,
    )
    .unwrap();
    s.exec(
        &buyer2,
        &ExecuteMsg::Rate {
            token_id: tokens[1].clone(),
            stars: 5,
        },
        0,
    )
    .unwrap();

    let r: RankingResponse = s.q(&QueryMsg::Ranking { model_id: MODEL });
    // usage = 2 licences + 8 uses = 10 = usage_half → U = 5000.
    assert_eq!(r.usage, 10);
    assert_eq!(r.usage_bps, 5_000);
    // R = 10000·(10 + 6)/(5·(2 + 2)) = 8000.
    assert_eq!((r.rating_count, r.rating_sum, r.rating_bps), (2, 10, 8_000));
    assert_eq!(
        r.score_bps,
        (5_000 * 9_000 + 2_500 * 5_000 + 2_500 * 8_000) / 10_000
    );

    // A new on-chain evaluation score shows at once.
    s.set_model(MODEL, &seller, 4_000, true);
    let r: RankingResponse = s.q(&QueryMsg::Ranking { model_id: MODEL });
    assert_eq!(r.eval_bps, 4_000);
    assert_eq!(
        r.score_bps,
        (5_000 * 4_000 + 2_500 * 5_000 + 2_500 * 8_000) / 10_000
    );
}

#[test]
fn ranking_of_an_unlisted_model_is_an_error() {
    let s = Suite::new();
    let err = s.q_err(&QueryMsg::Ranking { model_id: 99 });
    assert!(err.contains("model 99 has no listing"), "{err}");
}
