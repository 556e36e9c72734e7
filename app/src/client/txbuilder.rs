//! Builds and signs Cosmos txs (TxRaw, SIGN_MODE_DIRECT).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use prost::{Message, Name};

use deai_auth::SECP256K1_PUBKEY_URL;
use deai_framework::Coins;

use super::keys::AccountKey;

/// Everything needed to sign a tx for one signer.
#[derive(Clone, Debug)]
pub struct TxParams {
    pub chain_id: String,
    pub account_number: u64,
    pub sequence: u64,
    pub fee: Coins,
    pub gas_limit: u64,
    pub memo: String,
    pub timeout_height: u64,
}

pub fn to_any<M: Message + Name>(msg: &M) -> Any {
    Any {
        type_url: M::type_url(),
        value: msg.encode_to_vec(),
    }
}

fn parts(key: &AccountKey, msgs: Vec<Any>, p: &TxParams) -> (Vec<u8>, Vec<u8>) {
    let body = TxBody {
        messages: msgs,
        memo: p.memo.clone(),
        timeout_height: p.timeout_height,
        extension_options: Vec::new(),
        non_critical_extension_options: Vec::new(),
    };
    let signer = SignerInfo {
        public_key: Some(Any {
            type_url: SECP256K1_PUBKEY_URL.into(),
            value: PubKey {
                key: key.public_key(),
            }
            .encode_to_vec(),
        }),
        mode_info: Some(ModeInfo {
            sum: Some(mode_info::Sum::Single(mode_info::Single {
                mode: SignMode::Direct as i32,
            })),
        }),
        sequence: p.sequence,
    };
    #[allow(deprecated)] // `tip` is unset
    let auth = AuthInfo {
        signer_infos: vec![signer],
        fee: Some(Fee {
            amount: p.fee.to_proto(),
            gas_limit: p.gas_limit,
            payer: String::new(),
            granter: String::new(),
        }),
        tip: None,
    };
    (body.encode_to_vec(), auth.encode_to_vec())
}

/// Builds and signs a tx; returns the TxRaw bytes to broadcast.
pub fn sign_tx(key: &AccountKey, msgs: Vec<Any>, p: &TxParams) -> Vec<u8> {
    let (body_bytes, auth_info_bytes) = parts(key, msgs, p);
    let sign_doc = SignDoc {
        body_bytes: body_bytes.clone(),
        auth_info_bytes: auth_info_bytes.clone(),
        chain_id: p.chain_id.clone(),
        account_number: p.account_number,
    };
    let signature = key.sign(&sign_doc.encode_to_vec());
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature],
    }
    .encode_to_vec()
}

/// The same tx with an empty signature, for Simulate.
pub fn unsigned_tx(key: &AccountKey, msgs: Vec<Any>, p: &TxParams) -> Vec<u8> {
    let (body_bytes, auth_info_bytes) = parts(key, msgs, p);
    TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![Vec::new()],
    }
    .encode_to_vec()
}

pub fn coin(denom: &str, amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: denom.into(),
        amount: amount.to_string(),
    }
}

/// The tx hash CometBFT indexes: upper-case hex sha256 of the tx bytes.
pub fn tx_hash(tx: &[u8]) -> String {
    use sha2::Digest;
    hex::encode_upper(sha2::Sha256::digest(tx))
}
