//! Every key of the slashing module, and nowhere else. Consensus addresses are
//! length-prefixed, integers fixed-width big-endian.

use deai_framework::keys::KeyBuilder;
use deai_framework::Address;

use crate::MODULE_NAME;

fn k(table: &str) -> KeyBuilder {
    KeyBuilder::new(MODULE_NAME, table)
}

pub fn params() -> Vec<u8> {
    k("params").build()
}

pub fn authority() -> Vec<u8> {
    k("authority").build()
}

/// `ValidatorSigningInfo` by consensus address.
pub fn signing_info(cons: &Address) -> Vec<u8> {
    k("info").addr(cons).build()
}

pub fn signing_infos() -> Vec<u8> {
    k("info").build()
}

/// The missed-blocks bitmap: one key per missed index (`missed/<cons>/<index>`), so at most
/// `signed_blocks_window` keys per validator.
pub fn missed(cons: &Address, index: u64) -> Vec<u8> {
    k("missed").addr(cons).u64(index).build()
}

pub fn missed_of(cons: &Address) -> Vec<u8> {
    k("missed").addr(cons).build()
}
