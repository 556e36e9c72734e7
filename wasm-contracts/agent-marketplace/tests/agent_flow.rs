//! The happy path: register → hire → deliver → accept → rate, and claims after the window.

mod common;

use agent_marketplace::msg::{AgentsResponse, ExecuteMsg, JobsResponse, QueryMsg};
use agent_marketplace::state::JobStatus;
use common::*;

#[test]
fn register_hire_deliver_accept_rate_pays_the_agent_and_builds_reputation() {
    let mut s = Suite::new();
    let (agent, client) = (s.agent.clone(), s.client.clone());
    s.register(&agent, 2 * MIN_BOND).unwrap();
    assert_eq!(s.totals().bonded.u128(), 2 * MIN_BOND);
    let info = s.agent_info(&agent);
    assert!(info.active);
    assert_eq!(info.reputation_milli_stars, 0);

    let job_id = s.hire(&client, &agent, PRICE).unwrap();
    assert_eq!(job_id, 1);
    assert_eq!(s.totals().escrowed.u128(), PRICE);
    assert_eq!(s.balance(&client), START - PRICE);
    assert_eq!(s.agent_info(&agent).agent.open_jobs, 1);

    s.advance(3);
    s.deliver(&agent, job_id).unwrap();
    let job = s.job(job_id);
    assert_eq!(job.status, JobStatus::Delivered);
    assert_eq!(job.result_hash.as_deref(), Some(HASH));

    let r = s.exec(&client, &ExecuteMsg::Accept { job_id }, 0).unwrap();
    let ev = r
        .events
        .iter()
        .find(|e| e.ty == "wasm-agent_job")
        .expect("a wasm-agent_job event");
    assert!(ev
        .attributes
        .iter()
        .any(|a| a.key == "status" && a.value == "completed"));
    assert_eq!(s.job(job_id).status, JobStatus::Completed);
    assert_eq!(s.balance(&agent), START - 2 * MIN_BOND + PRICE);
    assert_eq!(s.totals().escrowed.u128(), 0);

    s.exec(&client, &ExecuteMsg::Rate { job_id, stars: 5 }, 0)
        .unwrap();
    let rep = s.reputation(&agent);
    assert_eq!(rep.ratings, 1);
    assert_eq!(
        rep.milli_stars, 2500,
        "one 5-star rating against the 0-star prior"
    );
    let info = s.agent_info(&agent);
    assert_eq!(info.agent.jobs_completed, 1);
    assert_eq!(info.agent.open_jobs, 0);

    // Indexes.
    let by_client: JobsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.contract,
            &QueryMsg::JobsByClient {
                client: client.to_string(),
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(by_client.jobs.len(), 1);
    let by_cap: AgentsResponse = s
        .app
        .wrap()
        .query_wasm_smart(
            &s.contract,
            &QueryMsg::AgentsByCapability {
                capability: "translate".into(),
                start_after: None,
                limit: None,
            },
        )
        .unwrap();
    assert_eq!(by_cap.agents.len(), 1);
    assert_eq!(by_cap.agents[0].agent.address, agent);
}

#[test]
fn reputation_grows_with_ratings_and_decays_when_idle() {
    let mut s = Suite::new();
    let (agent, client) = (s.agent.clone(), s.client.clone());
    s.register(&agent, MIN_BOND).unwrap();
    for _ in 0..8 {
        let id = s.hire(&client, &agent, PRICE).unwrap();
        s.deliver(&agent, id).unwrap();
        s.exec(&client, &ExecuteMsg::Accept { job_id: id }, 0)
            .unwrap();
        s.exec(
            &client,
            &ExecuteMsg::Rate {
                job_id: id,
                stars: 5,
            },
            0,
        )
        .unwrap();
        s.advance(1);
    }
    let fresh = s.reputation(&agent).milli_stars;
    assert!(fresh > 4_400, "{fresh}");
    s.advance(HALF_LIFE);
    let later = s.reputation(&agent).milli_stars;
    assert!(later < fresh, "{later} < {fresh}");
    s.advance(20 * HALF_LIFE);
    assert!(s.reputation(&agent).milli_stars < 10);
    assert_eq!(s.reputation(&agent).ratings, 8);
}

#[test]
fn agent_claims_payment_after_the_dispute_window() {
    let mut s = Suite::new();
    let (agent, client) = (s.agent.clone(), s.client.clone());
    s.register(&agent, MIN_BOND).unwrap();
    let id = s.hire(&client, &agent, PRICE).unwrap();
    s.deliver(&agent, id).unwrap();
    let err = s
        .exec(&agent, &ExecuteMsg::ClaimPayment { job_id: id }, 0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            agent_marketplace::ContractError::DisputeWindowOpen { .. }
        ),
        "{err}"
    );
    s.advance(WINDOW + 1);
    s.exec(&agent, &ExecuteMsg::ClaimPayment { job_id: id }, 0)
        .unwrap();
    assert_eq!(s.job(id).status, JobStatus::Completed);
    assert_eq!(s.balance(&agent), START - MIN_BOND + PRICE);
    // Too late to dispute now.
    let err = s
        .exec(
            &client,
            &ExecuteMsg::Dispute {
                job_id: id,
                reason: "late".into(),
            },
            0,
        )
        .unwrap_err();
    assert!(
        matches!(err, agent_marketplace::ContractError::WrongStatus { .. }),
        "{err}"
    );
}

#[test]
fn deregister_returns_the_bond_only_without_open_jobs() {
    let mut s = Suite::new();
    let (agent, client) = (s.agent.clone(), s.client.clone());
    s.register(&agent, MIN_BOND).unwrap();
    s.exec(&agent, &ExecuteMsg::TopUpBond {}, 500).unwrap();
    let id = s.hire(&client, &agent, PRICE).unwrap();
    let err = s.exec(&agent, &ExecuteMsg::Deregister {}, 0).unwrap_err();
    assert_eq!(err, agent_marketplace::ContractError::OpenJobs(1));
    s.deliver(&agent, id).unwrap();
    s.exec(&client, &ExecuteMsg::Accept { job_id: id }, 0)
        .unwrap();
    s.exec(&agent, &ExecuteMsg::Deregister {}, 0).unwrap();
    assert_eq!(s.balance(&agent), START + PRICE);
    assert_eq!(s.totals().bonded.u128(), 0);
    let err = s.hire(&client, &agent, PRICE).unwrap_err();
    assert!(
        matches!(err, agent_marketplace::ContractError::AgentInactive(_)),
        "{err}"
    );
    // Registering again keeps the history.
    s.register(&agent, MIN_BOND).unwrap();
    assert_eq!(s.agent_info(&agent).agent.jobs_completed, 1);
}

#[test]
fn migrate_keeps_state() {
    let mut s = Suite::new();
    let agent = s.agent.clone();
    s.register(&agent, MIN_BOND).unwrap();
    let code = s.app.store_code(Box::new(
        cw_multi_test::ContractWrapper::new(
            agent_marketplace::contract::execute,
            agent_marketplace::contract::instantiate,
            agent_marketplace::contract::query,
        )
        .with_migrate(agent_marketplace::contract::migrate),
    ));
    let (arbiter, contract) = (s.arbiter.clone(), s.contract.clone());
    cw_multi_test::Executor::migrate_contract(
        &mut s.app,
        arbiter,
        contract,
        &agent_marketplace::msg::MigrateMsg {},
        code,
    )
    .unwrap();
    assert!(s.agent_info(&agent).active);
}
