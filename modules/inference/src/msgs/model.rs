//! Models: registration (the verifying key decoded and checked against the architecture and
//! circuit layout) and updates of the price and the enabled switch.

use cosmos_sdk_proto::Any;
use sha2::{Digest, Sha256};

use deai_framework::{Address, Coin, Ctx, Message, TxError};
use deai_proto::inference::v1::{self as pb, ZkMode};
use deai_zk::model::{MAX_INPUT_FRAC_BITS, MAX_LAYERS, MAX_WIDTH};

use super::{required_coin, response, sender_event};
use crate::error::InferenceError;
use crate::keeper::{InferenceRead, InferenceWrite};
use crate::params::MAX_VERIFYING_KEY_BYTES;
use crate::{events, zk, MODEL_SEQ, MODULE_NAME};

/// Longest model name.
pub const MAX_NAME_LEN: usize = 64;

fn bad(msg: impl Into<String>) -> InferenceError {
    InferenceError::InvalidModel(msg.into())
}

/// Stateless checks of a model record (shared by registration and genesis import): name,
/// architecture, hashes, mode and key presence, input range, circuit layout. The key itself
/// is decoded by [`zk::check_key`].
pub fn validate_model(m: &pb::Model) -> Result<(), InferenceError> {
    if m.name.is_empty()
        || m.name.len() > MAX_NAME_LEN
        || !m.name.bytes().all(|b| (0x20..0x7f).contains(&b))
    {
        return Err(bad(format!(
            "name must be 1..={MAX_NAME_LEN} printable ASCII bytes"
        )));
    }
    if m.architecture.len() < 2 || m.architecture.len() > MAX_LAYERS + 1 {
        return Err(bad(format!(
            "architecture must list 2..={} layer sizes",
            MAX_LAYERS + 1
        )));
    }
    if m.architecture
        .iter()
        .any(|w| *w == 0 || *w as usize > MAX_WIDTH)
    {
        return Err(bad(format!("every layer size must be 1..={MAX_WIDTH}")));
    }
    for (name, h) in [
        ("weights_sha256", &m.weights_sha256),
        ("quantized_weights_sha256", &m.quantized_weights_sha256),
    ] {
        if h.len() != 32 {
            return Err(bad(format!("{name} must be 32 bytes, got {}", h.len())));
        }
    }
    if m.input_min > m.input_max {
        return Err(bad("input_min is above input_max"));
    }
    if m.input_frac_bits > MAX_INPUT_FRAC_BITS {
        return Err(bad(format!(
            "input_frac_bits must be at most {MAX_INPUT_FRAC_BITS}"
        )));
    }
    if m.verifying_key.len() > MAX_VERIFYING_KEY_BYTES as usize {
        return Err(InferenceError::VerifyingKeyTooLarge {
            got: m.verifying_key.len(),
            max: MAX_VERIFYING_KEY_BYTES,
        });
    }
    match ZkMode::try_from(m.zk_mode) {
        Ok(ZkMode::None) => {
            if !m.verifying_key.is_empty() || !m.weight_commitment.is_empty() {
                return Err(bad(
                    "zk_mode none takes no verifying key or weight commitment",
                ));
            }
        }
        Ok(mode @ (ZkMode::Public | ZkMode::Private)) => {
            if m.verifying_key.is_empty() {
                return Err(bad("a verifying key is required unless zk_mode is none"));
            }
            if mode == ZkMode::Public && !m.weight_commitment.is_empty() {
                return Err(bad("weight_commitment is for zk_mode private only"));
            }
            if mode == ZkMode::Private && m.weight_commitment.len() != 32 {
                return Err(bad("zk_mode private needs a 32-byte weight_commitment"));
            }
            // Checks the circuit against the architecture.
            zk::layout_of(m)?;
        }
        _ => return Err(bad("zk_mode must be public, private or none")),
    }
    Ok(())
}

#[derive(Debug)]
pub struct RegisterModel {
    pub owner: Address,
    /// The record to store (id, height and server count filled in at execution).
    pub model: pb::Model,
    pub price: Coin,
}

