//! The randomized determinism run: random txs of every module against a 4-validator localnet,
//! and an independent in-process replay of the same blocks.
//!
//! The randomness lives in this client, never in the chain: a seeded [`Rng`] picks each tx's
//! module, message, validity, gas, fee, memo and sequence, so a failing run is reproduced by
//! its seed (printed at the start; `DEAI_RANDOM_SEED` overrides it). The exact set of txs
//! also depends on which ones CheckTx accepted, which a seed does not fix.

pub mod check;
pub mod gen;
pub mod replay;
pub mod submit;

/// SplitMix64: tiny, seedable and identical on every platform (no new dependency).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// An independent stream for `(a, b)` (a round and a node), derived from `seed`.
    pub fn derive(seed: u64, a: u64, b: u64) -> Self {
        let mut r = Self(seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.rotate_left(32));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`); the modulo bias is irrelevant here.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `pct`%.
    pub fn pct(&mut self, pct: u64) -> bool {
        self.below(100) < pct
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// The seed of this run: `DEAI_RANDOM_SEED` (decimal or 0x-hex), else the clock.
pub fn seed() -> u64 {
    match std::env::var("DEAI_RANDOM_SEED") {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("DEAI_RANDOM_SEED={s:?} is not a u64"))
        }
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64),
    }
}

/// The [`gen::World`] of a localnet: its validators (by the staking query), current params
/// for the unauthorized param updates, `accounts`, and a contract if one is built.
pub fn world(net: &crate::Localnet, accounts: &[String]) -> gen::World {
    use cosmos_sdk_proto::cosmos::staking::v1beta1::{
        QueryValidatorsRequest, QueryValidatorsResponse,
    };
    let vals: QueryValidatorsResponse = crate::query_service(
        net,
        "cosmos.staking.v1beta1.Query",
        "Validators",
        &QueryValidatorsRequest::default(),
    );
    let validators: Vec<String> = vals
        .validators
        .iter()
        .map(|v| v.operator_address.clone())
        .collect();
    assert!(
        !validators.is_empty(),
        "the staking query lists no validator"
    );
    let valoper_hrp = validators[0]
        .split_once('1')
        .map(|(h, _)| h.to_string())
        .expect("a bech32 operator address");
    let auth: cosmos_sdk_proto::cosmos::auth::v1beta1::QueryParamsResponse = crate::query_service(
        net,
        "cosmos.auth.v1beta1.Query",
        "Params",
        &cosmos_sdk_proto::cosmos::auth::v1beta1::QueryParamsRequest {},
    );
    let mint: cosmos_sdk_proto::cosmos::mint::v1beta1::QueryParamsResponse = crate::query_service(
        net,
        "cosmos.mint.v1beta1.Query",
        "Params",
        &cosmos_sdk_proto::cosmos::mint::v1beta1::QueryParamsRequest {},
    );
    let attest: deai_proto::attest::v1::QueryParamsResponse = crate::query_service(
        net,
        "deai.attest.v1.Query",
        "Params",
        &deai_proto::attest::v1::QueryParamsRequest {},
    );
    let artifact = crate::repo_root().join("wasm-contracts/artifacts/reflect.wasm");
    gen::World {
        validators,
        valoper_hrp,
        accounts: accounts.to_vec(),
        auth_params: auth.params,
        mint_params: mint.params,
        attest_params: attest.params,
        wasm: std::fs::read(artifact).ok(),
        ids: gen::Ids::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn a_seed_gives_the_same_stream_on_every_run() {
        let a: Vec<u64> = {
            let mut r = Rng::derive(42, 1, 2);
            (0..4).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::derive(42, 1, 2);
        assert_eq!(a, (0..4).map(|_| r.next_u64()).collect::<Vec<_>>());
        assert_ne!(a[0], Rng::derive(42, 1, 3).next_u64());
    }
}
