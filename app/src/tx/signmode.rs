//! Sign modes: SIGN_MODE_DIRECT, SIGN_MODE_LEGACY_AMINO_JSON, and multisig
//! (`LegacyAminoPubKey` with `ModeInfo.Multi`), decoded from a signer's `ModeInfo` and
//! verified against its key as the SDK's `VerifyMultisignature` does.

use cosmos_sdk_proto::cosmos::crypto::multisig::v1beta1::{CompactBitArray, MultiSignature};
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{mode_info, ModeInfo};
use prost::Message as _;

use deai_auth::{PubKey, MAX_MULTISIG_KEYS};
use deai_framework::{sdk, TxError};

use super::decode::SignerMode;

fn single(mode: i32, simulate: bool) -> Result<SignerMode, TxError> {
    match SignMode::try_from(mode) {
        Ok(SignMode::Direct) => Ok(SignerMode::Direct),
        Ok(SignMode::LegacyAminoJson) => Ok(SignerMode::AminoJson),
        // Simulation checks no signature; cosmjs simulates with SIGN_MODE_UNSPECIFIED,
        // which the Cosmos SDK accepts there too.
        Ok(SignMode::Unspecified) if simulate => Ok(SignerMode::Direct),
        _ => Err(sdk::unauthorized(format!(
            "sign mode {mode} is not supported: use SIGN_MODE_DIRECT or SIGN_MODE_LEGACY_AMINO_JSON"
        ))),
    }
}

fn sig_len(sig: &[u8]) -> Result<(), TxError> {
    if sig.len() != 64 {
        return Err(sdk::unauthorized(
            "secp256k1 signatures are 64 bytes (r || s)",
        ));
    }
    Ok(())
}

/// The CompactBitArray's flags (most significant bit first, as the SDK reads it).
fn bits(b: &CompactBitArray) -> Result<Vec<bool>, TxError> {
    if b.elems.len() > MAX_MULTISIG_KEYS.div_ceil(8) || b.extra_bits_stored > 7 {
        return Err(sdk::unauthorized("multisig bit array too large"));
    }
    let size = match (b.extra_bits_stored, b.elems.len()) {
        (0, n) => n * 8,
        // The SDK's Count() would go negative here; refuse it.
        (_, 0) => return Err(sdk::unauthorized("multisig bit array without bytes")),
        (extra, n) => (n - 1) * 8 + extra as usize,
    };
    Ok((0..size)
        .map(|i| {
            b.elems
                .get(i >> 3)
                .is_some_and(|e| e & (1 << (7 - (i % 8))) != 0)
        })
        .collect())
}

/// A signer's mode, with the signature checked for shape (a multisig's is decoded).
pub fn decode_mode(
    info: Option<ModeInfo>,
    signature: &[u8],
    simulate: bool,
) -> Result<SignerMode, TxError> {
    match info.and_then(|m| m.sum) {
        Some(mode_info::Sum::Single(s)) => {
            let mode = single(s.mode, simulate)?;
            if !simulate {
                sig_len(signature)?;
            }
            Ok(mode)
        }
        Some(mode_info::Sum::Multi(m)) => {
            let signed = bits(&m.bitarray.unwrap_or_default())?;
            if simulate && signature.is_empty() {
                return Ok(SignerMode::Multi {
                    signed,
                    sigs: Vec::new(),
                });
            }
            let multi = MultiSignature::decode(signature)
                .map_err(|e| sdk::tx_decode(format!("cannot decode multisignature: {e}")))?;
            let count = signed.iter().filter(|b| **b).count();
            if multi.signatures.len() != count || m.mode_infos.len() != count {
                return Err(sdk::unauthorized(format!(
                    "multisig: {} keys signed but {} signatures and {} modes",
                    count,
                    multi.signatures.len(),
                    m.mode_infos.len()
                )));
            }
            let mut sigs = Vec::with_capacity(count);
            for (info, sig) in m.mode_infos.into_iter().zip(multi.signatures) {
                match info.sum {
                    Some(mode_info::Sum::Single(s)) => {
                        sig_len(&sig)?;
                        sigs.push((single(s.mode, false)?, sig));
                    }
                    _ => return Err(sdk::unauthorized("nested multisigs are not supported")),
                }
            }
            Ok(SignerMode::Multi { signed, sigs })
        }
        None => Err(sdk::unauthorized("signer info without a mode")),
    }
}

