//! Disputes (won by either side) and expiry.

mod common;

use agent_marketplace::msg::{DisputeWinner, ExecuteMsg};
use agent_marketplace::state::JobStatus;
use agent_marketplace::ContractError;
use common::*;

fn disputed_job(s: &mut Suite) -> u64 {
    let (agent, client) = (s.agent.clone(), s.client.clone());
    s.register(&agent, 2 * MIN_BOND).unwrap();
    let id = s.hire(&client, &agent, PRICE).unwrap();
    s.deliver(&agent, id).unwrap();
    s.advance(WINDOW);
    s.exec(
        &client,
        &ExecuteMsg::Dispute {
            job_id: id,
            reason: "wrong language".into(),
        },
        0,
    )
    .unwrap();
    assert_eq!(s.job(id).status, JobStatus::Disputed);
    id
}

#[test]
fn a_dispute_the_client_wins_refunds_and_slashes_the_bond_to_the_client() {
    let mut s = Suite::new();
    let id = disputed_job(&mut s);
    let (agent, client, arbiter) = (s.agent.clone(), s.client.clone(), s.arbiter.clone());
    // The agent cannot claim a disputed job; only the arbiter resolves.
    let err = s
        .exec(&agent, &ExecuteMsg::ClaimPayment { job_id: id }, 0)
        .unwrap_err();
    assert!(matches!(err, ContractError::WrongStatus { .. }), "{err}");
    let err = s
        .exec(
            &client,
            &ExecuteMsg::ResolveDispute {
                job_id: id,
                winner: DisputeWinner::Client,
            },
            0,
        )
        .unwrap_err();
    assert_eq!(err, ContractError::Unauthorized("the arbiter"));

    s.exec(
        &arbiter,
        &ExecuteMsg::ResolveDispute {
            job_id: id,
            winner: DisputeWinner::Client,
        },
        0,
    )
    .unwrap();
    let slash = 2 * MIN_BOND * SLASH_BPS as u128 / 10_000;
    let job = s.job(id);
    assert_eq!(job.status, JobStatus::ResolvedForClient);
    assert_eq!(job.slashed.u128(), slash);
    assert_eq!(s.balance(&client), START + slash);
    let info = s.agent_info(&agent);
    assert_eq!(info.agent.bond.u128(), 2 * MIN_BOND - slash);
    assert_eq!(info.agent.disputes_lost, 1);
    assert_eq!(
        s.reputation(&agent).ratings,
        1,
        "a lost dispute counts as a 0-star rating"
    );
    assert_eq!(s.reputation(&agent).milli_stars, 0);
    // Bond 1000 - still at the minimum: hireable. Rating a lost job is refused.
    assert!(info.active);
    let err = s
        .exec(
            &client,
            &ExecuteMsg::Rate {
                job_id: id,
                stars: 1,
            },
            0,
        )
        .unwrap_err();
    assert!(matches!(err, ContractError::WrongStatus { .. }), "{err}");
    // A second slash drops it below the minimum: no more hiring until topped up.
    let id2 = s.hire(&client, &agent, PRICE).unwrap();
    s.deliver(&agent, id2).unwrap();
    s.exec(
        &client,
        &ExecuteMsg::Dispute {
            job_id: id2,
            reason: "again".into(),
        },
        0,
    )
    .unwrap();
    s.exec(
        &arbiter,
        &ExecuteMsg::ResolveDispute {
            job_id: id2,
            winner: DisputeWinner::Client,
        },
        0,
    )
    .unwrap();
    assert!(!s.agent_info(&agent).active);
    let err = s.hire(&client, &agent, PRICE).unwrap_err();
    assert!(matches!(err, ContractError::AgentInactive(_)), "{err}");
    s.exec(&agent, &ExecuteMsg::TopUpBond {}, MIN_BOND).unwrap();
    s.hire(&client, &agent, PRICE).unwrap();
}

