//! The gov keeper, as extension traits on any state ([`GovRead`], [`GovWrite`]), and the
//! operations the messages and the end block share: deposits (SDK `AddDeposit`), the
//! voting-period activation, refunds, burns and the cancellation charge.
//!
//! A proposal's queue entry (deposit period: by deposit end time; voting period: by
//! voting end time) is kept in step by [`GovWrite::put_proposal`], the one place it changes.

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use prost::Message;
use tendermint_proto::google::protobuf::Timestamp;

use deai_auth::AuthRead;
use deai_bank::{BankWrite, COMMUNITY_POOL};
use deai_framework::handler::emit_all;
use deai_framework::keys::prefix_end;
use deai_framework::{records, sdk, Address, Coin, Coins, Ctx, StateRead, StateWrite, TxError};

use crate::error::GovError;
use crate::params::{coin, mul_trunc, Params};
use crate::tally::MAX_VOTERS;
use crate::{events, state_key, MODULE_NAME};

pub const DEPOSIT_PERIOD: i32 = pb::ProposalStatus::DepositPeriod as i32;
pub const VOTING_PERIOD: i32 = pb::ProposalStatus::VotingPeriod as i32;
pub const PASSED: i32 = pb::ProposalStatus::Passed as i32;
pub const REJECTED: i32 = pb::ProposalStatus::Rejected as i32;
pub const FAILED: i32 = pb::ProposalStatus::Failed as i32;

/// Most distinct depositors a proposal accepts (deai's bound on the refund and burn loops).
pub const MAX_DEPOSITORS: u64 = 10_000;

pub fn ts(secs: i64) -> Timestamp {
    Timestamp {
        seconds: secs,
        nanos: 0,
    }
}

/// Seconds of an optional timestamp (0 when unset).
pub fn secs(t: &Option<Timestamp>) -> i64 {
    t.as_ref().map_or(0, |t| t.seconds)
}

/// A time as a queue key (times before 1970 sort first).
fn time_key(secs: i64) -> u64 {
    u64::try_from(secs).unwrap_or(0)
}

/// The queue key a stored proposal sits under, if any.
fn queue_key(p: &pb::Proposal) -> Option<Vec<u8>> {
    match p.status {
        DEPOSIT_PERIOD => Some(state_key::inactive(
            time_key(secs(&p.deposit_end_time)),
            p.id,
        )),
        VOTING_PERIOD => Some(state_key::active(time_key(secs(&p.voting_end_time)), p.id)),
        _ => None,
    }
}

pub fn coins_of(c: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin]) -> Result<Coins, TxError> {
    Coins::from_proto(c).map_err(|e| sdk::internal(format!("corrupt gov coins: {}", e.log)))
}

pub trait GovRead: StateRead {
    fn gov_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    fn constitution(&self) -> Result<String, TxError> {
        match self.get(&state_key::constitution())? {
            None => Ok(String::new()),
            Some(b) => String::from_utf8(b).map_err(|_| sdk::internal("corrupt constitution")),
        }
    }

    /// The id the next proposal gets (1 on a new chain).
    fn next_proposal_id(&self) -> Result<u64, TxError> {
        Ok(records::sequence(MODULE_NAME, self, &state_key::next_id())?.max(1))
    }

    fn proposal(&self, id: u64) -> Result<Option<pb::Proposal>, TxError> {
        records::get(MODULE_NAME, self, &state_key::proposal(id))
    }

    fn must_proposal(&self, id: u64) -> Result<pb::Proposal, TxError> {
        self.proposal(id)?
            .ok_or_else(|| GovError::UnknownProposal(format!("proposal {id} doesn't exist")).into())
    }

    fn deposit(&self, id: u64, depositor: &Address) -> Result<Option<pb::Deposit>, TxError> {
        records::get(MODULE_NAME, self, &state_key::deposit(id, depositor))
    }

    fn vote(&self, id: u64, voter: &Address) -> Result<Option<pb::Vote>, TxError> {
        records::get(MODULE_NAME, self, &state_key::vote(id, voter))
    }