/// Checks one signature: (signed bytes, secp256k1 key, signature).
pub type CheckSig<'a> = &'a dyn Fn(&[u8], &[u8], &[u8]) -> bool;

/// Verifies a signer's signature(s) under `key`; `sign_bytes` gives the bytes of a mode.
/// Gas is charged first, as the SDK's SigGasConsumeDecorator does: `secp256k1_cost` per
/// key that signed (per key of a multisig in simulation, which has no signatures).
pub fn verify(
    key: &PubKey,
    mode: &SignerMode,
    signature: &[u8],
    verify_sigs: bool,
    charge: &mut dyn FnMut(u64) -> Result<(), TxError>,
    sign_bytes: &mut dyn FnMut(&SignerMode) -> Result<Vec<u8>, TxError>,
    check: CheckSig,
) -> Result<bool, TxError> {
    match (key, mode) {
        (PubKey::Secp256k1(k), SignerMode::Direct | SignerMode::AminoJson) => {
            charge(1)?;
            Ok(!verify_sigs || check(&sign_bytes(mode)?, k, signature))
        }
        (PubKey::Multisig { threshold, keys }, SignerMode::Multi { signed, sigs }) => {
            if signed.len() != keys.len() {
                return Err(sdk::unauthorized(format!(
                    "multisig: bit array size {} is not the number of keys {}",
                    signed.len(),
                    keys.len()
                )));
            }
            if !verify_sigs {
                charge(if sigs.is_empty() {
                    keys.len()
                } else {
                    sigs.len()
                } as u64)?;
                return Ok(true);
            }
            if sigs.len() < *threshold as usize {
                return Err(sdk::unauthorized(format!(
                    "multisig: {} signatures, threshold {threshold}",
                    sigs.len()
                )));
            }
            charge(sigs.len() as u64)?;
            let signers = keys.iter().zip(signed).filter(|(_, s)| **s).map(|(k, _)| k);
            for (k, (m, sig)) in signers.zip(sigs) {
                if !check(&sign_bytes(m)?, k, sig) {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        _ => Err(sdk::invalid_pubkey(
            "the signer's mode info does not fit its public key (single vs multisig)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Panicked before the fix (fuzz/regressions/signmode-bits-empty-elems.*): extra bits
    /// with no bytes indexed past the end.
    #[test]
    fn a_bit_array_with_extra_bits_and_no_bytes_is_refused() {
        for extra in 1..=7 {
            let b = CompactBitArray {
                extra_bits_stored: extra,
                elems: vec![],
            };
            assert_eq!(bits(&b).unwrap_err().code, sdk::UNAUTHORIZED);
        }
        let b = CompactBitArray {
            extra_bits_stored: 3,
            elems: vec![0b1010_0000],
        };
        assert_eq!(bits(&b).unwrap(), vec![true, false, true]);
        let hex = include_str!("../../../fuzz/regressions/signmode-bits-empty-elems.tx.hex");
        let tx = hex::decode(hex.trim()).unwrap();
        let mut router = deai_framework::Router::new();
        let vm = crate::node::wasm_vm(std::env::temp_dir().join("deai-decode-only-wasm"));
        for m in crate::node::modules(&vm) {
            m.register(&mut router);
        }
        for simulate in [false, true] {
            assert!(crate::tx::decode_tx(&router, &tx, simulate).is_err());
        }
    }
}
