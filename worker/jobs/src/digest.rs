//! sha256 digests, the canonical digest of a set of named tensors, and the checkpoint
//! hash chain.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// A sha256 digest, written as 64 lowercase hex characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a sha256 digest: expected 64 hex characters, got {0:?}")]
pub struct DigestParseError(pub String);

impl Digest {
    pub fn of(bytes: &[u8]) -> Digest {
        Digest(Sha256::digest(bytes).into())
    }

    /// Hashes a file by streaming it, so large datasets are not held in memory.
    pub fn of_file(path: &Path) -> std::io::Result<Digest> {
        let mut file = std::fs::File::open(path)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(Digest(hasher.finalize().into()))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl FromStr for Digest {
    type Err = DigestParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Only lowercase: one digest must have exactly one spelling.
        if s.len() != 64
            || !s
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err(DigestParseError(s.to_string()));
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| DigestParseError(s.to_string()))?;
        Ok(Digest(out))
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// One tensor as the canonical digest sees it: its name, dtype tag, shape, and its
/// elements as little-endian bytes in row-major order.
pub struct CanonicalTensor<'a> {
    pub name: &'a str,
    pub dtype: &'a str,
    pub shape: &'a [u64],
    pub data_le: &'a [u8],
}

const CANONICAL_DOMAIN: &[u8] = b"deai.weights.v1";

/// sha256 over tensors sorted by name. Each tensor contributes its name, dtype and shape
/// (length-prefixed, little-endian) before its data, so that no two different sets of
/// tensors share an encoding.
pub fn canonical_digest(tensors: &mut [CanonicalTensor<'_>]) -> Digest {
    tensors.sort_by(|a, b| a.name.cmp(b.name));
    let mut h = Sha256::new();
    h.update(CANONICAL_DOMAIN);
    h.update((tensors.len() as u64).to_le_bytes());
    for t in tensors.iter() {
        put_bytes(&mut h, t.name.as_bytes());
        put_bytes(&mut h, t.dtype.as_bytes());
        h.update((t.shape.len() as u64).to_le_bytes());
        for d in t.shape {
            h.update(d.to_le_bytes());
        }
        put_bytes(&mut h, t.data_le);
    }
    Digest(h.finalize().into())
}

fn put_bytes(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// The checkpoint hash chain. Link 0 hashes the genesis (spec and datasets) with the
/// first state; each later link hashes the previous link, the step and the state digest,
/// so altering any checkpoint changes every link after it.
#[derive(Clone, Debug)]
pub struct ChainHasher {
    prev: Digest,
}

impl ChainHasher {
    /// Starts a chain bound to a job: the same weights under another spec or dataset give
    /// another chain.
    pub fn new(spec: &Digest, datasets: &[Digest]) -> ChainHasher {
        let mut h = Sha256::new();
        h.update(b"deai.chain.v1");
        h.update(spec.0);
        h.update((datasets.len() as u64).to_le_bytes());
        for d in datasets {
            h.update(d.0);
        }
        ChainHasher {
            prev: Digest(h.finalize().into()),
        }
    }

    /// Resumes a chain after a known link (used by replay).
    pub fn resume(prev: Digest) -> ChainHasher {
        ChainHasher { prev }
    }

    pub fn link(prev: &Digest, step: u64, state: &Digest) -> Digest {
        let mut h = Sha256::new();
        h.update(prev.0);
        h.update(step.to_le_bytes());
        h.update(state.0);
        Digest(h.finalize().into())
    }

    /// Appends a checkpoint and returns its chain hash.
    pub fn push(&mut self, step: u64, state: &Digest) -> Digest {
        self.prev = Self::link(&self.prev, step, state);
        self.prev
    }

    pub fn head(&self) -> Digest {
        self.prev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_round_trips_and_rejects_bad_hex() {
        let d = Digest::of(b"abc");
        assert_eq!(
            d.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(d.to_hex().parse::<Digest>().unwrap(), d);
        assert!("ABC".parse::<Digest>().is_err());
        assert!(d.to_hex().to_uppercase().parse::<Digest>().is_err());
    }

    #[test]
    fn canonical_digest_ignores_input_order_but_not_names_or_shapes() {
        let a = [1u8, 0, 0, 0];
        let b = [2u8, 0, 0, 0];
        let t = |name, shape, data| CanonicalTensor {
            name,
            dtype: "f32",
            shape,
            data_le: data,
        };
        let d1 = canonical_digest(&mut [t("a", &[1], &a), t("b", &[1], &b)]);
        let d2 = canonical_digest(&mut [t("b", &[1], &b), t("a", &[1], &a)]);
        assert_eq!(d1, d2);
        let d3 = canonical_digest(&mut [t("a", &[1], &b), t("b", &[1], &a)]);
        assert_ne!(d1, d3);
        let d4 = canonical_digest(&mut [t("a", &[1, 1], &a), t("b", &[1], &b)]);
        assert_ne!(d1, d4);
    }

    #[test]
    fn chain_links_depend_on_everything_before() {
        let spec = Digest::of(b"spec");
        let s1 = Digest::of(b"s1");
        let s2 = Digest::of(b"s2");
        let mut c = ChainHasher::new(&spec, &[]);
        let h1 = c.push(0, &s1);
        let h2 = c.push(10, &s2);
        let mut r = ChainHasher::resume(h1);
        assert_eq!(r.push(10, &s2), h2);
        let mut other = ChainHasher::new(&Digest::of(b"other"), &[]);
        assert_ne!(other.push(0, &s1), h1);
    }
}