#[test]
fn a_dispute_the_agent_wins_pays_the_agent_and_can_be_rated() {
    let mut s = Suite::new();
    let id = disputed_job(&mut s);
    let (agent, client, arbiter) = (s.agent.clone(), s.client.clone(), s.arbiter.clone());
    s.exec(
        &arbiter,
        &ExecuteMsg::ResolveDispute {
            job_id: id,
            winner: DisputeWinner::Agent,
        },
        0,
    )
    .unwrap();
    assert_eq!(s.job(id).status, JobStatus::ResolvedForAgent);
    assert_eq!(s.balance(&agent), START - 2 * MIN_BOND + PRICE);
    assert_eq!(s.balance(&client), START - PRICE);
    let info = s.agent_info(&agent);
    assert_eq!(info.agent.bond.u128(), 2 * MIN_BOND);
    assert_eq!(info.agent.disputes_won, 1);
    s.exec(
        &client,
        &ExecuteMsg::Rate {
            job_id: id,
            stars: 3,
        },
        0,
    )
    .unwrap();
    let err = s
        .exec(
            &client,
            &ExecuteMsg::Rate {
                job_id: id,
                stars: 3,
            },
            0,
        )
        .unwrap_err();
    assert_eq!(err, ContractError::AlreadyRated(id));
    // Resolving twice is refused.
    let err = s
        .exec(
            &arbiter,
            &ExecuteMsg::ResolveDispute {
                job_id: id,
                winner: DisputeWinner::Client,
            },
            0,
        )
        .unwrap_err();
    assert!(matches!(err, ContractError::WrongStatus { .. }), "{err}");
}

#[test]
fn a_dispute_after_the_window_is_refused() {
    let mut s = Suite::new();
    let (agent, client) = (s.agent.clone(), s.client.clone());
    s.register(&agent, MIN_BOND).unwrap();
    let id = s.hire(&client, &agent, PRICE).unwrap();
    s.deliver(&agent, id).unwrap();
    s.advance(WINDOW + 1);
    let err = s
        .exec(
            &client,
            &ExecuteMsg::Dispute {
                job_id: id,
                reason: "too late".into(),
            },
            0,
        )
        .unwrap_err();
    assert!(
        matches!(err, ContractError::DisputeWindowClosed { .. }),
        "{err}"
    );
}

#[test]
fn an_undelivered_job_expires_and_the_client_reclaims_the_escrow() {
    let mut s = Suite::new();
    let (agent, client) = (s.agent.clone(), s.client.clone());
    s.register(&agent, MIN_BOND).unwrap();
    let id = s.hire(&client, &agent, PRICE).unwrap();
    let deadline = s.job(id).deadline;
    let err = s
        .exec(&client, &ExecuteMsg::ReclaimExpired { job_id: id }, 0)
        .unwrap_err();
    assert_eq!(
        err,
        ContractError::NotExpired {
            id,
            expires_after: deadline
        }
    );
    s.advance(11);
    let err = s.deliver(&agent, id).unwrap_err();
    assert_eq!(err, ContractError::DeadlinePassed { id, deadline });
    let err = s
        .exec(&agent, &ExecuteMsg::ReclaimExpired { job_id: id }, 0)
        .unwrap_err();
    assert_eq!(err, ContractError::Unauthorized("the client"));
    s.exec(&client, &ExecuteMsg::ReclaimExpired { job_id: id }, 0)
        .unwrap();
    assert_eq!(s.job(id).status, JobStatus::Expired);
    assert_eq!(s.balance(&client), START);
    let info = s.agent_info(&agent);
    assert_eq!(info.agent.jobs_expired, 1);
    assert_eq!(info.agent.open_jobs, 0);
    assert_eq!(
        info.agent.bond.u128(),
        MIN_BOND,
        "expiry refunds but does not slash"
    );
    assert_eq!(s.totals().escrowed.u128(), 0);
}
