//! Licences: buying (split paid at once, NFT receipt minted), consuming uses, rating, and the
//! cw721 transfer.

use cosmwasm_std::{coins, BankMsg, DepsMut, Env, Event, MessageInfo, Response, Storage, Uint128};

use crate::deai::DeaiQuery;
use crate::error::ContractError;
use crate::execute_listings::owned_model;
use crate::royalty;
use crate::state::{
    Licence, LicenceKind, Listing, Token, CONFIG, LAST_TOKEN_ID, LISTINGS, NUM_TOKENS, TOKENS,
    TOKENS_BY_OWNER,
};
use crate::validate;

pub const MAX_USES: u64 = 1_000_000;

/// The price of a licence of `kind` and the uses it buys (0 for perpetual).
pub(crate) fn price_of(
    listing: &Listing,
    kind: &LicenceKind,
    uses: Option<u64>,
) -> Result<(Uint128, u64), ContractError> {
    let not_offered = || ContractError::KindNotOffered {
        listing_id: listing.id,
        kind: kind.name(),
    };
    match kind {
        LicenceKind::PerUse => {
            let uses = uses
                .ok_or_else(|| ContractError::invalid("uses", "required for a per-use licence"))?;
            if !(1..=MAX_USES).contains(&uses) {
                return Err(ContractError::invalid(
                    "uses",
                    format!("must be 1..={MAX_USES}"),
                ));
            }
            let unit = listing.per_use_price.ok_or_else(not_offered)?;
            Ok((unit.checked_mul(Uint128::from(uses))?, uses))
        }
        LicenceKind::Perpetual => {
            if uses.is_some() {
                return Err(ContractError::invalid(
                    "uses",
                    "must be empty for a perpetual licence",
                ));
            }
            Ok((listing.perpetual_price.ok_or_else(not_offered)?, 0))
        }
    }
}

pub fn buy(
    deps: DepsMut<DeaiQuery>,
    env: Env,
    info: MessageInfo,
    listing_id: u64,
    kind: LicenceKind,
    uses: Option<u64>,
) -> Result<Response, ContractError> {
    let config = CONFIG.load(deps.storage)?;
    let mut listing = LISTINGS
        .may_load(deps.storage, listing_id)?
        .ok_or(ContractError::ListingNotFound(listing_id))?;
    if !listing.active {
        return Err(ContractError::ListingInactive(listing_id));
    }
    let (price, uses) = price_of(&listing, &kind, uses)?;
    let paid = validate::must_pay(&info, &config.denom)?;
    if paid != price {
        return Err(ContractError::WrongPrice { got: paid, price });
    }
    // The model must still exist, be active and belong to the seller.
    owned_model(deps.as_ref(), listing.model_id, &listing.seller)?;

    let split = royalty::split(
        price,
        config.fee_bps,
        &config.fee_collector,
        &listing.contributors,
        &listing.seller,
    )?;
    let id = LAST_TOKEN_ID
        .load(deps.storage)?
        .checked_add(1)
        .ok_or_else(|| ContractError::invalid("token_id", "ids exhausted"))?;
    LAST_TOKEN_ID.save(deps.storage, &id)?;
    let token_id = id.to_string();
    let licence = Licence {
        listing_id,
        model_id: listing.model_id,
        uses_remaining: (kind == LicenceKind::PerUse).then_some(uses),
        kind,
        uses_bought: uses,
        uses_consumed: 0,
        price_paid: price,
        purchased_at: env.block.height,
        rated: false,
    };
    TOKENS.save(
        deps.storage,
        &token_id,
        &Token {
            owner: info.sender.clone(),
            licence,
        },
    )?;
    TOKENS_BY_OWNER.save(deps.storage, (&info.sender, &token_id), &())?;
    NUM_TOKENS.update(deps.storage, |n| -> Result<u64, ContractError> {
        Ok(n.saturating_add(1))
    })?;
    listing.stats.licences_sold += 1;
    listing.stats.uses_sold = listing.stats.uses_sold.saturating_add(uses);
    listing.stats.revenue = listing.stats.revenue.checked_add(price)?;
    LISTINGS.save(deps.storage, listing_id, &listing)?;

    let msgs = split.payouts.iter().map(|p| BankMsg::Send {
        to_address: p.address.to_string(),
        amount: coins(p.amount.u128(), &config.denom),
    });
    // Typed events (`wasm-licence`, `wasm-royalty` once the chain prefixes them).
    let licence_event = Event::new("licence")
        .add_attribute("token_id", token_id.as_str())
        .add_attribute("listing_id", listing_id.to_string())
        .add_attribute("model_id", listing.model_id.to_string())
        .add_attribute("owner", info.sender.as_str())
        .add_attribute("price", price);
    let royalty_event = split.payouts.iter().fold(
        Event::new("royalty")
            .add_attribute("token_id", token_id.as_str())
            .add_attribute("fee", split.fee),
        |e, p| e.add_attribute(p.address.as_str(), p.amount),
    );
    Ok(Response::new()
        .add_messages(msgs)
        .add_event(licence_event)
        .add_event(royalty_event)
        .add_attribute("action", "buy")
        .add_attribute("listing_id", listing_id.to_string())
        .add_attribute("token_id", token_id)
        .add_attribute("owner", info.sender)
        .add_attribute("price", price)
        .add_attribute("fee", split.fee)
        .add_attribute("remainder", split.remainder))
}

