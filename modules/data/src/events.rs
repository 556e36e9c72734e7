//! data's typed events (`deai.data.v1.Event*`).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use deai_framework::{typed_event, Address, Coin, Event};
use deai_proto::data::v1 as pb;

use crate::params::Params;
use crate::split::Split;

pub fn params_updated(params: &Params) -> Event {
    typed_event(&pb::EventParamsUpdated {
        params: Some(params.to_proto()),
    })
}

pub fn dataset_published(d: &pb::Dataset) -> Event {
    typed_event(&pb::EventDatasetPublished {
        dataset_id: d.id,
        publisher: d.publisher.clone(),
        denom: d.denom.clone(),
        access: d.access,
        price: d.price.clone(),
    })
}

pub fn dataset_updated(id: u64) -> Event {
    typed_event(&pb::EventDatasetUpdated { dataset_id: id })
}

/// Where a purchase's payment went (shares in the denom of `paid`).
pub fn access_bought(
    d: &pb::Dataset,
    buyer: &Address,
    count: u64,
    paid: &ProtoCoin,
    s: &Split,
) -> Event {
    let c = |amount: u128| {
        Some(ProtoCoin {
            denom: paid.denom.clone(),
            amount: amount.to_string(),
        })
    };
    typed_event(&pb::EventAccessBought {
        dataset_id: d.id,
        buyer: buyer.to_bech32(),
        count,
        paid: Some(paid.clone()),
        to_publisher: c(s.to_publisher),
        to_provider: c(s.to_provider),
        to_publish_market: c(s.to_publish_market),
        to_consume_market: c(s.to_consume_market),
        to_community_pool: c(s.to_community_pool),
    })
}

pub fn access_redeemed(g: &pb::Grant) -> Event {
    typed_event(&pb::EventAccessRedeemed {
        grant_id: g.id,
        dataset_id: g.dataset_id,
        grantee: g.grantee.clone(),
        expires_at_height: g.expires_at_height,
    })
}

pub fn key_delivered(grant: u64, provider: &Address) -> Event {
    typed_event(&pb::EventKeyDelivered {
        grant_id: grant,
        provider: provider.to_bech32(),
    })
}

pub fn delivery_refunded(g: &pb::Grant, refund: &Coin) -> Event {
    typed_event(&pb::EventDeliveryRefunded {
        grant_id: g.id,
        grantee: g.grantee.clone(),
        refund: Some(refund.to_proto()),
    })
}

pub fn pool_created(p: &pb::Pool) -> Event {
    typed_event(&pb::EventPoolCreated {
        pool_id: p.id,
        owner: p.owner.clone(),
    })
}

pub fn contributed(c: &pb::Contribution) -> Event {
    typed_event(&pb::EventContributed {
        contribution_id: c.id,
        pool_id: c.pool_id,
        contributor: c.contributor.clone(),
        content_sha256: c.content_sha256.clone(),
    })
}

pub fn contribution_scored(sc: &pb::Score) -> Event {
    typed_event(&pb::EventContributionScored {
        contribution_id: sc.contribution_id,
        validator: sc.validator.clone(),
        score_u16: sc.score_u16,
    })
}

pub fn pool_epoch_settled(pool: u64, epoch: u64, rewarded: &Coin, slashed: &Coin) -> Event {
    typed_event(&pb::EventPoolEpochSettled {
        pool_id: pool,
        epoch,
        rewarded: Some(rewarded.to_proto()),
        slashed: Some(slashed.to_proto()),
    })
}

pub fn pool_closing(p: &pb::Pool, settles_at: u64) -> Event {
    typed_event(&pb::EventPoolClosing {
        pool_id: p.id,
        owner: p.owner.clone(),
        settles_at_height: settles_at,
    })
}

pub fn pool_closed(
    p: &pb::Pool,
    refunded: &Coin,
    bonds_returned: &Coin,
    to_community: &Coin,
) -> Event {
    typed_event(&pb::EventPoolClosed {
        pool_id: p.id,
        owner: p.owner.clone(),
        refunded: Some(refunded.to_proto()),
        bonds_returned: Some(bonds_returned.to_proto()),
        to_community_pool: Some(to_community.to_proto()),
    })
}

pub fn grants_pruned(ids: Vec<u64>) -> Event {
    typed_event(&pb::EventGrantsPruned {
        count: ids.len() as u64,
        grant_ids: ids,
    })
}
