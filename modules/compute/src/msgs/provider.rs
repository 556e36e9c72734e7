//! Providers: create (stake escrowed in the module account), update, delete (stake refunded;
//! refused while the provider holds active leases), and auditor signatures of attributes.

use cosmos_sdk_proto::Any;

use deai_bank::BankWrite;
use deai_framework::{Address, Coin, Ctx, Message, TxError};
use deai_proto::compute::v1 as pb;

use super::{
    canonical_attributes, coins_of, emit_all, required_coin, response, sender_event,
    validate_host_uri,
};
use crate::error::ComputeError;
use crate::keeper::{ComputeRead, ComputeWrite, MAX_AUDITORS_PER_PROVIDER};
use crate::{events, MODULE_NAME};

fn load(ctx: &Ctx, owner: &Address) -> Result<pb::Provider, TxError> {
    ctx.get_provider(owner)?
        .ok_or_else(|| ComputeError::ProviderNotFound(owner.to_bech32()).into())
}

fn fits(capacity: &pb::Resources, in_use: &pb::Resources) -> bool {
    capacity.cpu_millis >= in_use.cpu_millis
        && capacity.memory_bytes >= in_use.memory_bytes
        && capacity.gpus >= in_use.gpus
        && capacity.storage_bytes >= in_use.storage_bytes
}

#[derive(Debug)]
pub struct CreateProvider {
    pub owner: Address,
    pub host_uri: String,
    pub attributes: Vec<pb::Attribute>,
    pub capacity: pb::Resources,
    pub stake: Coin,
}

impl TryFrom<pb::MsgCreateProvider> for CreateProvider {
    type Error = TxError;
    fn try_from(m: pb::MsgCreateProvider) -> Result<Self, TxError> {
        validate_host_uri(&m.host_uri)?;
        let stake = required_coin(m.stake, "stake")?;
        if stake.amount == 0 {
            return Err(ComputeError::ZeroAmount("stake").into());
        }
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            host_uri: m.host_uri,
            attributes: canonical_attributes(m.attributes)?,
            capacity: m.capacity.unwrap_or_default(),
            stake,
        })
    }
}

impl Message for CreateProvider {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        if ctx.get_provider(&self.owner)?.is_some() {
            return Err(ComputeError::ProviderExists(self.owner.to_bech32()).into());
        }
        let min = ctx.compute_params()?.provider_min_stake;
        if self.stake.denom != min.denom {
            return Err(ComputeError::DenomMismatch(format!(
                "stake must be in {}, got {}",
                min.denom, self.stake.denom
            ))
            .into());
        }
        if self.stake.amount < min.amount {
            return Err(ComputeError::StakeTooLow {
                got: self.stake.to_string(),
                min: min.to_string(),
            }
            .into());
        }
        let transfers = ctx.send_to_module(&self.owner, MODULE_NAME, &coins_of(&self.stake)?)?;
        emit_all(ctx, transfers);
        let p = pb::Provider {
            owner: self.owner.to_bech32(),
            host_uri: self.host_uri.clone(),
            attributes: self.attributes.clone(),
            capacity: Some(self.capacity),
            in_use: Some(pb::Resources::default()),
            stake: Some(self.stake.to_proto()),
            jailed: false,
            active_leases: 0,
        };
        ctx.put_provider(&self.owner, &p)?;
        ctx.emit(events::provider_created(&p));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgCreateProviderResponse {}))
    }
}

/// Replaces the host URI, the attributes and the capacity. Auditor signatures stay; they name
/// the values signed, so a changed value no longer matches them.
#[derive(Debug)]
pub struct UpdateProvider {
    pub owner: Address,
    pub host_uri: String,
    pub attributes: Vec<pb::Attribute>,
    pub capacity: pb::Resources,
}

impl TryFrom<pb::MsgUpdateProvider> for UpdateProvider {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateProvider) -> Result<Self, TxError> {
        validate_host_uri(&m.host_uri)?;
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            host_uri: m.host_uri,
            attributes: canonical_attributes(m.attributes)?,
            capacity: m.capacity.unwrap_or_default(),
        })
    }
}

