//! The canonical byte encoding of a [`QuantizedModel`] (`deai.quantized_mlp.v1`), whose
//! sha256 is a chain model's `quantized_weights_sha256`. One implementation, used by the
//! worker (to hash and write it) and by the chain (to decode the weights a challenger
//! submits in a dispute). All integers little-endian:
//!
//! ```text
//! "deai.quantized_mlp.v1"
//! u32 layer count
//! i64 input_min, i64 input_max, u32 weight_bits, u32 input_frac_bits, i32 output_frac_bits
//! per layer: u32 n_in, u32 n_out, u32 shift,
//!            n_out·n_in × i64 weight (row-major [out][in]), n_out × i64 bias
//! ```
//!
//! Decoding is strict and bounded: the input must be at most [`DecodeLimits::max_bytes`],
//! every size is checked against the bytes left before anything is allocated, the
//! multiply-accumulates against [`DecodeLimits::max_macs`], there is nothing after the last
//! layer, and the model must pass [`QuantizedModel::validate`]. It never panics.

use crate::model::{QuantLayer, QuantizedModel, MAX_LAYERS, MAX_WIDTH};
use crate::ZkError;

/// Domain tag that starts every encoding.
pub const QUANTIZED_DOMAIN: &[u8] = b"deai.quantized_mlp.v1";

/// The length of the canonical encoding of a model with layer sizes `architecture` (input
/// first), computed without the weights (saturating; None for fewer than 2 sizes): what a
/// chain can check at registration, before any weights exist.
pub fn canonical_len(architecture: &[u32]) -> Option<u64> {
    if architecture.len() < 2 {
        return None;
    }
    // Domain, layer count, input_min, input_max, weight_bits, input_frac_bits,
    // output_frac_bits.
    let header = QUANTIZED_DOMAIN.len() as u64 + 4 + 8 + 8 + 4 + 4 + 4;
    Some(architecture.windows(2).fold(header, |acc, w| {
        let (n_in, n_out) = (u64::from(w[0]), u64::from(w[1]));
        let layer = 12u64
            .saturating_add(n_in.saturating_mul(n_out).saturating_mul(8))
            .saturating_add(n_out.saturating_mul(8));
        acc.saturating_add(layer)
    }))
}

/// Bounds of [`QuantizedModel::from_canonical_bytes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Largest encoding accepted.
    pub max_bytes: usize,
    /// Most multiply-accumulates (Σ n_in·n_out) of the model.
    pub max_macs: u64,
}

impl Default for DecodeLimits {
    /// Everything [`QuantizedModel::validate`] allows, up to 64 MiB.
    fn default() -> Self {
        Self {
            max_bytes: 64 << 20,
            max_macs: u64::MAX,
        }
    }
}

