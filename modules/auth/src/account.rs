use cosmos_sdk_proto::cosmos::auth::v1beta1::{BaseAccount, ModuleAccount};
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::Any;
use prost::{Message, Name};
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};

use crate::error::AuthError;
use deai_framework::{sdk, Address, TxError};

pub const SECP256K1_PUBKEY_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// An account. Queries and genesis show it as the SDK's `Any` (BaseAccount or
/// ModuleAccount), exactly what Cosmos clients expect; the store keeps a compact binary
/// form of it (see [`Account::encode`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub address: Address,
    /// Compressed secp256k1 key (33 bytes), or a multisig key's protobuf (see
    /// [`crate::PubKey`]), set by the account's first signed tx.
    pub pub_key: Option<Vec<u8>>,
    pub account_number: u64,
    pub sequence: u64,
    /// Set for module accounts, which no key controls.
    pub module: Option<ModuleInfo>,
}

/// What makes an account a module account (the SDK's `ModuleAccount` minus its base):
/// the owning module's name and the permissions it holds over the supply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    pub name: String,
    pub permissions: Vec<String>,
}

impl ModuleInfo {
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

/// The permission to create coins (`authtypes.Minter`).
pub const MINTER: &str = "minter";
/// The permission to destroy coins (`authtypes.Burner`).
pub const BURNER: &str = "burner";
/// Longest module account name accepted.
pub const MAX_MODULE_NAME_LEN: usize = 128;

/// The address of module `name`, as the SDK derives it (`authtypes.NewModuleAddress`):
/// the first 20 bytes of sha256(name). No key controls it.
pub fn module_address(name: &str) -> Address {
    Address::module(name)
}

/// A module account name: 1 to 128 printable ASCII characters without spaces.
pub fn validate_module_name(name: &str) -> Result<(), TxError> {
    if name.is_empty()
        || name.len() > MAX_MODULE_NAME_LEN
        || !name.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(AuthError::InvalidModuleName { name: name.into() }.into());
    }
    Ok(())
}

/// Module account permissions: non-blank, printable ASCII, no duplicates (the SDK's
/// `ValidatePermissions` plus the duplicate check).
pub fn validate_permissions(permissions: &[String]) -> Result<(), TxError> {
    for (i, p) in permissions.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::InvalidPermission {
                permission: p.clone(),
            }
            .into());
        }
        if permissions[..i].contains(p) {
            return Err(AuthError::DuplicatePermission {
                permission: p.clone(),
            }
            .into());
        }
    }
    Ok(())
}

/// The SDK's secp256k1 address: ripemd160(sha256(compressed public key)).
pub fn pubkey_address(compressed: &[u8]) -> Address {
    let sha = Sha256::digest(compressed);
    let rip = Ripemd160::digest(sha);
    let mut out = [0u8; 20];
    out.copy_from_slice(&rip);
    Address::from_hash20(out)
}

impl Account {
    pub fn new(address: Address, account_number: u64) -> Self {
        Self {
            address,
            pub_key: None,
            account_number,
            sequence: 0,
            module: None,
        }
    }

    pub fn to_base(&self) -> BaseAccount {
        BaseAccount {
            address: self.address.to_bech32(),
            // A multisig key is stored as its protobuf (see `pubkey`); anything else is
            // the secp256k1 point, written as it always was.
            pub_key: self
                .pub_key
                .as_ref()
                .map(|k| match crate::pubkey::PubKey::from_stored(k) {
                    Ok(m @ crate::pubkey::PubKey::Multisig { .. }) => m.to_any(),
                    _ => Any {
                        type_url: SECP256K1_PUBKEY_URL.to_string(),
                        value: PubKey { key: k.clone() }.encode_to_vec(),
                    },
                }),
            account_number: self.account_number,
            sequence: self.sequence,
        }
    }

    pub fn to_any(&self) -> Any {
        match &self.module {
            None => Any {
                type_url: BaseAccount::type_url(),
                value: self.to_base().encode_to_vec(),
            },
            Some(m) => Any {
                type_url: ModuleAccount::type_url(),
                value: ModuleAccount {
                    base_account: Some(self.to_base()),
                    name: m.name.clone(),
                    permissions: m.permissions.clone(),
                }
                .encode_to_vec(),
            },
        }
    }

    pub fn from_any(any: &Any) -> Result<Self, TxError> {
        let bad = |e: prost::DecodeError| sdk::internal(format!("corrupt account: {e}"));
        if any.type_url == BaseAccount::type_url() {
            Self::from_base(
                BaseAccount::decode(any.value.as_slice()).map_err(bad)?,
                None,
            )
        } else if any.type_url == ModuleAccount::type_url() {
            let m = ModuleAccount::decode(any.value.as_slice()).map_err(bad)?;
            let base = m
                .base_account
                .ok_or_else(|| sdk::internal("module account without base account"))?;
            let info = ModuleInfo {
                name: m.name,
                permissions: m.permissions,
            };
            Self::from_base(base, Some(info))
        } else {
            Err(sdk::invalid_type(format!(
                "unknown account type {}",
                any.type_url
            )))
        }
    }

    fn from_base(b: BaseAccount, module: Option<ModuleInfo>) -> Result<Self, TxError> {
        let pub_key = match b.pub_key {
            None => None,
            Some(any) if any.type_url == SECP256K1_PUBKEY_URL => {
                let pk = PubKey::decode(any.value.as_slice())
                    .map_err(|e| sdk::invalid_pubkey(format!("bad secp256k1 key: {e}")))?;
                Some(pk.key)
            }
            Some(any) => Some(crate::pubkey::PubKey::from_any(&any)?.to_stored()),
        };
        Ok(Self {
            address: Address::from_bech32(&b.address)?,
            pub_key,
            account_number: b.account_number,
            sequence: b.sequence,
            module,
        })
    }

