//! list → buy → receipt NFT owned → royalties reconcile to the unit; per-use consumption,
//! transfers and the cw721 queries.

mod common;

use common::*;
use cosmwasm_std::Uint128;
use model_marketplace::cw721::{
    AllNftInfoResponse, ContractInfoResponse, NftInfoResponse, NumTokensResponse, OwnerOfResponse,
    TokensResponse,
};
use model_marketplace::msg::{ExecuteMsg, QueryMsg};
use model_marketplace::royalty::Split;
use model_marketplace::state::{LicenceKind, Listing, Token};
use model_marketplace::ContractError;

#[test]
fn list_buy_perpetual_mints_the_receipt_and_pays_royalties_to_the_unit() {
    let mut s = Suite::new();
    let listing_id = s.list();
    let listing: Listing = s.q(&QueryMsg::ListingByModel { model_id: MODEL });
    assert_eq!(listing.id, listing_id);
    assert_eq!(listing.seller, s.seller);

    let quote: Split = s.q(&QueryMsg::QuoteSplit {
        listing_id,
        kind: LicenceKind::Perpetual,
        uses: None,
    });
    let before: Vec<u128> = [&s.fee, &s.alice, &s.bob, &s.seller]
        .iter()
        .map(|a| s.balance(a))
        .collect();
    let buyer = s.buyer.clone();
    let r = s
        .exec(
            &buyer,
            &ExecuteMsg::Buy {
                listing_id,
                kind: LicenceKind::Perpetual,
                uses: None,
            },
            1_001,
        )
        .unwrap();
    let token_id = attr(&r, "token_id");
    assert_eq!(token_id, "1");
    let royalty = r
        .events
        .iter()
        .find(|e| e.ty == "wasm-royalty")
        .expect("a wasm-royalty event");
    let paid: u128 = royalty
        .attributes
        .iter()
        .filter(|a| a.key != "token_id" && a.key != "fee" && a.key != "_contract_address")
        .map(|a| a.value.parse::<u128>().unwrap())
        .sum();
    assert_eq!(
        paid, 1_001,
        "the royalty event lists payouts summing to the price"
    );
    assert!(r.events.iter().any(|e| e.ty == "wasm-licence"));

    // 1001: fee floor(1001·250/10000) = 25; net 976; alice floor(976·0.5) = 488, bob
    // floor(976·0.3) = 292, seller floor(976·0.2) = 195; remainder 976 − 975 = 1 → seller.
    assert_eq!(quote.fee.u128(), 25);
    let shares: Vec<u128> = quote.shares.iter().map(|p| p.amount.u128()).collect();
    assert_eq!(shares, vec![488, 292, 195]);
    assert_eq!(quote.remainder.u128(), 1);
    let after: Vec<u128> = [&s.fee, &s.alice, &s.bob, &s.seller]
        .iter()
        .map(|a| s.balance(a))
        .collect();
    let gained: Vec<u128> = after.iter().zip(&before).map(|(a, b)| a - b).collect();
    assert_eq!(gained, vec![25, 488, 292, 196]);
    assert_eq!(
        gained.iter().sum::<u128>(),
        1_001,
        "the split adds up to the unit"
    );
    assert_eq!(s.balance(&buyer), START - 1_001);

    // The receipt is a cw721 NFT owned by the buyer.
    let owner: OwnerOfResponse = s.q(&QueryMsg::OwnerOf {
        token_id: token_id.clone(),
        include_expired: None,
    });
    assert_eq!(owner.owner, buyer.to_string());
    assert!(owner.approvals.is_empty());
    let info: NftInfoResponse = s.q(&QueryMsg::NftInfo {
        token_id: token_id.clone(),
    });
    assert_eq!(info.token_uri.as_deref(), Some("ipfs://model-card"));
    assert_eq!(info.extension.kind, LicenceKind::Perpetual);
    assert_eq!(info.extension.model_id, MODEL);
    assert_eq!(info.extension.price_paid, Uint128::new(1_001));
    let all: AllNftInfoResponse = s.q(&QueryMsg::AllNftInfo {
        token_id: token_id.clone(),
        include_expired: None,
    });
    assert_eq!(all.access.owner, buyer.to_string());
    let tokens: TokensResponse = s.q(&QueryMsg::Tokens {
        owner: buyer.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(tokens.tokens, vec![token_id.clone()]);
    let n: NumTokensResponse = s.q(&QueryMsg::NumTokens {});
    assert_eq!(n.count, 1);
    let ci: ContractInfoResponse = s.q(&QueryMsg::ContractInfo {});
    assert_eq!(
        (ci.name.as_str(), ci.symbol.as_str()),
        ("deai model licences", "DEAILIC")
    );

    // The raw JSON has cw721's shape.
    let raw: serde_json::Value = s.q(&QueryMsg::OwnerOf {
        token_id: token_id.clone(),
        include_expired: Some(true),
    });
    assert_eq!(
        raw,
        serde_json::json!({ "owner": buyer.to_string(), "approvals": [] })
    );
    let stats = s.q::<Listing>(&QueryMsg::Listing { listing_id }).stats;
    assert_eq!((stats.licences_sold, stats.revenue.u128()), (1, 1_001));
}

#[test]
fn per_use_licences_are_consumed_by_the_seller_and_transfer_with_the_nft() {
    let mut s = Suite::new();
    let listing_id = s.list();
    let (buyer, buyer2, seller) = (s.buyer.clone(), s.buyer2.clone(), s.seller.clone());
    let buy = ExecuteMsg::Buy {
        listing_id,
        kind: LicenceKind::PerUse,
        uses: Some(3),
    };
    let err = s.exec(&buyer, &buy, 20).unwrap_err();
    assert_eq!(
        err,
        ContractError::WrongPrice {
            got: Uint128::new(20),
            price: Uint128::new(21)
        }
    );
    let token_id = attr(&s.exec(&buyer, &buy, 21).unwrap(), "token_id");
    // 21: fee 0 (floor 0.525), alice 10, bob 6, seller 4 + remainder 1.
    let quote: Split = s.q(&QueryMsg::QuoteSplit {
        listing_id,
        kind: LicenceKind::PerUse,
        uses: Some(3),
    });
    assert_eq!(quote.fee.u128(), 0);
    assert_eq!(
        quote.payouts.iter().map(|p| p.amount.u128()).sum::<u128>(),
        21
    );

    let err = s
        .exec(
            &buyer,
            &ExecuteMsg::ConsumeUse {
                token_id: token_id.clone(),
                uses: 1,
            },
            0,
        )
        .unwrap_err();
    assert_eq!(err, ContractError::Unauthorized("the seller"));
    s.exec(
        &seller,
        &ExecuteMsg::ConsumeUse {
            token_id: token_id.clone(),
            uses: 2,
        },
        0,
    )
    .unwrap();
    let err = s
        .exec(
            &seller,
            &ExecuteMsg::ConsumeUse {
                token_id: token_id.clone(),
                uses: 2,
            },
            0,
        )
        .unwrap_err();
    assert_eq!(
        err,
        ContractError::InsufficientUses {
            token_id: token_id.clone(),
            remaining: 1,
            requested: 2
        }
    );

    // Transfer: only the owner; the licence and the index move.
    let t = ExecuteMsg::TransferNft {
        recipient: buyer2.to_string(),
        token_id: token_id.clone(),
    };
    assert_eq!(
        s.exec(&buyer2, &t, 0).unwrap_err(),
        ContractError::Unauthorized("the token owner")
    );
    s.exec(&buyer, &t, 0).unwrap();
    let lic: Token = s.q(&QueryMsg::Licence {
        token_id: token_id.clone(),
    });
    assert_eq!(lic.owner, buyer2);
    assert_eq!(lic.licence.uses_remaining, Some(1));
    let old: TokensResponse = s.q(&QueryMsg::Tokens {
        owner: buyer.to_string(),
        start_after: None,
        limit: None,
    });
    assert!(old.tokens.is_empty());
    let new: TokensResponse = s.q(&QueryMsg::Tokens {
        owner: buyer2.to_string(),
        start_after: None,
        limit: None,
    });
    assert_eq!(new.tokens, vec![token_id.clone()]);
    // The new owner may rate once.
    s.exec(
        &buyer2,
        &ExecuteMsg::Rate {
            token_id: token_id.clone(),
            stars: 4,
        },
        0,
    )
    .unwrap();
    assert_eq!(
        s.exec(
            &buyer2,
            &ExecuteMsg::Rate {
                token_id: token_id.clone(),
                stars: 4
            },
            0
        )
        .unwrap_err(),
        ContractError::AlreadyRated(token_id)
    );
}

#[test]
fn many_purchases_reconcile_and_all_tokens_pages() {
    let mut s = Suite::new();
    let listing_id = s.list();
    let buyer = s.buyer.clone();
    let mut paid_total = 0u128;
    for uses in 1..=12u64 {
        let price = 7 * uses as u128;
        s.exec(
            &buyer,
            &ExecuteMsg::Buy {
                listing_id,
                kind: LicenceKind::PerUse,
                uses: Some(uses),
            },
            price,
        )
        .unwrap();
        paid_total += price;
    }
    assert_eq!(s.balance(&buyer), START - paid_total);
    let n: NumTokensResponse = s.q(&QueryMsg::NumTokens {});
    assert_eq!(n.count, 12);
    let p1: TokensResponse = s.q(&QueryMsg::AllTokens {
        start_after: None,
        limit: Some(5),
    });
    let p2: TokensResponse = s.q(&QueryMsg::AllTokens {
        start_after: p1.tokens.last().cloned(),
        limit: Some(100),
    });
    assert_eq!(p1.tokens.len() + p2.tokens.len(), 12);
    assert_eq!(
        s.q::<Listing>(&QueryMsg::Listing { listing_id })
            .stats
            .revenue
            .u128(),
        paid_total
    );
}

#[test]
fn a_sale_after_the_model_changed_owner_or_retired_is_refused() {
    let mut s = Suite::new();
    let listing_id = s.list();
    let (buyer, alice, seller) = (s.buyer.clone(), s.alice.clone(), s.seller.clone());
    let buy = ExecuteMsg::Buy {
        listing_id,
        kind: LicenceKind::Perpetual,
        uses: None,
    };
    s.set_model(MODEL, &alice, 9_000, true);
    assert_eq!(
        s.exec(&buyer, &buy, 1_001).unwrap_err(),
        ContractError::NotModelOwner(MODEL)
    );
    s.set_model(MODEL, &seller, 9_000, false);
    assert_eq!(
        s.exec(&buyer, &buy, 1_001).unwrap_err(),
        ContractError::ModelInactive(MODEL)
    );
    s.deai.models.lock().unwrap().remove(&MODEL);
    assert_eq!(
        s.exec(&buyer, &buy, 1_001).unwrap_err(),
        ContractError::ModelNotFound(MODEL)
    );
    assert_eq!(s.balance(&buyer), START);
}