fn bad(msg: impl Into<String>) -> ZkError {
    ZkError::InvalidModel(format!("canonical encoding: {}", msg.into()))
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], ZkError> {
        if self.buf.len() < n {
            return Err(bad(format!("truncated at {what}")));
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    fn arr<const N: usize>(&mut self, what: &str) -> Result<[u8; N], ZkError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u32(&mut self, what: &str) -> Result<u32, ZkError> {
        Ok(u32::from_le_bytes(self.arr(what)?))
    }
    fn i32(&mut self, what: &str) -> Result<i32, ZkError> {
        Ok(i32::from_le_bytes(self.arr(what)?))
    }
    fn i64(&mut self, what: &str) -> Result<i64, ZkError> {
        Ok(i64::from_le_bytes(self.arr(what)?))
    }
    fn i64s(&mut self, n: usize, what: &str) -> Result<Vec<i64>, ZkError> {
        let bytes = n
            .checked_mul(8)
            .ok_or_else(|| bad(format!("{what} too large")))?;
        let raw = self.take(bytes, what)?;
        Ok(raw
            .chunks_exact(8)
            .map(|c| {
                let mut a = [0u8; 8];
                a.copy_from_slice(c);
                i64::from_le_bytes(a)
            })
            .collect())
    }
}

impl QuantizedModel {
    /// Multiply-accumulates of one inference: Σ n_in·n_out over the layers (saturating).
    pub fn macs(&self) -> u64 {
        self.layers.iter().fold(0u64, |acc, l| {
            acc.saturating_add((l.n_in as u64).saturating_mul(l.n_out as u64))
        })
    }

    /// The canonical encoding (module docs).
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + 8 * self.num_parameters());
        out.extend_from_slice(QUANTIZED_DOMAIN);
        out.extend_from_slice(&(self.layers.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.input_min.to_le_bytes());
        out.extend_from_slice(&self.input_max.to_le_bytes());
        out.extend_from_slice(&self.weight_bits.to_le_bytes());
        out.extend_from_slice(&self.input_frac_bits.to_le_bytes());
        out.extend_from_slice(&self.output_frac_bits.to_le_bytes());
        for l in &self.layers {
            out.extend_from_slice(&(l.n_in as u32).to_le_bytes());
            out.extend_from_slice(&(l.n_out as u32).to_le_bytes());
            out.extend_from_slice(&l.shift.to_le_bytes());
            for w in &l.weight {
                out.extend_from_slice(&w.to_le_bytes());
            }
            for b in &l.bias {
                out.extend_from_slice(&b.to_le_bytes());
            }
        }
        out
    }

    /// Decodes the canonical encoding, strictly and within `limits` (module docs). The
    /// result passed [`QuantizedModel::validate`], and re-encodes to exactly `bytes`.
    pub fn from_canonical_bytes(bytes: &[u8], limits: DecodeLimits) -> Result<Self, ZkError> {
        if bytes.len() > limits.max_bytes {
            return Err(bad(format!(
                "{} bytes exceed the limit of {}",
                bytes.len(),
                limits.max_bytes
            )));
        }
        let mut r = Reader { buf: bytes };
        if r.take(QUANTIZED_DOMAIN.len(), "domain")? != QUANTIZED_DOMAIN {
            return Err(bad("wrong domain tag"));
        }
        let n_layers = r.u32("layer count")? as usize;
        if n_layers == 0 || n_layers > MAX_LAYERS {
            return Err(bad(format!("{n_layers} layers, want 1..={MAX_LAYERS}")));
        }
        let input_min = r.i64("input_min")?;
        let input_max = r.i64("input_max")?;
        let weight_bits = r.u32("weight_bits")?;
        let input_frac_bits = r.u32("input_frac_bits")?;
        let output_frac_bits = r.i32("output_frac_bits")?;
        let mut layers = Vec::with_capacity(n_layers);
        let mut macs = 0u64;
        for l in 0..n_layers {
            let n_in = r.u32("n_in")? as usize;
            let n_out = r.u32("n_out")? as usize;
            let shift = r.u32("shift")?;
            if n_in == 0 || n_out == 0 || n_in > MAX_WIDTH || n_out > MAX_WIDTH {
                return Err(bad(format!("layer {l}: shape {n_out}x{n_in} unsupported")));
            }
            macs = macs.saturating_add((n_in * n_out) as u64);
            if macs > limits.max_macs {
                return Err(bad(format!(
                    "more than {} multiply-accumulates",
                    limits.max_macs
                )));
            }
            // Both products are at most 4096² · 8 bytes: checked against what is left
            // before anything is allocated.
            let weight = r.i64s(n_in * n_out, "weights")?;
            let bias = r.i64s(n_out, "biases")?;
            layers.push(QuantLayer {
                n_in,
                n_out,
                weight,
                bias,
                shift,
            });
        }
        if !r.buf.is_empty() {
            return Err(bad(format!("{} trailing bytes", r.buf.len())));
        }
        let m = QuantizedModel {
            layers,
            input_min,
            input_max,
            weight_bits,
            input_frac_bits,
            output_frac_bits,
        };
        m.validate()?;
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(dims: &[usize]) -> QuantizedModel {
        let mut k = 0i64;
        let layers = dims
            .windows(2)
            .enumerate()
            .map(|(l, w)| {
                let last = l + 2 == dims.len();
                QuantLayer {
                    n_in: w[0],
                    n_out: w[1],
                    weight: (0..w[0] * w[1])
                        .map(|_| {
                            k += 1;
                            (k * 37) % 255 - 127
                        })
                        .collect(),
                    bias: (0..w[1]).map(|j| j as i64 * 3 - 5).collect(),
                    shift: if last { 0 } else { 6 },
                }
            })
            .collect();
        QuantizedModel {
            layers,
            input_min: -3,
            input_max: 15,
            weight_bits: 8,
            input_frac_bits: 2,
            output_frac_bits: -1,
        }
    }

    #[test]
    fn round_trips_and_matches_the_documented_layout() {
        let m = model(&[4, 3, 2]);
        let b = m.canonical_bytes();
        // domain, 5 header fields, 2 × (3 u32 + weights + biases)
        assert_eq!(
            b.len(),
            21 + 4 + 8 + 8 + 4 + 4 + 4 + 2 * 12 + 8 * (12 + 3 + 6 + 2)
        );
        assert_eq!(&b[..21], QUANTIZED_DOMAIN);
        assert_eq!(&b[21..25], &2u32.to_le_bytes());
        let back = QuantizedModel::from_canonical_bytes(&b, DecodeLimits::default()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.canonical_bytes(), b);
        assert_eq!(m.macs(), 12 + 6);
        let big = model(&[784, 56, 10]);
        let bb = big.canonical_bytes();
        // The length is known from the architecture alone.
        assert_eq!(canonical_len(&[4, 3, 2]), Some(b.len() as u64));
        assert_eq!(canonical_len(&[784, 56, 10]), Some(bb.len() as u64));
        assert_eq!(canonical_len(&[4]), None);
        assert_eq!(
            canonical_len(&[u32::MAX; 3]).map(|n| n > (1 << 40)),
            Some(true)
        );
        assert_eq!(
            QuantizedModel::from_canonical_bytes(&bb, DecodeLimits::default()).unwrap(),
            big
        );
    }

    #[test]
    fn rejects_every_malformed_or_oversized_encoding_without_panicking() {
        let m = model(&[4, 3, 2]);
        let b = m.canonical_bytes();
        let lim = DecodeLimits::default();
        let dec = |x: &[u8]| QuantizedModel::from_canonical_bytes(x, lim);
        // Every strict prefix is truncated; one byte more is trailing.
        for n in 0..b.len() {
            assert!(dec(&b[..n]).is_err(), "prefix {n}");
        }
        let mut long = b.clone();
        long.push(0);
        assert!(dec(&long).is_err());
        // Wrong domain.
        let mut d = b.clone();
        d[0] ^= 1;
        assert!(dec(&d).is_err());
        // Zero and too many layers.
        let mut z = b.clone();
        z[21..25].copy_from_slice(&0u32.to_le_bytes());
        assert!(dec(&z).is_err());
        z[21..25].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(dec(&z).is_err());
        // A huge shape in a tiny buffer: refused before allocating.
        let mut h = b[..53].to_vec();
        h.extend_from_slice(&4096u32.to_le_bytes());
        h.extend_from_slice(&4096u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        assert!(dec(&h).is_err());
        h[53..57].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(dec(&h).is_err());
        // A weight outside weight_bits: decodes structurally, fails validation.
        let mut w = b.clone();
        w[65..73].copy_from_slice(&1000i64.to_le_bytes());
        assert!(matches!(dec(&w), Err(ZkError::InvalidModel(_))));
        // Limits.
        let tight = DecodeLimits {
            max_bytes: b.len() - 1,
            max_macs: u64::MAX,
        };
        assert!(QuantizedModel::from_canonical_bytes(&b, tight).is_err());
        let few = DecodeLimits {
            max_bytes: usize::MAX,
            max_macs: 17,
        };
        assert!(QuantizedModel::from_canonical_bytes(&b, few).is_err());
        let exact = DecodeLimits {
            max_bytes: b.len(),
            max_macs: 18,
        };
        assert_eq!(QuantizedModel::from_canonical_bytes(&b, exact).unwrap(), m);
        // Random bytes after the header never panic.
        let mut x = 0x1234_5678_9abc_def0u64;
        for _ in 0..2000 {
            let mut t = b.clone();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let i = (x as usize) % t.len();
                t[i] = (x >> 32) as u8;
            }
            let _ = dec(&t);
        }
    }
}