    /// Every deposit on a proposal (at most [`MAX_DEPOSITORS`]).
    fn deposits_of(&self, id: u64) -> Result<Vec<pb::Deposit>, TxError> {
        records::all_under(
            MODULE_NAME,
            self,
            &state_key::deposits_of(id),
            MAX_DEPOSITORS as usize,
        )
    }

    /// (voters, depositors) of a proposal.
    fn counts(&self, id: u64) -> Result<(u64, u64), TxError> {
        let Some(b) = self.get(&state_key::counts(id))? else {
            return Ok((0, 0));
        };
        match (b.get(..8), b.get(8..)) {
            (Some(v), Some(d)) => Ok((
                records::u64_value(v, "gov counts")?,
                records::u64_value(d, "gov counts")?,
            )),
            _ => Err(sdk::internal("corrupt gov counts")),
        }
    }
}

impl<T: StateRead + ?Sized> GovRead for T {}

pub trait GovWrite: StateWrite {
    fn set_gov_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    fn set_constitution(&mut self, c: &str) -> Result<(), TxError> {
        self.put(state_key::constitution(), c.as_bytes().to_vec())
    }

    fn set_next_proposal_id(&mut self, id: u64) -> Result<(), TxError> {
        self.put(state_key::next_id(), id.to_be_bytes().to_vec())
    }

    /// Writes a proposal and moves its queue entry with its status and times.
    fn put_proposal(&mut self, p: &pb::Proposal) -> Result<(), TxError> {
        if let Some(old) = self.proposal(p.id)? {
            if let Some(k) = queue_key(&old) {
                self.delete(k)?;
            }
        }
        if let Some(k) = queue_key(p) {
            self.put(k, Vec::new())?;
        }
        self.put(state_key::proposal(p.id), p.encode_to_vec())
    }

    /// Removes a proposal, its queue entry and its counters (deposits and votes are the
    /// caller's).
    fn delete_proposal(&mut self, id: u64) -> Result<(), TxError> {
        if let Some(old) = self.proposal(id)? {
            if let Some(k) = queue_key(&old) {
                self.delete(k)?;
            }
        }
        self.delete(state_key::counts(id))?;
        self.delete(state_key::proposal(id))
    }

    fn set_counts(&mut self, id: u64, voters: u64, depositors: u64) -> Result<(), TxError> {
        if voters == 0 && depositors == 0 {
            return self.delete(state_key::counts(id));
        }
        let mut v = voters.to_be_bytes().to_vec();
        v.extend_from_slice(&depositors.to_be_bytes());
        self.put(state_key::counts(id), v)
    }

    /// Stores a vote (replacing the voter's earlier one), within [`MAX_VOTERS`].
    fn put_vote(&mut self, v: &pb::Vote, voter: &Address) -> Result<(), TxError> {
        if self.vote(v.proposal_id, voter)?.is_none() {
            let (voters, depositors) = self.counts(v.proposal_id)?;
            if voters >= MAX_VOTERS {
                return Err(GovError::LimitExceeded(format!(
                    "proposal {} already has {MAX_VOTERS} voters",
                    v.proposal_id
                ))
                .into());
            }
            self.set_counts(v.proposal_id, voters.saturating_add(1), depositors)?;
        }
        self.put(state_key::vote(v.proposal_id, voter), v.encode_to_vec())
    }

    /// Stores a deposit (replacing the depositor's earlier one), within [`MAX_DEPOSITORS`].
    fn put_deposit(&mut self, d: &pb::Deposit, depositor: &Address) -> Result<(), TxError> {
        if self.deposit(d.proposal_id, depositor)?.is_none() {
            let (voters, depositors) = self.counts(d.proposal_id)?;
            if depositors >= MAX_DEPOSITORS {
                return Err(GovError::LimitExceeded(format!(
                    "proposal {} already has {MAX_DEPOSITORS} depositors",
                    d.proposal_id
                ))
                .into());
            }
            self.set_counts(d.proposal_id, voters, depositors.saturating_add(1))?;
        }
        self.put(
            state_key::deposit(d.proposal_id, depositor),
            d.encode_to_vec(),
        )
    }

    /// Forgets the depositors' count once every deposit is gone.
    fn clear_depositors(&mut self, id: u64) -> Result<(), TxError> {
        let (voters, _) = self.counts(id)?;
        self.set_counts(id, voters, 0)
    }