impl TryFrom<pb::MsgRegisterModel> for RegisterModel {
    type Error = TxError;
    fn try_from(m: pb::MsgRegisterModel) -> Result<Self, TxError> {
        let owner = Address::from_bech32(&m.owner)?;
        let price = required_coin(m.price, "price")?;
        let model = pb::Model {
            id: 0,
            owner: owner.to_bech32(),
            name: m.name,
            architecture: m.architecture,
            weights_sha256: m.weights_sha256,
            quantized_weights_sha256: m.quantized_weights_sha256,
            zk_mode: m.zk_mode,
            verifying_key: m.verifying_key,
            weight_commitment: m.weight_commitment,
            input_min: m.input_min,
            input_max: m.input_max,
            input_frac_bits: m.input_frac_bits,
            circuit: m.circuit,
            price: Some(price.to_proto()),
            enabled: true,
            created_height: 0,
            server_count: 0,
        };
        validate_model(&model)?;
        Ok(Self {
            owner,
            model,
            price,
        })
    }
}

/// Room left in an adjudication tx for everything but the weights (signatures, fee, ids).
pub const ADJUDICATION_TX_ENVELOPE: u64 = 4096;

impl Message for RegisterModel {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let params = ctx.inference_params()?;
        let vk = &self.model.verifying_key;
        if vk.len() > params.max_verifying_key_bytes as usize {
            return Err(InferenceError::VerifyingKeyTooLarge {
                got: vk.len(),
                max: params.max_verifying_key_bytes,
            }
            .into());
        }
        let mut m = self.model.clone();
        m.id = ctx.next_id(MODEL_SEQ)?;
        m.created_height = ctx.block.height;
        let mut vk_sha256 = Vec::new();
        if vk.is_empty() {
            // Without a key, a dispute can only end by re-execution: the weights must fit the
            // adjudication bounds (and the tx that carries them), or a liar could not be
            // caught.
            let bytes = deai_zk::canonical_len(&m.architecture).unwrap_or(u64::MAX);
            let macs: u64 = m
                .architecture
                .windows(2)
                .map(|w| u64::from(w[0]).saturating_mul(u64::from(w[1])))
                .fold(0u64, u64::saturating_add);
            let room = params
                .max_adjudication_bytes
                .saturating_sub(ADJUDICATION_TX_ENVELOPE);
            if bytes > room || macs > params.max_adjudication_macs {
                return Err(InferenceError::AdjudicationTooLarge(format!(
                    "a model without a verifying key must be adjudicable: its weights encode \
                     to {bytes} bytes and {macs} multiply-accumulates, the chain re-executes \
                     at most {room} bytes and {} multiply-accumulates",
                    params.max_adjudication_macs
                ))
                .into());
            }
        } else {
            let layout = zk::layout_of(&m)?;
            // Decoding costs about what verifying does: charged on the same schedule.
            ctx.gas().consume(
                params.verify_gas(layout.n_public_inputs()),
                "DecodeVerifyingKey",
            )?;
            let pv = zk::check_key(&layout, vk)?;
            let digest: [u8; 32] = Sha256::digest(vk).into();
            zk::remember(m.id, digest, std::sync::Arc::new(pv));
            vk_sha256 = digest.to_vec();
        }
        ctx.put_model(&m)?;
        ctx.emit(events::model_registered(&m, vk_sha256));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgRegisterModelResponse { model_id: m.id }))
    }
}

#[derive(Debug)]
pub struct UpdateModel {
    pub owner: Address,
    pub model_id: u64,
    pub price: Coin,
    pub enabled: bool,
}

impl TryFrom<pb::MsgUpdateModel> for UpdateModel {
    type Error = TxError;
    fn try_from(m: pb::MsgUpdateModel) -> Result<Self, TxError> {
        Ok(Self {
            owner: Address::from_bech32(&m.owner)?,
            model_id: m.model_id,
            price: required_coin(m.price, "price")?,
            enabled: m.enabled,
        })
    }
}

impl Message for UpdateModel {
    fn signers(&self) -> Vec<Address> {
        vec![self.owner.clone()]
    }

    fn module(&self) -> &'static str {
        MODULE_NAME
    }

    fn execute(&self, ctx: &mut Ctx) -> Result<Any, TxError> {
        let mut m = ctx
            .get_model(self.model_id)?
            .ok_or(InferenceError::ModelNotFound(self.model_id))?;
        if m.owner != self.owner.to_bech32() {
            return Err(InferenceError::NotOwner {
                signer: self.owner.to_bech32(),
                model: m.id,
            }
            .into());
        }
        m.price = Some(self.price.to_proto());
        m.enabled = self.enabled;
        ctx.put_model(&m)?;
        ctx.emit(events::model_updated(&m));
        ctx.emit(sender_event(&self.owner));
        Ok(response(pb::MsgUpdateModelResponse {}))
    }
}
