//! Bad inputs are rejected with the right error and change nothing.

mod common;

use agent_marketplace::msg::ExecuteMsg;
use agent_marketplace::{ContractError, InputError};
use common::*;
use cosmwasm_std::{coins, Uint128};
use cw_multi_test::Executor;

fn register_msg(caps: Vec<&str>, endpoint: &str, price: u128) -> ExecuteMsg {
    ExecuteMsg::RegisterAgent {
        name: "a".into(),
        capabilities: caps.into_iter().map(String::from).collect(),
        endpoint: endpoint.into(),
        price: Uint128::new(price),
    }
}

type Case = (
    fn(&mut agent_marketplace::msg::InstantiateMsg),
    &'static str,
);

#[test]
fn instantiate_rejects_bad_config() {
    let mut s = Suite::new();
    let code = s
        .app
        .store_code(Box::new(cw_multi_test::ContractWrapper::new(
            agent_marketplace::contract::execute,
            agent_marketplace::contract::instantiate,
            agent_marketplace::contract::query,
        )));
    let arbiter = s.arbiter.clone();
    let cases: Vec<Case> = vec![
        (|m| m.arbiter = "not an address".into(), "arbiter"),
        (|m| m.denom = "1x".into(), "denom"),
        (|m| m.min_bond = Uint128::zero(), "min_bond"),
        (|m| m.dispute_window_blocks = 0, "dispute_window_blocks"),
        (|m| m.slash_bps = 10_001, "slash_bps"),
        (
            |m| m.reputation_half_life_blocks = 0,
            "reputation_half_life_blocks",
        ),
    ];
    for (mutate, field) in cases {
        let mut msg = default_instantiate(&arbiter);
        mutate(&mut msg);
        let err = s
            .app
            .instantiate_contract(code, arbiter.clone(), &msg, &[], "x", None)
            .unwrap_err();
        match err.downcast::<ContractError>().unwrap() {
            ContractError::Input(InputError::Invalid { field: f, .. }) => assert_eq!(f, field),
            e => panic!("{field}: {e}"),
        }
    }
}

#[test]
fn registration_rejects_bad_fields_and_funds() {
    let mut s = Suite::new();
    let agent = s.agent.clone();
    let cases = [
        (register_msg(vec![], "https://x", 1), "capabilities"),
        (register_msg(vec!["a", "a"], "https://x", 1), "capabilities"),
        (
            register_msg(vec!["has space"], "https://x", 1),
            "capabilities",
        ),
        (register_msg(vec!["a"], "ftp://x", 1), "endpoint"),
        (register_msg(vec!["a"], "https://", 1), "endpoint"),
        (register_msg(vec!["a"], "https://x", 0), "price"),
    ];
    for (msg, field) in cases {
        match s.exec(&agent, &msg, MIN_BOND).unwrap_err() {
            ContractError::Input(InputError::Invalid { field: f, .. }) => assert_eq!(f, field),
            e => panic!("{field}: {e}"),
        }
    }
    let ok = register_msg(vec!["a"], "https://x", 1);
    assert_eq!(
        s.exec(&agent, &ok, MIN_BOND - 1).unwrap_err(),
        ContractError::BondTooLow {
            got: Uint128::new(MIN_BOND - 1),
            min: Uint128::new(MIN_BOND)
        }
    );
    assert_eq!(
        s.exec(&agent, &ok, 0).unwrap_err(),
        ContractError::Input(InputError::WrongFunds {
            denom: DENOM.into()
        })
    );
    // Two denoms at once are refused.
    let contract = s.contract.clone();
    let mut funds = coins(MIN_BOND, DENOM);
    s.app.init_modules(|r, _, st| {
        r.bank
            .init_balance(
                st,
                &agent,
                vec![
                    cosmwasm_std::coin(START, DENOM),
                    cosmwasm_std::coin(5, "uother"),
                ],
            )
            .unwrap()
    });
    funds.push(cosmwasm_std::coin(5, "uother"));
    let err = s
        .app
        .execute_contract(agent.clone(), contract, &ok, &funds)
        .unwrap_err();
    assert_eq!(
        err.downcast::<ContractError>().unwrap(),
        ContractError::Input(InputError::WrongFunds {
            denom: DENOM.into()
        })
    );
    s.exec(&agent, &ok, MIN_BOND).unwrap();
    assert_eq!(
        s.exec(&agent, &ok, MIN_BOND).unwrap_err(),
        ContractError::AgentExists(agent.to_string())
    );
}