fn load_token(store: &dyn Storage, token_id: &str) -> Result<Token, ContractError> {
    TOKENS
        .may_load(store, token_id)?
        .ok_or_else(|| ContractError::TokenNotFound(token_id.to_string()))
}

pub fn consume_use(
    deps: DepsMut<DeaiQuery>,
    info: MessageInfo,
    token_id: String,
    uses: u64,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let mut token = load_token(deps.storage, &token_id)?;
    let mut listing = LISTINGS.load(deps.storage, token.licence.listing_id)?;
    if listing.seller != info.sender {
        return Err(ContractError::Unauthorized("the seller"));
    }
    if uses == 0 || uses > MAX_USES {
        return Err(ContractError::invalid(
            "uses",
            format!("must be 1..={MAX_USES}"),
        ));
    }
    if let Some(remaining) = token.licence.uses_remaining {
        if remaining < uses {
            return Err(ContractError::InsufficientUses {
                token_id,
                remaining,
                requested: uses,
            });
        }
        token.licence.uses_remaining = Some(remaining - uses);
    }
    token.licence.uses_consumed = token.licence.uses_consumed.saturating_add(uses);
    listing.stats.uses_consumed = listing.stats.uses_consumed.saturating_add(uses);
    TOKENS.save(deps.storage, &token_id, &token)?;
    LISTINGS.save(deps.storage, listing.id, &listing)?;
    Ok(Response::new()
        .add_attribute("action", "consume_use")
        .add_attribute("token_id", token_id)
        .add_attribute("uses", uses.to_string()))
}

pub fn rate(
    deps: DepsMut<DeaiQuery>,
    info: MessageInfo,
    token_id: String,
    stars: u8,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    if !(1..=5).contains(&stars) {
        return Err(ContractError::invalid("stars", "must be 1..=5"));
    }
    let mut token = load_token(deps.storage, &token_id)?;
    if token.owner != info.sender {
        return Err(ContractError::Unauthorized("the licence owner"));
    }
    if token.licence.rated {
        return Err(ContractError::AlreadyRated(token_id));
    }
    token.licence.rated = true;
    let mut listing = LISTINGS.load(deps.storage, token.licence.listing_id)?;
    listing.stats.rating_sum = listing.stats.rating_sum.saturating_add(u64::from(stars));
    listing.stats.rating_count += 1;
    TOKENS.save(deps.storage, &token_id, &token)?;
    LISTINGS.save(deps.storage, listing.id, &listing)?;
    Ok(Response::new()
        .add_attribute("action", "rate")
        .add_attribute("token_id", token_id)
        .add_attribute("stars", stars.to_string()))
}

pub fn transfer_nft(
    deps: DepsMut<DeaiQuery>,
    info: MessageInfo,
    recipient: String,
    token_id: String,
) -> Result<Response, ContractError> {
    validate::no_funds(&info)?;
    let recipient = deps
        .api
        .addr_validate(&recipient)
        .map_err(|e| ContractError::invalid("recipient", e.to_string()))?;
    let mut token = load_token(deps.storage, &token_id)?;
    if token.owner != info.sender {
        return Err(ContractError::Unauthorized("the token owner"));
    }
    TOKENS_BY_OWNER.remove(deps.storage, (&token.owner, &token_id));
    TOKENS_BY_OWNER.save(deps.storage, (&recipient, &token_id), &())?;
    token.owner = recipient.clone();
    TOKENS.save(deps.storage, &token_id, &token)?;
    Ok(Response::new()
        .add_attribute("action", "transfer_nft")
        .add_attribute("sender", info.sender)
        .add_attribute("recipient", recipient)
        .add_attribute("token_id", token_id))
}
