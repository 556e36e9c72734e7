//! Contract addresses, exactly as wasmd computes them (x/wasm/keeper/addresses.go) with the
//! Cosmos SDK's `address.Module` / `address.Hash` (types/address/hash.go):
//!
//! - `Hash(typ, key) = sha256(sha256(typ) ‖ key)`
//! - `Module(name, key) = Hash("module", name ‖ 0x00 ‖ key)`
//! - classic (`MsgInstantiateContract`): `Module("wasm", code_id ‖ instance_id)`, both u64 BE;
//! - predictable (`MsgInstantiateContract2`): `Module("wasm", lp(checksum) ‖ lp(creator) ‖
//!   lp(salt) ‖ lp(init_msg))`, where `lp(x)` is `len(x)` as a u64 BE followed by `x`, and
//!   `init_msg` is empty unless the message sets `fix_msg`.
//!
//! Contract addresses are 32 bytes ([`CONTRACT_ADDR_LEN`]); `deai_framework::Address` holds
//! 1..=255 bytes and bech32-encodes any of them, so they are `deai1…` addresses of 63
//! characters.

use deai_framework::{Address, TxError};
use sha2::{Digest, Sha256};

use crate::error::WasmError;
use crate::MODULE_NAME;

/// wasmd's `types.ContractAddrLen`.
pub const CONTRACT_ADDR_LEN: usize = 32;
/// wasmd's `types.MaxSaltSize`.
pub const MAX_SALT_SIZE: usize = 64;
/// A code checksum (sha256 of the wasm bytes) is this long.
pub const CHECKSUM_LEN: usize = 32;

/// The SDK's `address.Hash(typ, key)`.
pub fn hash(typ: &str, key: &[u8]) -> [u8; 32] {
    let th = Sha256::digest(typ.as_bytes());
    let mut h = Sha256::new();
    h.update(th);
    h.update(key);
    h.finalize().into()
}

/// The SDK's `address.Module(name, key)` with one derivation key.
pub fn module_address(name: &str, key: &[u8]) -> [u8; 32] {
    let mut k = Vec::with_capacity(name.len() + 1 + key.len());
    k.extend_from_slice(name.as_bytes());
    k.push(0);
    k.extend_from_slice(key);
    hash("module", &k)
}

fn contract_address(bytes: [u8; 32]) -> Result<Address, TxError> {
    // 32 bytes is within Address's 1..=255, so this never fails.
    Address::from_bytes(&bytes[..CONTRACT_ADDR_LEN])
}

/// wasmd's `BuildContractAddressClassic(codeID, instanceID)`.
pub fn classic(code_id: u64, instance_id: u64) -> Result<Address, TxError> {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&code_id.to_be_bytes());
    key[8..].copy_from_slice(&instance_id.to_be_bytes());
    contract_address(module_address(MODULE_NAME, &key))
}

/// `len(b)` as a u64 BE, then `b` (wasmd's `UInt64LengthPrefix`).
fn length_prefixed(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u64).to_be_bytes());
    out.extend_from_slice(b);
}

/// wasmd's `ValidateSalt`: 1..=64 bytes.
pub fn check_salt(salt: &[u8]) -> Result<(), WasmError> {
    match salt.len() {
        0 => Err(WasmError::Empty("salt is required".into())),
        n if n > MAX_SALT_SIZE => Err(WasmError::Limit(format!(
            "salt cannot be longer than {MAX_SALT_SIZE} characters"
        ))),
        _ => Ok(()),
    }
}

/// wasmd's `BuildContractAddressPredictable(checksum, creator, salt, initMsg)`: the checksum
/// must be 32 bytes and the salt valid (wasmd panics otherwise; this refuses).
pub fn predictable(
    checksum: &[u8],
    creator: &Address,
    salt: &[u8],
    init_msg: &[u8],
) -> Result<Address, TxError> {
    if checksum.len() != CHECKSUM_LEN {
        return Err(WasmError::Invalid(format!(
            "checksum must be {CHECKSUM_LEN} bytes, got {}",
            checksum.len()
        ))
        .into());
    }
    check_salt(salt)?;
    let creator = creator.as_bytes();
    let mut key =
        Vec::with_capacity(32 + checksum.len() + creator.len() + salt.len() + init_msg.len());
    length_prefixed(&mut key, checksum);
    length_prefixed(&mut key, creator);
    length_prefixed(&mut key, salt);
    length_prefixed(&mut key, init_msg);
    contract_address(module_address(MODULE_NAME, &key))
}
