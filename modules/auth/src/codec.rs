//! The compact binary form in which the store keeps accounts.
//!
//! Every tx reads and writes accounts several times (fee payer, signers, recipients, the fee
//! collector), and the SDK's protobuf `Any` with a bech32 address string cost a bech32
//! decode and encode each time. Inside the store an account is instead:
//!
//! ```text
//! kind            u8      1 = BaseAccount, 2 = ModuleAccount
//! address         u8 length, then the bytes (1..=255, as `Address` allows)
//! account_number  u64 big-endian
//! sequence        u64 big-endian
//! pub_key         u8 0 = none, 1 = some, then u32 big-endian length and the stored key
//! -- kind 2 only --
//! name            u32 big-endian length, then UTF-8
//! permissions     u32 big-endian count, then each as u32 length and UTF-8
//! ```
//!
//! Queries and genesis still speak the SDK's `Any` ([`Account::to_any`]). A row in the old
//! form (an `Any`, whose first byte is the protobuf tag 0x0a) is still read, so a store
//! written before this encoding keeps working; it is rewritten compactly on its next change.

use deai_framework::{sdk, Address, TxError};

use crate::account::{Account, ModuleInfo};

const BASE: u8 = 1;
const MODULE: u8 = 2;
/// The first byte of a protobuf `Any` (field 1, length-delimited): the legacy row form.
const LEGACY_ANY: u8 = 0x0a;

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    // Lengths are bounded well below 4 GiB by the tx and genesis size limits.
    out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(b);
}