    /// Deletes every vote on a proposal (at most [`MAX_VOTERS`]).
    fn delete_votes(&mut self, id: u64) -> Result<(), TxError> {
        let prefix = state_key::votes_of(id);
        let end = prefix_end(&prefix);
        for (k, _) in self.scan(&prefix, end.as_deref(), false, MAX_VOTERS as usize)? {
            self.delete(k)?;
        }
        let (_, depositors) = self.counts(id)?;
        self.set_counts(id, 0, depositors)
    }
}

impl<T: StateWrite + ?Sized> GovWrite for T {}

fn stored_depositor(d: &pb::Deposit) -> Result<Address, TxError> {
    records::stored_addr(&d.depositor)
}

/// The SDK's `validateDepositDenom`: every denom must be one of the min deposit's.
pub fn validate_deposit_denom(params: &Params, amount: &Coins) -> Result<(), TxError> {
    let accepted: Vec<&str> = params
        .min_deposit
        .iter()
        .map(|c| c.denom.as_str())
        .collect();
    if let Some(c) = amount
        .iter()
        .find(|c| !accepted.contains(&c.denom.as_str()))
    {
        return Err(GovError::InvalidDepositDenom(format!(
            "deposited {c}, but gov accepts only the following denom(s): [{}]",
            accepted.join(" ")
        ))
        .into());
    }
    Ok(())
}

/// The SDK's `AddDeposit`: escrows `amount` in the gov account, adds it to the proposal and
/// to the depositor's deposit, and starts the voting period when the total reaches the
/// minimum deposit. Returns whether it did.
pub fn add_deposit(
    ctx: &mut Ctx,
    id: u64,
    depositor: &Address,
    amount: &Coins,
) -> Result<bool, TxError> {
    let mut p = ctx.must_proposal(id)?;
    if p.status != DEPOSIT_PERIOD && p.status != VOTING_PERIOD {
        return Err(GovError::InactiveProposal(id.to_string()).into());
    }
    // deai tallies and drops proposals in bounded batches, so a period that has ended may
    // still be waiting for its end block: it takes nothing more.
    let now = ctx.block.time_unix;
    if (p.status == DEPOSIT_PERIOD && now > secs(&p.deposit_end_time))
        || (p.status == VOTING_PERIOD && now > secs(&p.voting_end_time))
    {
        return Err(GovError::InactiveProposal(id.to_string()).into());
    }
    // A module account could not take a refund (bank refuses module recipients), which
    // would halt the end block; only the gov account itself could try (through a proposal).
    if ctx.is_module_account(depositor)? {
        return Err(sdk::unauthorized(format!(
            "module account {depositor} cannot deposit"
        )));
    }
    let params = ctx.gov_params()?;
    validate_deposit_denom(&params, amount)?;
    let min = params.min_deposit_for(p.expedited).clone();
    // The SDK's min_deposit_ratio: one denom must reach min × ratio (truncated).
    if params.min_deposit_ratio != crate::Dec::ZERO {
        let mut met = false;
        let mut thresholds = Vec::new();
        for m in min.iter() {
            let t = mul_trunc(m.amount, params.min_deposit_ratio)
                .ok_or_else(|| sdk::overflow("deposit threshold overflows"))?;
            thresholds.push(coin(&m.denom, t).to_string());
            let have = amount.amount_of(&m.denom);
            if amount.iter().any(|c| c.denom == m.denom) && have >= t {
                met = true;
                break;
            }
        }
        if !met {
            return Err(GovError::MinDepositTooSmall(format!(
                "received {amount} but need at least one of the following: {}",
                thresholds.join(",")
            ))
            .into());
        }
    }
    if amount.is_empty() {
        // Nothing to escrow or record (the SDK records an empty deposit).
        return Ok(false);
    }
    let ev = ctx.send_to_module(depositor, MODULE_NAME, amount)?;
    emit_all(ctx, ev);
    let total = coins_of(&p.total_deposit)?.checked_add(amount)?;
    p.total_deposit = total.to_proto();
    let activated = p.status == DEPOSIT_PERIOD && crate::params::all_gte(&total, &min);
    if activated {
        activate_voting_period(&mut p, &params, now);
    }
    ctx.put_proposal(&p)?;
    let mut d = ctx.deposit(id, depositor)?.unwrap_or_else(|| pb::Deposit {
        proposal_id: id,
        depositor: depositor.to_bech32(),
        amount: Vec::new(),
    });
    d.amount = coins_of(&d.amount)?.checked_add(amount)?.to_proto();
    ctx.put_deposit(&d, depositor)?;
    ctx.emit(events::proposal_deposit(amount, id, depositor));
    Ok(activated)
}

