//! The ante handler: everything a tx must pass before its messages run. Its writes
//! (sequence increments, fee) are kept even when a message fails afterwards.

use base64::{engine::general_purpose::STANDARD as B64, Engine};

use deai_auth::{AuthRead, AuthWrite, PubKey, FEE_COLLECTOR};
use deai_bank::BankWrite;
use deai_framework::{sdk, Address, Ctx, TxError};

use super::amino_json::SignDocParts;
use super::decode::{DecodedTx, Signer, SignerMode};
use super::exec::ExecMode;
use super::fee::GasPrice;
use super::sigcache::SigCache;
use super::signmode;

pub struct AnteEnv<'a> {
    pub chain_id: &'a str,
    /// The node's minimum gas price; enforced in CheckTx only, as in the SDK.
    pub min_gas_price: &'a GasPrice,
    pub sig_cache: &'a SigCache,
    /// The most gas a simulation may use: the block's gas limit (a tx above it could never
    /// be included), or `SIMULATE_GAS_CAP` when the chain sets none. Without a cap a
    /// contract that loops would hold a query thread for hours.
    pub simulate_gas_limit: u64,
    /// The app's router, handed to messages that execute others (gov's proposals check
    /// theirs at submission); None in benches that need none.
    pub router: Option<&'a deai_framework::Router>,
}

/// The simulation gas cap of a chain without a block gas limit.
pub const SIMULATE_GAS_CAP: u64 = 1_000_000_000;