pub(crate) fn encode(a: &Account) -> Vec<u8> {
    let addr = a.address.as_bytes();
    let key_len = a.pub_key.as_ref().map_or(0, |k| 4 + k.len());
    let mut out = Vec::with_capacity(1 + 1 + addr.len() + 16 + 1 + key_len);
    out.push(if a.module.is_some() { MODULE } else { BASE });
    // `Address` holds 1 to 255 bytes, so the length fits a byte.
    out.push(u8::try_from(addr.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(addr);
    out.extend_from_slice(&a.account_number.to_be_bytes());
    out.extend_from_slice(&a.sequence.to_be_bytes());
    match &a.pub_key {
        None => out.push(0),
        Some(k) => {
            out.push(1);
            put_bytes(&mut out, k);
        }
    }
    if let Some(m) = &a.module {
        put_bytes(&mut out, m.name.as_bytes());
        out.extend_from_slice(
            &u32::try_from(m.permissions.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        for p in &m.permissions {
            put_bytes(&mut out, p.as_bytes());
        }
    }
    out
}

fn corrupt(why: &str) -> TxError {
    sdk::internal(format!("corrupt account: {why}"))
}

/// A cursor that refuses to read past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], TxError> {
        if self.0.len() < n {
            return Err(corrupt("truncated"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, TxError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<usize, TxError> {
        let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| corrupt("length"))?;
        usize::try_from(u32::from_be_bytes(b)).map_err(|_| corrupt("length"))
    }

    fn u64(&mut self) -> Result<u64, TxError> {
        let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| corrupt("integer"))?;
        Ok(u64::from_be_bytes(b))
    }

    /// A u32-length-prefixed field; the length is checked against what is left before
    /// anything is allocated.
    fn bytes(&mut self) -> Result<&'a [u8], TxError> {
        let n = self.u32()?;
        self.take(n)
    }

    fn string(&mut self) -> Result<String, TxError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| corrupt("invalid UTF-8"))
    }
}

pub(crate) fn decode(bytes: &[u8]) -> Result<Account, TxError> {
    let mut r = Reader(bytes);
    let kind = r.u8()?;
    if kind == LEGACY_ANY {
        return Account::decode_any(bytes);
    }
    if kind != BASE && kind != MODULE {
        return Err(corrupt(&format!("unknown kind {kind}")));
    }
    let addr_len = usize::from(r.u8()?);
    let address = Address::from_bytes(r.take(addr_len)?).map_err(|_| corrupt("address"))?;
    let account_number = r.u64()?;
    let sequence = r.u64()?;
    let pub_key = match r.u8()? {
        0 => None,
        1 => Some(r.bytes()?.to_vec()),
        _ => return Err(corrupt("public key flag")),
    };
    let module = if kind == MODULE {
        let name = r.string()?;
        let count = r.u32()?;
        // Each permission takes at least its 4-byte length: a corrupt count fails here
        // instead of reserving memory for it.
        if count > r.0.len() / 4 {
            return Err(corrupt("permission count"));
        }
        let mut permissions = Vec::with_capacity(count);
        for _ in 0..count {
            permissions.push(r.string()?);
        }
        Some(ModuleInfo { name, permissions })
    } else {
        None
    };
    if !r.0.is_empty() {
        return Err(corrupt("trailing bytes"));
    }
    Ok(Account {
        address,
        pub_key,
        account_number,
        sequence,
        module,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pubkey::PubKey;

    fn samples() -> Vec<Account> {
        let mut plain = Account::new(Address::from_bytes(&[3; 20]).unwrap(), 5);
        plain.sequence = u64::MAX;
        let mut keyed = plain.clone();
        keyed.pub_key = Some(vec![2; 33]);
        let mut multi = Account::new(Address::from_bytes(&[9; 32]).unwrap(), 1 << 40);
        multi.pub_key = Some(
            PubKey::Multisig {
                threshold: 2,
                keys: vec![vec![2; 33], vec![3; 33]],
            }
            .to_stored(),
        );
        let mut empty_key = plain.clone();
        empty_key.pub_key = Some(Vec::new());
        let mut module = Account::new(Address::module("fee_collector"), 0);
        module.module = Some(ModuleInfo {
            name: "fee_collector".into(),
            permissions: vec![],
        });
        let mut minter = Account::new(Address::module("mint"), 7);
        minter.module = Some(ModuleInfo {
            name: "mint".into(),
            permissions: vec!["minter".into(), "burner".into()],
        });
        vec![plain, keyed, multi, empty_key, module, minter]
    }

    #[test]
    fn every_kind_of_account_round_trips() {
        for a in samples() {
            let b = encode(&a);
            assert_eq!(decode(&b).unwrap(), a, "{a:?}");
            // What queries answer is unchanged by the storage form.
            assert_eq!(Account::from_any(&decode(&b).unwrap().to_any()).unwrap(), a);
        }
    }

    #[test]
    fn a_base_account_with_a_key_takes_72_bytes() {
        // Against ~150 bytes for the Any with its bech32 address and type URLs.
        assert_eq!(encode(&samples()[1]).len(), 1 + 1 + 20 + 8 + 8 + 1 + 4 + 33);
    }

    #[test]
    fn rows_in_the_old_any_form_are_still_read() {
        for a in samples() {
            assert_eq!(decode(&a.encode_any()).unwrap(), a, "{a:?}");
        }
    }

    #[test]
    fn every_truncation_and_any_extension_is_refused() {
        for a in samples() {
            let b = encode(&a);
            for n in 0..b.len() {
                let e = decode(&b[..n]).unwrap_err();
                assert_eq!(e.code, sdk::INTERNAL, "{a:?} cut at {n}");
                assert!(e.log.contains("corrupt account"), "{}", e.log);
            }
            let mut long = b.clone();
            long.push(0);
            assert!(decode(&long).is_err());
        }
        for bad in [vec![0xff; 7], vec![3, 1, 0], vec![0, 0]] {
            assert!(decode(&bad).unwrap_err().log.contains("corrupt account"));
        }
        // A bad key flag, and a huge permission count in a short row.
        let mut b = encode(&samples()[0]);
        let flag = b.len() - 1;
        b[flag] = 2;
        assert!(decode(&b).is_err());
        let mut m = encode(&samples()[4]);
        let count = m.len() - 4;
        m[count..].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(decode(&m).unwrap_err().log.contains("permission count"));
    }
}