/// The SDK's `ActivateVotingPeriod` on the caller's copy (written by `put_proposal`).
pub fn activate_voting_period(p: &mut pb::Proposal, params: &Params, now: i64) {
    p.voting_start_time = Some(ts(now));
    p.voting_end_time = Some(ts(now.saturating_add(params.voting_period_for(p.expedited))));
    p.status = VOTING_PERIOD;
}

/// Pays every deposit back and deletes them (the SDK's `RefundAndDeleteDeposits`).
pub fn refund_and_delete_deposits(ctx: &mut Ctx, id: u64) -> Result<(), TxError> {
    for d in ctx.deposits_of(id)? {
        let depositor = stored_depositor(&d)?;
        let amount = coins_of(&d.amount)?;
        if !amount.is_empty() {
            let ev = ctx.send_from_module(MODULE_NAME, &depositor, &amount)?;
            emit_all(ctx, ev);
        }
        ctx.delete(state_key::deposit(id, &depositor))?;
    }
    ctx.clear_depositors(id)
}

/// Burns every deposit and deletes them (the SDK's `DeleteAndBurnDeposits`). Returns what
/// was burned.
pub fn delete_and_burn_deposits(ctx: &mut Ctx, id: u64) -> Result<Coins, TxError> {
    let mut burn = Coins::empty();
    for d in ctx.deposits_of(id)? {
        burn = burn.checked_add(&coins_of(&d.amount)?)?;
        ctx.delete(state_key::deposit(id, &stored_depositor(&d)?))?;
    }
    ctx.clear_depositors(id)?;
    if !burn.is_empty() {
        let ev = ctx.burn(MODULE_NAME, &burn)?;
        emit_all(ctx, ev);
    }
    Ok(burn)
}

/// The SDK's `ChargeDeposit`: `rate` of every deposit (truncated) is burned, or sent to
/// `dest` (the community pool when `dest` is its account), and the rest refunded.
pub fn charge_deposit(
    ctx: &mut Ctx,
    id: u64,
    dest: Option<&Address>,
    rate: crate::Dec,
) -> Result<Coins, TxError> {
    let mut charges = Coins::empty();
    for d in ctx.deposits_of(id)? {
        let depositor = stored_depositor(&d)?;
        let mut refund = Vec::new();
        let mut charge = Vec::new();
        for c in coins_of(&d.amount)? {
            let cut = mul_trunc(c.amount, rate).ok_or_else(|| sdk::overflow("charge overflows"))?;
            if cut > 0 {
                charge.push(Coin::new(c.denom.clone(), cut)?);
            }
            let rest = c.amount.saturating_sub(cut); // cut ≤ amount: the rate is ≤ 1
            if rest > 0 {
                refund.push(Coin::new(c.denom, rest)?);
            }
        }
        let refund = Coins::new(refund)?;
        if !refund.is_empty() {
            let ev = ctx.send_from_module(MODULE_NAME, &depositor, &refund)?;
            emit_all(ctx, ev);
        }
        charges = charges.checked_add(&Coins::new(charge)?)?;
        ctx.delete(state_key::deposit(id, &depositor))?;
    }
    ctx.clear_depositors(id)?;
    if !charges.is_empty() {
        let ev = match dest {
            None => ctx.burn(MODULE_NAME, &charges)?,
            Some(a) if *a == deai_auth::module_address(COMMUNITY_POOL) => {
                ctx.send_module_to_module(MODULE_NAME, COMMUNITY_POOL, &charges)?
            }
            Some(a) => ctx.send_from_module(MODULE_NAME, a, &charges)?,
        };
        emit_all(ctx, ev);
    }
    Ok(charges)
}
