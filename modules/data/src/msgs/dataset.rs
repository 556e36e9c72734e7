//! MsgPublishDataset and MsgUpdateDataset.

use cosmos_sdk_proto::Any;

use deai_bank::{BankRead, BankWrite};
use deai_framework::{sdk, Address, Coin, Ctx, Message, TxError};
use deai_proto::data::v1 as pb;

use super::{coins_of, emit_all, response, sender_event};
use crate::datasets::{
    check_access, check_hash, check_metadata, check_price, check_uri, denom, denom_metadata,
};
use crate::error::DataError;
use crate::keeper::{DataRead, DataWrite};
use crate::{events, MODULE_ACCOUNT, MODULE_NAME};

/// The counter of dataset ids.
pub const DATASET_SEQ: &str = "dataset";

#[derive(Debug)]
pub struct PublishDataset {
    pub publisher: Address,
    pub content_sha256: Vec<u8>,
    pub size: u64,
    pub metadata: String,
    pub price: Coin,
    pub provider: Address,
    pub host_uri: String,
    pub access: pb::Access,
}

impl TryFrom<pb::MsgPublishDataset> for PublishDataset {
    type Error = TxError;
    fn try_from(m: pb::MsgPublishDataset) -> Result<Self, TxError> {
        check_hash("content_sha256", &m.content_sha256)?;
        if m.size == 0 {
            return Err(DataError::ZeroAmount("size").into());
        }
        let provider = m
            .provider
            .ok_or_else(|| sdk::invalid_request("provider is required"))?;
        check_uri(&provider.host_uri)?;
        let price = m
            .price
            .ok_or_else(|| sdk::invalid_coins("price is required"))?;
        Ok(Self {
            publisher: Address::from_bech32(&m.publisher)?,
            content_sha256: m.content_sha256,
            size: m.size,
            metadata: m.metadata,
            price: Coin::from_proto(&price)?,
            provider: Address::from_bech32(&provider.address)?,
            host_uri: provider.host_uri,
            access: check_access(m.access)?,
        })
    }
}

impl Message for PublishDataset {
    fn signers(&self) -> Vec<Address> {
        vec![self.publisher.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.data_params()?;
        let name = check_metadata(&self.metadata, params.max_metadata_bytes)?;
        check_price(&params, &self.price)?;
        // A provider runs compute-to-data jobs on whatever local file has the dataset's hash
        // (public on chain): if anyone could name it as provider, anyone could sell its
        // data's use. Only the provider itself publishes such a dataset.
        if self.access == pb::Access::ComputeToData && self.provider != self.publisher {
            return Err(DataError::ComputeToDataNotOwnProvider.into());
        }
        // Purchases pay the provider: a module account could never be paid.
        if ctx.is_blocked_address(&self.provider)? {
            return Err(DataError::BlockedRecipient(self.provider.to_bech32()).into());
        }
        let deposit = params.publisher_deposit.clone();
        if deposit.amount > 0 {
            let transfers =
                ctx.send_to_module(&self.publisher, MODULE_ACCOUNT, &coins_of(&deposit)?)?;
            emit_all(ctx, transfers);
        }
        let id = ctx.next_id(DATASET_SEQ)?;
        let d = pb::Dataset {
            id,
            publisher: self.publisher.to_bech32(),
            content_sha256: self.content_sha256.clone(),
            size: self.size,
            metadata: self.metadata.clone(),
            price: Some(self.price.to_proto()),
            provider: Some(pb::Provider {
                address: self.provider.to_bech32(),
                host_uri: self.host_uri.clone(),
            }),
            access: self.access as i32,
            deposit: Some(deposit.to_proto()),
            denom: denom(id),
            disabled: false,
            created_at: ctx.block.height,
        };
        ctx.set_denom_metadata(&denom_metadata(id, &name)?)?;
        ctx.put_dataset(&d)?;
        ctx.emit(events::dataset_published(&d));
        ctx.emit(sender_event(&self.publisher));
        Ok(response(pb::MsgPublishDatasetResponse {
            dataset_id: id,
            denom: d.denom,
        }))
    }
}

/// Changes what is given (non-empty metadata, a price, a non-empty host) and sets `disabled`.
#[derive(Debug)]
pub struct UpdateDataset {
    pub publisher: Address,
    pub dataset_id: u64,
    pub metadata: Option<String>,
    pub price: Option<Coin>,
    pub host_uri: Option<String>,
    pub disabled: bool,
}

impl TryFrom<pb::MsgUpdateDataset> for UpdateDataset {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateDataset) -> Result<Self, TxError> {
        let host_uri = (!m.provider_host_uri.is_empty()).then_some(m.provider_host_uri);
        if let Some(h) = &host_uri {
            check_uri(h)?;
        }
        Ok(Self {
            publisher: Address::from_bech32(&m.publisher)?,
            dataset_id: m.dataset_id,
            metadata: (!m.metadata.is_empty()).then_some(m.metadata),
            price: m.price.as_ref().map(Coin::from_proto).transpose()?,
            host_uri,
            disabled: m.disabled,
        })
    }
}

impl Message for UpdateDataset {
    fn signers(&self) -> Vec<Address> {
        vec![self.publisher.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.data_params()?;
        let mut d = super::load_dataset(ctx, self.dataset_id)?;
        if d.publisher != self.publisher.to_bech32() {
            return Err(DataError::Unauthorized("publisher").into());
        }
        if let Some(m) = &self.metadata {
            let name = check_metadata(m, params.max_metadata_bytes)?;
            ctx.set_denom_metadata(&denom_metadata(d.id, &name)?)?;
            d.metadata = m.clone();
        }
        if let Some(p) = &self.price {
            check_price(&params, p)?;
            d.price = Some(p.to_proto());
        }
        if let (Some(h), Some(p)) = (&self.host_uri, d.provider.as_mut()) {
            p.host_uri = h.clone();
        }
        d.disabled = self.disabled;
        ctx.put_dataset(&d)?;
        ctx.emit(events::dataset_updated(d.id));
        ctx.emit(sender_event(&self.publisher));
        Ok(response(pb::MsgUpdateDatasetResponse {}))
    }
}
