//! Byte-level mutations (libFuzzer's classic set, without coverage feedback): bit flips,
//! interesting bytes and varints, inserts, deletes, duplicated ranges, and splices of two
//! corpus entries. Protobuf-aware mutations live in `gen.rs`.

use crate::rng::Rng;

/// Longest input a mutation produces: above every decoder's own limit, so size checks run,
/// but small enough to keep the run fast.
pub const MAX_LEN: usize = 64 * 1024;

/// `input` with 1..=4 random byte mutations; `corpus` feeds splices.
pub fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        mutate_once(rng, &mut out, corpus);
    }
    out.truncate(MAX_LEN);
    out
}

fn mutate_once(rng: &mut Rng, out: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let len = out.len();
    match rng.below(11) {
        0 | 1 if len > 0 => {
            let i = rng.below(len);
            out[i] ^= 1 << rng.below(8);
        }
        2 if len > 0 => {
            let i = rng.below(len);
            out[i] = *rng.pick(&[0u8, 1, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x1a]);
        }
        3 if len > 0 => {
            let i = rng.below(len);
            out[i] = rng.byte();
        }
        4 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let bytes = rng.bytes(n);
            out.splice(at..at, bytes);
        }
        5 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(32));
            out.drain(at..at + n);
        }
        6 if len > 0 => {
            // Duplicate a range: repeated fields, doubled length prefixes.
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(64));
            let chunk = out[at..at + n].to_vec();
            let to = rng.below(len + 1);
            out.splice(to..to, chunk);
        }
        7 => {
            // A varint at a random place: lengths and tags that lie.
            let at = rng.below(len + 1);
            let v = varint(rng.interesting_u64());
            out.splice(at..at, v);
        }
        8 if !corpus.is_empty() => {
            // Splice: a prefix of this input and a suffix of another.
            let other = rng.pick(corpus);
            let cut = rng.below(len + 1);
            let from = rng.below(other.len() + 1);
            out.truncate(cut);
            out.extend_from_slice(&other[from..]);
        }
        9 if len > 0 => {
            out.truncate(rng.below(len));
        }
        _ => {
            let at = rng.below(len + 1);
            out.insert(at, rng.byte());
        }
    }
}

/// Protobuf varint encoding of `v`.
pub fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(10);
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_deterministic_bounded_and_change_the_input() {
        let corpus = vec![vec![1u8; 100], vec![2u8; 3]];
        let (mut a, mut b) = (Rng::new(3), Rng::new(3));
        let mut changed = 0;
        for _ in 0..1000 {
            let x = mutate(&mut a, &corpus[0], &corpus);
            assert_eq!(x, mutate(&mut b, &corpus[0], &corpus));
            assert!(x.len() <= MAX_LEN);
            changed += usize::from(x != corpus[0]);
        }
        assert!(changed > 900, "{changed}");
        assert!(mutate(&mut a, &[], &[]).len() <= MAX_LEN);
    }

    #[test]
    fn varints_encode_as_protobuf_does() {
        assert_eq!(varint(0), [0]);
        assert_eq!(varint(300), [0xac, 0x02]);
        assert_eq!(varint(u64::MAX).len(), 10);
    }
}
