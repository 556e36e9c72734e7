//! Stateless input checks and the funds helpers (shared by deai's contracts).

pub use deai_contract_input::{denom, must_pay, no_funds, positive, text, token};

pub const MAX_NAME: usize = 64;
pub const MAX_URI: usize = 512;
