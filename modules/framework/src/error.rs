//! Errors carried to ABCI as (codespace, code, log).
//!
//! Every module has its own codespace (its name) and codes starting at 2; code 1 is reserved
//! for internal errors. The `sdk` codespace reuses the Cosmos SDK's numbers, so that clients
//! that already know them (cosmjs, Keplr) show the right thing. Never renumber a code.

use std::fmt;

/// An error with a stable ABCI code. Cheap to build; the log is user-facing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxError {
    pub codespace: &'static str,
    pub code: u32,
    pub log: String,
}

impl TxError {
    pub fn new(codespace: &'static str, code: u32, log: impl Into<String>) -> Self {
        Self {
            codespace,
            code,
            log: log.into(),
        }
    }

    /// True for errors that mean "the node itself is broken" rather than "the tx is bad".
    pub fn is_internal(&self) -> bool {
        self.codespace == sdk::CODESPACE && self.code == sdk::INTERNAL
    }
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (codespace {}, code {})",
            self.log, self.codespace, self.code
        )
    }
}

impl std::error::Error for TxError {}

/// The Cosmos SDK's own error codes (types/errors/errors.go), in codespace "sdk".
pub mod sdk {
    use super::TxError;

    pub const CODESPACE: &str = "sdk";

    pub const INTERNAL: u32 = 1;
    pub const TX_DECODE: u32 = 2;
    pub const INVALID_SEQUENCE: u32 = 3;
    pub const UNAUTHORIZED: u32 = 4;
    pub const INSUFFICIENT_FUNDS: u32 = 5;
    pub const UNKNOWN_REQUEST: u32 = 6;
    pub const INVALID_ADDRESS: u32 = 7;
    pub const INVALID_PUBKEY: u32 = 8;
    pub const UNKNOWN_ADDRESS: u32 = 9;
    pub const INVALID_COINS: u32 = 10;
    pub const OUT_OF_GAS: u32 = 11;
    pub const MEMO_TOO_LARGE: u32 = 12;
    pub const INSUFFICIENT_FEE: u32 = 13;
    pub const TOO_MANY_SIGNATURES: u32 = 14;
    pub const NO_SIGNATURES: u32 = 15;
    pub const INVALID_REQUEST: u32 = 18;
    pub const TX_TOO_LARGE: u32 = 21;
    pub const KEY_NOT_FOUND: u32 = 22;
    pub const INVALID_CHAIN_ID: u32 = 28;
    pub const TX_TIMEOUT_HEIGHT: u32 = 30;
    pub const UNKNOWN_EXTENSION_OPTIONS: u32 = 31;
    pub const WRONG_SEQUENCE: u32 = 32;
    pub const INVALID_GAS_LIMIT: u32 = 41;
    pub const INVALID_TYPE: u32 = 29;
    pub const OVERFLOW: u32 = 43;

    macro_rules! ctor {
        ($($name:ident => $code:ident),* $(,)?) => {
            $(pub fn $name(log: impl Into<String>) -> TxError {
                TxError::new(CODESPACE, $code, log)
            })*
        };
    }

    ctor! {
        internal => INTERNAL,
        tx_decode => TX_DECODE,
        unauthorized => UNAUTHORIZED,
        insufficient_funds => INSUFFICIENT_FUNDS,
        unknown_request => UNKNOWN_REQUEST,
        invalid_address => INVALID_ADDRESS,
        invalid_pubkey => INVALID_PUBKEY,
        unknown_address => UNKNOWN_ADDRESS,
        invalid_coins => INVALID_COINS,
        out_of_gas => OUT_OF_GAS,
        memo_too_large => MEMO_TOO_LARGE,
        insufficient_fee => INSUFFICIENT_FEE,
        too_many_signatures => TOO_MANY_SIGNATURES,
        no_signatures => NO_SIGNATURES,
        invalid_request => INVALID_REQUEST,
        tx_too_large => TX_TOO_LARGE,
        key_not_found => KEY_NOT_FOUND,
        invalid_chain_id => INVALID_CHAIN_ID,
        tx_timeout_height => TX_TIMEOUT_HEIGHT,
        unknown_extension_options => UNKNOWN_EXTENSION_OPTIONS,
        wrong_sequence => WRONG_SEQUENCE,
        invalid_gas_limit => INVALID_GAS_LIMIT,
        invalid_type => INVALID_TYPE,
        overflow => OVERFLOW,
    }
}
