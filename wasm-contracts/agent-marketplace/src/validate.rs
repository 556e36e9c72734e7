//! Stateless input checks and the funds helpers: the agent marketplace's own, and those
//! deai's contracts share.

pub use deai_contract_input::{denom, must_pay, no_funds, positive, sha256_hex, text, token};

use crate::error::ContractError;

pub const MAX_NAME: usize = 64;
pub const MAX_CAPABILITIES: usize = 16;
pub const MAX_CAPABILITY: usize = 64;
pub const MAX_ENDPOINT: usize = 256;
pub const MAX_TASK: usize = 1024;
pub const MAX_URI: usize = 512;
pub const MAX_REASON: usize = 512;
pub const ENDPOINT_SCHEMES: [&str; 6] = [
    "https://", "http://", "grpcs://", "grpc://", "wss://", "ws://",
];

pub fn capabilities(caps: &[String]) -> Result<(), ContractError> {
    if caps.is_empty() || caps.len() > MAX_CAPABILITIES {
        return Err(ContractError::invalid(
            "capabilities",
            format!("must list 1..={MAX_CAPABILITIES} capabilities"),
        ));
    }
    for (i, c) in caps.iter().enumerate() {
        token("capabilities", c, MAX_CAPABILITY)?;
        if caps[..i].contains(c) {
            return Err(ContractError::invalid(
                "capabilities",
                format!("duplicate {c}"),
            ));
        }
    }
    Ok(())
}

pub fn endpoint(e: &str) -> Result<(), ContractError> {
    token("endpoint", e, MAX_ENDPOINT)?;
    match ENDPOINT_SCHEMES.iter().find(|s| e.starts_with(*s)) {
        Some(s) if e.len() > s.len() => Ok(()),
        _ => Err(ContractError::invalid(
            "endpoint",
            format!("must be a URL with one of the schemes {ENDPOINT_SCHEMES:?}"),
        )),
    }
}
