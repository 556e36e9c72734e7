//! The events of auth's ante handler, with the Cosmos SDK's type and attribute names
//! (`tx.fee`, `tx.fee_payer`, `tx.acc_seq`, `tx.signature`), which explorers and
//! `tx_search` queries rely on. The one place these are built.

use std::fmt::Display;

use deai_framework::Event;

/// The fee a tx paid and who paid it (an `Address`, or its bech32 string already made).
pub fn fee(fee: &impl ToString, payer: &impl Display) -> Event {
    Event::new("tx")
        .attr("fee", fee.to_string())
        .attr("fee_payer", payer)
}

/// `address/sequence` of a signer, as the SDK writes it.
pub fn acc_seq(address: &impl Display, sequence: u64) -> Event {
    Event::new("tx").attr("acc_seq", format!("{address}/{sequence}"))
}

/// A signer's signature, base64.
pub fn signature(signature_b64: String) -> Event {
    Event::new("tx").attr("signature", signature_b64)
}
