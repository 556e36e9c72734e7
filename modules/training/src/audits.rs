//! Proof-of-learning audits (docs/training.md).

use deai_framework::{Ctx, TxError};

pub(crate) fn end_block(_ctx: &mut Ctx) -> Result<(), TxError> {
    Ok(())
}
