//! CheckTx: a tx against the mempool's view of state (the last commit plus the writes of
//! the txs checked since).

use prost::bytes::Bytes;
use tendermint_proto::v0_38::abci::{self as abci, CheckTxType};

use deai_framework::StateRead;

use super::{lock, App};
use crate::tx::exec::{run_decoded, ExecMode, TxOutcome};
use crate::tx::{decode_tx, DecodedTx};

/// (sign bytes, public key, signature) of every SIGN_MODE_DIRECT signer of `tx` whose
/// account exists in `state` with a known key. Amino-JSON and multisig signers sign other
/// bytes; the ante handler verifies them itself, so they are not pre-verified here.
pub(super) fn signature_jobs<'t>(
    state: &dyn StateRead,
    tx: &'t DecodedTx,
    chain_id: &str,
) -> Vec<(Vec<u8>, Vec<u8>, &'t [u8])> {
    use deai_auth::AuthRead;
    tx.signers
        .iter()
        .filter(|s| s.mode == crate::tx::decode::SignerMode::Direct)
        .filter_map(|s| {
            let acct = state.account(&s.address).ok()??;
            let pk = s.pub_key.clone().or(acct.pub_key)?;
            Some((
                tx.sign_bytes(chain_id, acct.account_number),
                pk,
                s.signature.as_slice(),
            ))
        })
        .collect()
}

impl App {
    pub fn check_tx(&self, req: abci::RequestCheckTx) -> abci::ResponseCheckTx {
        let mode = if req.r#type == CheckTxType::Recheck as i32 {
            ExecMode::ReCheck
        } else {
            ExecMode::Check
        };
        let block = self.next_block_info();
        let latest = self.inner.storage.latest();
        let env = self.ante_env(&block.chain_id);
        let decoded = decode_tx(&self.inner.router, &req.tx, false);
        if let (Ok(tx), ExecMode::Check) = (&decoded, mode) {
            // Verify against the committed state before taking the mempool lock, so that
            // concurrent CheckTx calls verify in parallel; the locked pass hits the cache.
            self.verify_into_cache(&latest, tx, &block.chain_id);
        }
        let mut check = lock(&self.inner.check_state);
        // The tx runs over the mempool's writes without taking them: whatever happens to it
        // (a failure, a panic), the earlier txs' writes stay, and only a passing tx's own
        // writes are added.
        let outcome = match &decoded {
            Ok(tx) => check.read(&latest, |state| run_decoded(&env, state, tx, mode, &block)),
            Err(e) => TxOutcome::failed(e.clone(), 0, 0, Vec::new(), Default::default()),
        };
        if outcome.is_ok() {
            check.apply(outcome.writes);
        }
        // A storage fault only rejects this tx (code 1): CheckTx changes no state. Say so
        // loudly, since FinalizeBlock will halt on the same fault.
        if let Some(e) = latest.take_fault() {
            tracing::error!(op = e.op, what = %e.what, "CheckTx rejected a tx on a {e}");
        }
        abci::ResponseCheckTx {
            code: outcome.code,
            data: Bytes::new(),
            log: outcome.log,
            info: String::new(),
            gas_wanted: i64::try_from(outcome.gas_wanted).unwrap_or(i64::MAX),
            gas_used: i64::try_from(outcome.gas_used).unwrap_or(i64::MAX),
            events: Vec::new(),
            codespace: outcome.codespace.to_string(),
        }
    }

    /// Verifies the signatures of `tx` whose key and account number `state` knows, into the
    /// signature cache. Failures are not reported here: the ante handler verifies again
    /// (a cache miss) and reports them.
    fn verify_into_cache(&self, state: &dyn StateRead, tx: &DecodedTx, chain_id: &str) {
        for (sign_bytes, pk, sig) in signature_jobs(state, tx, chain_id) {
            self.inner.sig_cache.verify(&sign_bytes, &pk, sig);
        }
    }
}
