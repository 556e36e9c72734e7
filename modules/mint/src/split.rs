//! deai's emission split of one block's provision (a departure from the SDK, which sends the
//! whole provision to the fee collector).
//!
//! Integer conversions, all exact: each of the validators', training, inference and data
//! shares is `floor(minted × bps / 10,000)` (256-bit intermediate, so no overflow), and the
//! community pool gets `minted − (the four)`: its own basis points plus every rounding
//! remainder (at most 4 units a block). The five always sum to `minted`.

use deai_framework::TxError;

use crate::math::mul_div_floor;
use crate::params::{EmissionSplit, BPS};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shares {
    pub validators: u128,
    pub training: u128,
    pub inference: u128,
    pub data: u128,
    pub community_pool: u128,
}

impl Shares {
    /// The share of `market` ("training", "inference", "data"), 0 for any other name.
    pub fn of_market(&self, market: &str) -> u128 {
        match market {
            crate::TRAINING => self.training,
            crate::INFERENCE => self.inference,
            crate::DATA => self.data,
            _ => 0,
        }
    }
}

pub fn split(minted: u128, s: &EmissionSplit) -> Result<Shares, TxError> {
    let part = |bps: u32| mul_div_floor(minted, u128::from(bps), u128::from(BPS));
    let validators = part(s.validators_bps)?;
    let training = part(s.training_bps)?;
    let inference = part(s.inference_bps)?;
    let data = part(s.data_bps)?;
    // Each part is at most minted × bps / 10,000 and the bps sum to 10,000 (validated), so
    // the four never exceed minted.
    let community_pool = minted
        .checked_sub(validators)
        .and_then(|r| r.checked_sub(training))
        .and_then(|r| r.checked_sub(inference))
        .and_then(|r| r.checked_sub(data))
        .ok_or_else(|| deai_framework::sdk::internal("emission split exceeds the provision"))?;
    Ok(Shares {
        validators,
        training,
        inference,
        data,
        community_pool,
    })
}