    /// The account's row in the store: a compact binary form (see `codec`), not the
    /// `Any` that queries and genesis use.
    pub fn encode(&self) -> Vec<u8> {
        crate::codec::encode(self)
    }

    /// Reads a stored row (the compact form, or the `Any` written before it).
    pub fn decode(bytes: &[u8]) -> Result<Self, TxError> {
        crate::codec::decode(bytes)
    }

    /// The row form before the compact encoding: the SDK's `Any`.
    #[cfg(test)]
    pub(crate) fn encode_any(&self) -> Vec<u8> {
        self.to_any().encode_to_vec()
    }

    pub(crate) fn decode_any(bytes: &[u8]) -> Result<Self, TxError> {
        let any = Any::decode(bytes).map_err(|e| sdk::internal(format!("corrupt account: {e}")))?;
        Self::from_any(&any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BIP-173 bech32, written out independently of the `bech32` crate, to check derived
    /// module addresses against the strings every Cosmos chain shows for them.
    fn bech32(hrp: &str, data: &[u8]) -> String {
        const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
        const GEN: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
        let mut five = Vec::new();
        let (mut acc, mut bits) = (0u32, 0u32);
        for b in data {
            acc = ((acc << 8) | u32::from(*b)) & 0xffff;
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                five.push(((acc >> bits) & 31) as u8);
            }
        }
        if bits > 0 {
            five.push(((acc << (5 - bits)) & 31) as u8);
        }
        let mut values: Vec<u8> = hrp.bytes().map(|c| c >> 5).collect();
        values.push(0);
        values.extend(hrp.bytes().map(|c| c & 31));
        values.extend(&five);
        values.extend([0u8; 6]);
        let mut chk = 1u32;
        for v in &values {
            let top = chk >> 25;
            chk = ((chk & 0x1ff_ffff) << 5) ^ u32::from(*v);
            for (i, g) in GEN.iter().enumerate() {
                if (top >> i) & 1 == 1 {
                    chk ^= g;
                }
            }
        }
        let pm = chk ^ 1;
        five.extend((0..6).map(|i| ((pm >> (5 * (5 - i))) & 31) as u8));
        let tail: String = five
            .iter()
            .map(|v| CHARSET[usize::from(*v)] as char)
            .collect();
        format!("{hrp}1{tail}")
    }

    #[test]
    fn module_addresses_match_the_cosmos_sdk() {
        // `simd query auth module-accounts` on any Cosmos SDK chain.
        for (name, cosmos) in [
            (
                "fee_collector",
                "cosmos17xpfvakm2amg962yls6f84z3kell8c5lserqta",
            ),
            (
                "distribution",
                "cosmos1jv65s3grqf6v6jl3dp4t6c9t9rk99cd88lyufl",
            ),
            ("mint", "cosmos1m3h30wlvsf8llruxtpukdvsy0km2kum8g38c8q"),
            ("gov", "cosmos10d07y265gmmuvt4z0w9aw880jnsr700j6zn9kn"),
            (
                "bonded_tokens_pool",
                "cosmos1fl48vsnmsdzcv85q5d2q4z5ajdha8yu34mf0eh",
            ),
        ] {
            let addr = module_address(name);
            assert_eq!(addr.as_bytes().len(), 20);
            assert_eq!(bech32("cosmos", addr.as_bytes()), cosmos, "{name}");
            // The same bytes under deai's prefix, as the bech32 crate writes them.
            assert_eq!(bech32("deai", addr.as_bytes()), addr.to_bech32(), "{name}");
        }
        assert_eq!(
            module_address("fee_collector").to_bech32(),
            "deai17xpfvakm2amg962yls6f84z3kell8c5ldv8k9c"
        );
    }

    #[test]
    fn module_names_and_permissions_are_checked() {
        assert!(validate_module_name("fee_collector").is_ok());
        for bad in ["", "has space", "tab\t", "\u{e9}t\u{e9}"] {
            let e = validate_module_name(bad).unwrap_err();
            assert_eq!(
                (e.codespace, e.code),
                ("auth", crate::error::ERR_INVALID_MODULE_NAME),
                "{bad:?}"
            );
        }
        assert!(validate_module_name(&"a".repeat(MAX_MODULE_NAME_LEN + 1)).is_err());
        let perms = |p: &[&str]| p.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(validate_permissions(&perms(&[MINTER, BURNER])).is_ok());
        assert_eq!(
            validate_permissions(&perms(&[MINTER, MINTER]))
                .unwrap_err()
                .code,
            crate::error::ERR_DUPLICATE_PERMISSION
        );
        assert!(validate_permissions(&perms(&[""])).is_err());
        let info = ModuleInfo {
            name: "m".into(),
            permissions: perms(&[BURNER]),
        };
        assert!(info.has_permission(BURNER) && !info.has_permission(MINTER));
    }

    #[test]
    fn any_round_trip() {
        let mut a = Account::new(Address::from_bytes(&[3; 20]).unwrap(), 5);
        a.pub_key = Some(vec![2; 33]);
        a.sequence = 9;
        assert_eq!(Account::decode(&a.encode()).unwrap(), a);
        let mut m = Account::new(Address::module("fee_collector"), 0);
        m.module = Some(ModuleInfo {
            name: "fee_collector".into(),
            permissions: vec![],
        });
        assert_eq!(Account::decode(&m.encode()).unwrap(), m);
    }
}