impl Message for UpdateProvider {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut p = load(ctx, &self.owner)?;
        if !fits(&self.capacity, &p.in_use.unwrap_or_default()) {
            return Err(ComputeError::CapacityBelowUse.into());
        }
        p.host_uri = self.host_uri.clone();
        p.attributes = self.attributes.clone();
        p.capacity = Some(self.capacity);
        ctx.put_provider(&self.owner, &p)?;
        // A signature covering an attribute the provider no longer offers is dropped (at most
        // MAX_AUDITORS_PER_PROVIDER of them).
        for sig in ctx.signed_attributes_of(&self.owner)? {
            if sig.attributes.iter().any(|a| !p.attributes.contains(a)) {
                let auditor = crate::keeper::stored_addr(&sig.auditor)?;
                ctx.remove_signed_attributes(&self.owner, &auditor)?;
            }
        }
        ctx.emit(events::provider_updated(&p));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgUpdateProviderResponse {}))
    }
}

#[derive(Debug)]
pub struct DeleteProvider {
    pub owner: Address,
}

impl TryFrom<pb::MsgDeleteProvider> for DeleteProvider {
    type Error = TxError;
    fn try_from(m: pb::MsgDeleteProvider) -> Result<Self, TxError> {
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
        })
    }
}

impl Message for DeleteProvider {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let p = load(ctx, &self.owner)?;
        // A jailed provider's stake stays until governance unjails it (issue: economics).
        if p.jailed {
            return Err(ComputeError::ProviderJailed(self.owner.to_bech32()).into());
        }
        if ctx.referees_pending_audit(&self.owner)? {
            return Err(ComputeError::RefereesPendingAudit(self.owner.to_bech32()).into());
        }
        if p.active_leases > 0 {
            return Err(ComputeError::ProviderHasLeases {
                owner: self.owner.to_bech32(),
                leases: p.active_leases,
            }
            .into());
        }
        let stake = match &p.stake {
            Some(c) => Coin::from_proto(c)?,
            None => Coin::new(ctx.compute_params()?.provider_min_stake.denom, 0)?,
        };
        if stake.amount > 0 {
            let transfers = ctx.send_from_module(MODULE_NAME, &self.owner, &coins_of(&stake)?)?;
            emit_all(ctx, transfers);
        }
        ctx.remove_provider(&self.owner)?;
        ctx.emit(events::provider_deleted(&self.owner, &stake));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgDeleteProviderResponse {}))
    }
}

/// An auditor vouches for some of a provider's attributes (each must be one the provider
/// offers, key and value). Signing again replaces the auditor's earlier signature.
#[derive(Debug)]
pub struct SignProviderAttributes {
    pub auditor: Address,
    pub provider: Address,
    pub attributes: Vec<pb::Attribute>,
}

impl TryFrom<pb::MsgSignProviderAttributes> for SignProviderAttributes {
    type Error = TxError;
    fn try_from(m: pb::MsgSignProviderAttributes) -> Result<Self, TxError> {
        let attributes = canonical_attributes(m.attributes)?;
        if attributes.is_empty() {
            return Err(ComputeError::InvalidAttributes("nothing to sign".into()).into());
        }
        Ok(Self {
            auditor: Address::from_bech32(&m.auditor)?,
            provider: Address::from_bech32(&m.provider)?,
            attributes,
        })
    }
}

impl Message for SignProviderAttributes {
    fn signers(&self) -> Vec<Address> {
        vec![self.auditor.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let p = load(ctx, &self.provider)?;
        for a in &self.attributes {
            if !p.attributes.contains(a) {
                return Err(
                    ComputeError::AttributeNotOffered(format!("{}={}", a.key, a.value)).into(),
                );
            }
        }
        let is_new = ctx
            .get_signed_attributes(&self.provider, &self.auditor)?
            .is_none();
        if is_new && ctx.signed_attributes_of(&self.provider)?.len() >= MAX_AUDITORS_PER_PROVIDER {
            return Err(ComputeError::TooManySignatures(self.provider.to_bech32()).into());
        }
        let s = pb::SignedAttributes {
            provider: self.provider.to_bech32(),
            auditor: self.auditor.to_bech32(),
            attributes: self.attributes.clone(),
        };
        ctx.put_signed_attributes(&self.provider, &self.auditor, &s)?;
        ctx.emit(events::attributes_signed(&s));
        ctx.emit(sender_event(&self.auditor));
        Ok(response(pb::MsgSignProviderAttributesResponse {}))
    }
}
