//! gov's events, with the SDK's types and attribute keys (x/gov/types/events.go).

use deai_framework::{Address, Coins, Event};

pub const PROPOSAL_DROPPED: &str = "proposal_dropped";
pub const PROPOSAL_PASSED: &str = "proposal_passed";
pub const PROPOSAL_REJECTED: &str = "proposal_rejected";
pub const PROPOSAL_FAILED: &str = "proposal_failed";
pub const EXPEDITED_PROPOSAL_REJECTED: &str = "expedited_proposal_rejected";

/// `submit_proposal` with the id and the messages' type URLs (",url1,url2", as the SDK
/// builds it).
pub fn submit_proposal(id: u64, msgs: &str, proposer: &Address) -> Event {
    Event::new("submit_proposal")
        .attr("proposal_id", id)
        .attr("proposal_proposer", proposer)
        .attr("proposal_messages", msgs)
}

/// `submit_proposal` with `voting_period_start` (the initial deposit started the vote).
pub fn voting_period_start(kind: &str, id: u64) -> Event {
    Event::new(kind).attr("voting_period_start", id)
}

pub fn proposal_deposit(amount: &Coins, id: u64, depositor: &Address) -> Event {
    Event::new("proposal_deposit")
        .attr("amount", amount)
        .attr("proposal_id", id)
        .attr("depositor", depositor)
}

pub fn proposal_vote(voter: &Address, options: &str, id: u64) -> Event {
    Event::new("proposal_vote")
        .attr("voter", voter)
        .attr("option", options)
        .attr("proposal_id", id)
}

pub fn cancel_proposal(sender: &Address, id: u64) -> Event {
    Event::new("cancel_proposal")
        .attr("sender", sender)
        .attr("proposal_id", id)
}

pub fn inactive_proposal(id: u64) -> Event {
    Event::new("inactive_proposal")
        .attr("proposal_id", id)
        .attr("proposal_result", PROPOSAL_DROPPED)
}

pub fn active_proposal(id: u64, result: &str, log: &str) -> Event {
    Event::new("active_proposal")
        .attr("proposal_id", id)
        .attr("proposal_result", result)
        .attr("proposal_log", log)
}
