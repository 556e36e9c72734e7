//! Builds and signs Cosmos txs (TxRaw; SIGN_MODE_DIRECT, or LEGACY_AMINO_JSON with the
//! node's sign-doc encoder).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode as ProtoSignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use prost::{Message, Name};

use deai_auth::SECP256K1_PUBKEY_URL;
use deai_framework::Coins;

use crate::keys::AccountKey;

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

/// How a tx is signed. Amino JSON is what a Ledger signs (and multisig members, usually).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SignMode {
    #[default]
    Direct,
    /// SIGN_MODE_LEGACY_AMINO_JSON: the signer signs the `StdSignDoc`.
    AminoJson,
}

impl SignMode {
    pub fn proto(self) -> i32 {
        match self {
            SignMode::Direct => ProtoSignMode::Direct as i32,
            SignMode::AminoJson => ProtoSignMode::LegacyAminoJson as i32,
        }
    }
}

/// The `ModeInfo` of a single signer.
pub fn single_mode(mode: SignMode) -> ModeInfo {
    ModeInfo {
        sum: Some(mode_info::Sum::Single(mode_info::Single {
            mode: mode.proto(),
        })),
    }
}

/// The secp256k1 public key `Any` of `key`.
pub fn pubkey_any(key: &AccountKey) -> Any {
    Any {
        type_url: SECP256K1_PUBKEY_URL.into(),
        value: PubKey {
            key: key.public_key(),
        }
        .encode_to_vec(),
    }
}

/// Body and auth info bytes of a one-signer tx, with any key and mode info (a multisig's,
/// say).
pub fn build_parts(
    public_key: Option<Any>,
    mode_info: ModeInfo,
    msgs: Vec<Any>,
    p: &TxParams,
) -> (Vec<u8>, Vec<u8>) {
    let body = TxBody {
        messages: msgs,
        memo: p.memo.clone(),
        timeout_height: p.timeout_height,
        extension_options: Vec::new(),
        non_critical_extension_options: Vec::new(),
    };
    let signer = SignerInfo {
        public_key,
        mode_info: Some(mode_info),
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

fn parts(key: &AccountKey, msgs: Vec<Any>, p: &TxParams) -> (Vec<u8>, Vec<u8>) {
    build_parts(
        Some(pubkey_any(key)),
        single_mode(SignMode::Direct),
        msgs,
        p,
    )
}

/// Builds and signs a tx in `mode`. `amino_sign_bytes` builds the `StdSignDoc` from the
/// params and messages: the node's encoder (`deaid::tx::amino_json`), which needs the
/// protobuf descriptors this crate does not carry; it is not called for Direct.
pub fn sign_tx_mode<E>(
    key: &AccountKey,
    msgs: Vec<Any>,
    p: &TxParams,
    mode: SignMode,
    amino_sign_bytes: impl FnOnce(&TxParams, &[Any]) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, E> {
    if mode == SignMode::Direct {
        return Ok(sign_tx(key, msgs, p));
    }
    let doc = amino_sign_bytes(p, &msgs)?;
    let (body_bytes, auth_info_bytes) =
        build_parts(Some(pubkey_any(key)), single_mode(mode), msgs, p);
    Ok(TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![key.sign(&doc)],
    }
    .encode_to_vec())
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

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    use k256::ecdsa::{signature::Verifier, Signature, VerifyingKey};

    fn params() -> TxParams {
        TxParams {
            chain_id: "deai-test".into(),
            account_number: 7,
            sequence: 3,
            fee: Coins::default(),
            gas_limit: 200_000,
            memo: "m".into(),
            timeout_height: 0,
        }
    }

    #[test]
    fn signs_the_direct_sign_doc() {
        let (_, key) = AccountKey::generate().unwrap();
        let msg = MsgSend {
            from_address: key.address().to_bech32(),
            to_address: key.address().to_bech32(),
            amount: vec![coin("udeai", 5)],
        };
        let any = to_any(&msg);
        assert_eq!(any.type_url, "/cosmos.bank.v1beta1.MsgSend");
        let p = params();
        let raw = TxRaw::decode(sign_tx(&key, vec![any.clone()], &p).as_slice()).unwrap();
        assert_eq!(raw.signatures.len(), 1);
        let doc = SignDoc {
            body_bytes: raw.body_bytes.clone(),
            auth_info_bytes: raw.auth_info_bytes.clone(),
            chain_id: p.chain_id.clone(),
            account_number: p.account_number,
        };
        let vk = VerifyingKey::from_sec1_bytes(&key.public_key()).unwrap();
        let sig = Signature::from_slice(&raw.signatures[0]).unwrap();
        assert!(vk.verify(&doc.encode_to_vec(), &sig).is_ok());
        let auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).unwrap();
        assert_eq!(auth.signer_infos[0].sequence, 3);
        assert_eq!(auth.fee.unwrap().gas_limit, 200_000);

        let unsigned = TxRaw::decode(unsigned_tx(&key, vec![any], &p).as_slice()).unwrap();
        assert_eq!(unsigned.body_bytes, raw.body_bytes);
        assert_eq!(unsigned.signatures, vec![Vec::<u8>::new()]);
    }

    #[test]
    fn tx_hash_is_upper_hex_sha256() {
        let h = tx_hash(b"");
        assert_eq!(
            h,
            "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
        );
    }
}