#[test]
fn hiring_delivery_and_rating_reject_bad_inputs() {
    let mut s = Suite::new();
    let (agent, client, client2) = (s.agent.clone(), s.client.clone(), s.client2.clone());
    let unknown = s.agent2.clone();
    s.register(&agent, MIN_BOND).unwrap();
    assert_eq!(
        s.hire(&client, &unknown, PRICE).unwrap_err(),
        ContractError::AgentNotFound(unknown.to_string())
    );
    assert_eq!(
        s.hire(&agent, &agent, PRICE).unwrap_err(),
        ContractError::SelfHire
    );
    assert_eq!(
        s.hire(&client, &agent, PRICE + 1).unwrap_err(),
        ContractError::WrongPrice {
            got: Uint128::new(PRICE + 1),
            price: Uint128::new(PRICE)
        }
    );
    let too_long = ExecuteMsg::Hire {
        agent: agent.to_string(),
        task: "t".into(),
        delivery_blocks: MAX_DELIVERY + 1,
    };
    assert!(matches!(
        s.exec(&client, &too_long, PRICE).unwrap_err(),
        ContractError::Input(InputError::Invalid {
            field: "delivery_blocks",
            ..
        })
    ));
    let empty_task = ExecuteMsg::Hire {
        agent: agent.to_string(),
        task: " ".into(),
        delivery_blocks: 5,
    };
    assert!(matches!(
        s.exec(&client, &empty_task, PRICE).unwrap_err(),
        ContractError::Input(InputError::Invalid { field: "task", .. })
    ));

    let id = s.hire(&client, &agent, PRICE).unwrap();
    assert_eq!(
        s.deliver(&client, id).unwrap_err(),
        ContractError::Unauthorized("the hired agent")
    );
    assert_eq!(
        s.deliver(&agent, 99).unwrap_err(),
        ContractError::JobNotFound(99)
    );
    let bad_hash = ExecuteMsg::Deliver {
        job_id: id,
        result_hash: "ABC".into(),
        result_uri: "ipfs://r".into(),
    };
    assert!(matches!(
        s.exec(&agent, &bad_hash, 0).unwrap_err(),
        ContractError::Input(InputError::Invalid {
            field: "result_hash",
            ..
        })
    ));
    // Accepting before delivery, or by someone else, is refused.
    assert!(matches!(
        s.exec(&client, &ExecuteMsg::Accept { job_id: id }, 0)
            .unwrap_err(),
        ContractError::WrongStatus { .. }
    ));
    s.deliver(&agent, id).unwrap();
    assert_eq!(
        s.exec(&client2, &ExecuteMsg::Accept { job_id: id }, 0)
            .unwrap_err(),
        ContractError::Unauthorized("the client")
    );
    assert_eq!(
        s.exec(&client, &ExecuteMsg::Accept { job_id: id }, 1)
            .unwrap_err(),
        ContractError::Input(InputError::UnexpectedFunds)
    );
    s.exec(&client, &ExecuteMsg::Accept { job_id: id }, 0)
        .unwrap();
    for stars in [0u8, 6] {
        assert!(matches!(
            s.exec(&client, &ExecuteMsg::Rate { job_id: id, stars }, 0)
                .unwrap_err(),
            ContractError::Input(InputError::Invalid { field: "stars", .. })
        ));
    }
    assert_eq!(
        s.exec(
            &client2,
            &ExecuteMsg::Rate {
                job_id: id,
                stars: 4
            },
            0
        )
        .unwrap_err(),
        ContractError::Unauthorized("the client")
    );
}
