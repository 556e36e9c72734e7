//! `end_block`: the due round boundaries of tasks, completed unbondings and audit deadlines.

use deai_framework::{Ctx, TxError};

pub(crate) fn end_block(_ctx: &mut Ctx) -> Result<(), TxError> {
    Ok(())
}