pub fn run(ctx: &mut Ctx, tx: &DecodedTx, mode: ExecMode, env: &AnteEnv) -> Result<(), TxError> {
    let params = ctx.auth_params()?;

    // The SDK compares Go's len(memo): bytes, not characters, despite the param's name.
    if let Ok(max) = usize::try_from(params.max_memo_characters) {
        let len = tx.memo.len();
        if len > max {
            return Err(sdk::memo_too_large(format!(
                "maximum number of characters is {max} but received {len} characters"
            )));
        }
    }
    if tx.timeout_height > 0 && ctx.block.height > tx.timeout_height {
        return Err(sdk::tx_timeout_height(format!(
            "block height: {}, timeout height: {}",
            ctx.block.height, tx.timeout_height
        )));
    }
    ctx.gas().consume(
        params
            .tx_size_cost_per_byte
            .saturating_mul(deai_framework::gas::len_u64(tx.len)),
        "txSize",
    )?;

    // Fee: checked against this node's price in CheckTx, then taken from the payer.
    if matches!(mode, ExecMode::Check | ExecMode::ReCheck) {
        env.min_gas_price.check(&tx.fee, tx.gas_limit)?;
    }
    if tx.fee.is_empty() && mode == ExecMode::Simulate && !env.min_gas_price.denom.is_empty() {
        // Clients (cosmjs, the SDK's CLI) simulate without a fee. Charge the gas that paying
        // one costs, on the discarded simulation state, so that the estimate covers the
        // real tx; otherwise `--gas auto`'s usual 1.3-1.4x margin falls short.
        let payer = tx.fee_payer().clone();
        if ctx.account(&payer)?.is_some() {
            if let Ok(fee) = deai_framework::Coins::new(vec![deai_framework::Coin {
                denom: env.min_gas_price.denom.clone(),
                amount: 1,
            }]) {
                let _ = ctx.send_coins(&payer, &Address::module(FEE_COLLECTOR), &fee);
            }
        }
    }
    if mode == ExecMode::Simulate {
        // The bytes of the signatures that a simulated tx leaves empty, whether or not the
        // request carries a fee (it used to be charged only without one, so clients that
        // simulate with their fee set ran out of gas).
        let missing = tx.signers.iter().filter(|s| s.signature.is_empty()).count() as u64;
        ctx.gas().consume(
            params.tx_size_cost_per_byte.saturating_mul(missing * 64),
            "txSize: signatures",
        )?;
    }
    // CheckTx answers without events, so it builds none of its own (bech32 and base64
    // strings are a good part of a transfer's cost).
    let emit = !matches!(mode, ExecMode::Check | ExecMode::ReCheck);
    let payer = tx.fee_payer();
    let payer_bech32 = if emit {
        payer.to_bech32()
    } else {
        String::new()
    };
    // The payer's account, read once: the fee debit below changes balances, not accounts,
    // so the first signer (the payer) reuses it.
    let mut payer_account = None;
    if !tx.fee.is_empty() {
        let Some(account) = ctx.account(payer)? else {
            return Err(sdk::unknown_address(format!(
                "fee payer address: {payer} does not exist"
            )));
        };
        payer_account = Some(account);
        let collector = Address::module(FEE_COLLECTOR);
        let events = ctx.send_coins(payer, &collector, &tx.fee).map_err(|e| {
            if e.code == sdk::INSUFFICIENT_FUNDS {
                sdk::insufficient_funds(format!("{}: insufficient funds", e.log))
            } else {
                e
            }
        })?;
        // The bank's coin_spent, coin_received and transfer, as the SDK's fee debit emits.
        if emit {
            for e in events {
                ctx.emit(e);
            }
        }
    }
    if emit {
        // Like the SDK, a zero-fee tx still reports `tx.fee` (empty) and its payer.
        ctx.emit(deai_auth::events::fee(&tx.fee, &payer_bech32));
    }

    // The SDK's ValidateSigCountDecorator: every key of a multisig counts. Keys left out
    // of the tx count as the account's stored key (below), so that a multisig cannot pass
    // the limit by omitting its key once the account holds it.
    let mut sig_count = 0u64;
    for (i, signer) in tx.signers.iter().enumerate() {
        let mut account = match payer_account.take().filter(|_| i == 0) {
            Some(account) => account,
            None => ctx.account(&signer.address)?.ok_or_else(|| {
                sdk::unknown_address(format!("account {} does not exist", signer.address))
            })?,
        };
        let pub_key = match (&signer.pub_key, &account.pub_key) {
            (Some(given), Some(stored)) if given != stored => {
                return Err(sdk::invalid_pubkey(format!(
                    "public key of {} does not match the account's",
                    signer.address
                )))
            }
            (Some(given), _) => given.clone(),
            (None, Some(stored)) => stored.clone(),
            (None, None) if mode == ExecMode::Simulate => Vec::new(),
            (None, None) => {
                return Err(sdk::invalid_pubkey(format!(
                    "pubKey does not match signer address {} with signer index: 0",
                    signer.address
                )))
            }
        };
        let key = if pub_key.is_empty() {
            None
        } else {
            Some(PubKey::from_stored(&pub_key)?)
        };
        if key.as_ref().is_some_and(|k| k.address() != signer.address) {
            return Err(sdk::invalid_pubkey(format!(
                "pubKey does not match signer address {}",
                signer.address
            )));
        }
        let keys = key.as_ref().map_or(1, |k| k.count_sub_keys()) as u64;
        sig_count = sig_count.saturating_add(keys);
        if sig_count > params.tx_sig_limit {
            return Err(sdk::too_many_signatures(format!(
                "signatures: {sig_count}, limit: {}",
                params.tx_sig_limit
            )));
        }
        let Some(key) = key else {
            // Simulation without any key: charge one signature.
            ctx.gas()
                .consume(params.sig_verify_cost_secp256k1, "ante verify: secp256k1")?;
            check_sequence(signer.sequence, account.sequence)?;
            account.sequence = next_sequence(account.sequence)?;
            ctx.put_account(&account)?;
            emit_signer_events(ctx, emit, i, &payer_bech32, signer);
            continue;
        };
        // Simulation has no signatures; a recheck re-runs a tx whose exact bytes CheckTx
        // already verified, and the SDK skips verification there too.
        let verify_sigs = !matches!(mode, ExecMode::Simulate | ExecMode::ReCheck);
        // Gentxs are signed before the chain numbers accounts: at genesis (height 0)
        // the SDK verifies them with account number 0, and so does deai.
        let account_number = if ctx.block.height == 0 {
            0
        } else {
            account.account_number
        };
        let cost = params.sig_verify_cost_secp256k1;
        let ok = {
            let gas = ctx.gas();
            let mut charge = |n: u64| {
                gas.consume(cost.saturating_mul(n), "ante verify: secp256k1")?;
                // The SDK checks the sequence after charging the signature's gas.
                check_sequence(signer.sequence, account.sequence)
            };
            let mut sign_bytes = |m: &SignerMode| match m {
                SignerMode::AminoJson => super::amino_json::sign_bytes(&SignDocParts {
                    chain_id: env.chain_id,
                    account_number,
                    sequence: signer.sequence,
                    fee: &tx.fee,
                    gas: tx.gas_limit,
                    memo: &tx.memo,
                    timeout_height: tx.timeout_height,
                    msgs: &tx.msg_anys,
                }),
                _ => Ok(tx.sign_bytes(env.chain_id, account_number)),
            };
            let check = |doc: &[u8], k: &[u8], sig: &[u8]| env.sig_cache.verify(doc, k, sig);
            signmode::verify(
                &key,
                &signer.mode,
                &signer.signature,
                verify_sigs,
                &mut charge,
                &mut sign_bytes,
                &check,
            )?
        };
        if !ok {
            return Err(sdk::unauthorized(format!(
                "signature verification failed; please verify account number ({}) and chain-id ({})",
                account_number, env.chain_id
            )));
        }
        if account.pub_key.is_none() && !pub_key.is_empty() {
            account.pub_key = Some(pub_key);
        }
        account.sequence = next_sequence(account.sequence)?;
        ctx.put_account(&account)?;
        emit_signer_events(ctx, emit, i, &payer_bech32, signer);
    }
    Ok(())
}

/// `tx.acc_seq` and `tx.signature` of signer `i`; the first signer is the payer, whose
/// bech32 address is already made.
fn emit_signer_events(ctx: &mut Ctx, emit: bool, i: usize, payer: &str, signer: &Signer) {
    if !emit {
        return;
    }
    let event = if i == 0 {
        deai_auth::events::acc_seq(&payer, signer.sequence)
    } else {
        deai_auth::events::acc_seq(&signer.address, signer.sequence)
    };
    ctx.emit(event);
    ctx.emit(deai_auth::events::signature(B64.encode(&signer.signature)));
}

fn check_sequence(given: u64, expected: u64) -> Result<(), TxError> {
    if given != expected {
        return Err(sdk::wrong_sequence(format!(
            "account sequence mismatch, expected {expected}, got {given}: incorrect account sequence"
        )));
    }
    Ok(())
}

fn next_sequence(sequence: u64) -> Result<u64, TxError> {
    sequence
        .checked_add(1)
        .ok_or_else(|| sdk::internal("sequence overflow"))
}
