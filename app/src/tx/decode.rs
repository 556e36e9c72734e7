//! Decoding a `TxRaw` and every check that needs no state.

use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, SignDoc, TxBody, TxRaw};
use prost::Message as _;

use deai_framework::{sdk, Address, Coins, Message, Router, TxError};

/// Largest tx accepted (CometBFT's default mempool `max_tx_bytes`).
pub const MAX_TX_BYTES: usize = 1024 * 1024;
/// Most messages in one tx.
pub const MAX_MSGS: usize = 64;
/// Hard cap on signatures before params are read (params may lower it).
pub const MAX_SIGNATURES: usize = 16;

/// One signer of a tx, in the order of the messages' signers.
pub struct Signer {
    pub address: Address,
    /// The key carried in the tx, if any, in an account's stored form (see
    /// [`deai_auth::PubKey`]); otherwise the account's stored key is used.
    pub pub_key: Option<Vec<u8>>,
    pub sequence: u64,
    pub signature: Vec<u8>,
    pub mode: SignerMode,
}

/// How a signer signed (its `ModeInfo`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignerMode {
    Direct,
    AminoJson,
    /// A multisig: which keys signed (one flag per key, from the CompactBitArray), and the
    /// mode and signature of each that did, in key order.
    Multi {
        signed: Vec<bool>,
        sigs: Vec<(SignerMode, Vec<u8>)>,
    },
}

/// A tx that passed every stateless check.
pub struct DecodedTx {
    pub body_bytes: Vec<u8>,
    pub auth_info_bytes: Vec<u8>,
    pub msgs: Vec<(String, Box<dyn Message>)>,
    /// The messages as signed, for SIGN_MODE_LEGACY_AMINO_JSON's sign doc.
    pub msg_anys: Vec<cosmos_sdk_proto::Any>,
    pub memo: String,
    pub timeout_height: u64,
    pub signers: Vec<Signer>,
    pub fee: Coins,
    pub gas_limit: u64,
    pub len: usize,
}

impl DecodedTx {
    /// The bytes a signer signed in SIGN_MODE_DIRECT.
    pub fn sign_bytes(&self, chain_id: &str, account_number: u64) -> Vec<u8> {
        SignDoc {
            body_bytes: self.body_bytes.clone(),
            auth_info_bytes: self.auth_info_bytes.clone(),
            chain_id: chain_id.to_string(),
            account_number,
        }
        .encode_to_vec()
    }

    /// The account that pays the fee: the first signer, as in the SDK. `decode_tx`
    /// guarantees at least one signer.
    pub fn fee_payer(&self) -> &Address {
        &self.signers[0].address // ok: decode_tx rejects txs without signers
    }
}

/// Decodes and checks a tx. `simulate` accepts empty signatures (clients simulate before
/// signing) but still requires one signer info per signer.
pub fn decode_tx(router: &Router, bytes: &[u8], simulate: bool) -> Result<DecodedTx, TxError> {
    if bytes.len() > MAX_TX_BYTES {
        return Err(sdk::tx_too_large(format!(
            "tx is {} bytes, larger than the maximum {MAX_TX_BYTES}",
            bytes.len()
        )));
    }
    let decode_err =
        |what: &str, e: prost::DecodeError| sdk::tx_decode(format!("cannot decode {what}: {e}"));
    let raw = TxRaw::decode(bytes).map_err(|e| decode_err("tx", e))?;
    super::strict::check_tx_raw(bytes, &raw)?;
    super::strict::check_body(&raw.body_bytes)?;
    super::strict::check_auth_info(&raw.auth_info_bytes)?;
    let body = TxBody::decode(raw.body_bytes.as_slice()).map_err(|e| decode_err("tx body", e))?;
    let auth =
        AuthInfo::decode(raw.auth_info_bytes.as_slice()).map_err(|e| decode_err("auth info", e))?;

    if body.messages.is_empty() {
        return Err(sdk::invalid_request("must contain at least one message"));
    }
    if body.messages.len() > MAX_MSGS {
        return Err(sdk::invalid_request(format!(
            "too many messages: {} > {MAX_MSGS}",
            body.messages.len()
        )));
    }
    if !body.extension_options.is_empty() {
        return Err(sdk::unknown_extension_options("unknown extension options"));
    }
    let mut msgs = Vec::with_capacity(body.messages.len());
    for any in &body.messages {
        msgs.push((any.type_url.clone(), router.decode(any)?));
    }

    // Signers in order of first appearance across messages.
    let mut addrs: Vec<Address> = Vec::new();
    for (_, m) in &msgs {
        for s in m.signers() {
            if !addrs.contains(&s) {
                addrs.push(s);
            }
        }
    }
    if addrs.is_empty() {
        return Err(sdk::no_signatures("the tx's messages name no signer"));
    }
    if addrs.len() > MAX_SIGNATURES {
        return Err(sdk::too_many_signatures(format!(
            "signatures: {}, limit: {MAX_SIGNATURES}",
            addrs.len()
        )));
    }
    if auth.signer_infos.len() != addrs.len() || (!simulate && raw.signatures.len() != addrs.len())
    {
        return Err(if raw.signatures.is_empty() && !simulate {
            sdk::no_signatures("no signatures supplied")
        } else {
            sdk::unauthorized(format!(
                "wrong number of signers; expected {}, got {} signer infos and {} signatures",
                addrs.len(),
                auth.signer_infos.len(),
                raw.signatures.len()
            ))
        });
    }

    let mut signers = Vec::with_capacity(addrs.len());
    for (i, (address, info)) in addrs.into_iter().zip(auth.signer_infos).enumerate() {
        let signature = raw.signatures.get(i).cloned().unwrap_or_default();
        let mode = super::signmode::decode_mode(info.mode_info, &signature, simulate)?;
        let pub_key = match info.public_key {
            None => None,
            Some(any) => Some(deai_auth::PubKey::from_any(&any)?.to_stored()),
        };
        signers.push(Signer {
            address,
            pub_key,
            sequence: info.sequence,
            signature,
            mode,
        });
    }

    let fee = auth.fee.unwrap_or_default();
    if !fee.payer.is_empty() || !fee.granter.is_empty() {
        return Err(sdk::invalid_request(
            "fee payers and fee grants are not supported",
        ));
    }
    #[allow(deprecated)] // tips were removed from the SDK; reject them explicitly
    let has_tip = auth.tip.is_some();
    if has_tip {
        return Err(sdk::invalid_request("tips are not supported"));
    }
    Ok(DecodedTx {
        body_bytes: raw.body_bytes,
        auth_info_bytes: raw.auth_info_bytes,
        msgs,
        msg_anys: body.messages,
        memo: body.memo,
        timeout_height: body.timeout_height,
        signers,
        fee: Coins::from_proto(&fee.amount)?,
        gas_limit: fee.gas_limit,
        len: bytes.len(),
    })
}
