#![allow(dead_code)]
//! A cw-multi-test suite for the agent marketplace: an arbiter, two agents and two clients,
//! each funded, and a check that every coin reconciles after each step.

use agent_marketplace::contract::{execute, instantiate, migrate, query};
use agent_marketplace::msg::{
    AgentResponse, ExecuteMsg, InstantiateMsg, QueryMsg, ReputationResponse,
};
use agent_marketplace::state::{Job, Totals};
use agent_marketplace::ContractError;
use cosmwasm_std::{coins, Addr, Coin, Uint128};
use cw_multi_test::{App, AppBuilder, AppResponse, ContractWrapper, Executor};

pub const DENOM: &str = "udeai";
pub const START: u128 = 1_000_000;
pub const MIN_BOND: u128 = 1_000;
pub const PRICE: u128 = 250;
pub const WINDOW: u64 = 20;
pub const MAX_DELIVERY: u64 = 100;
pub const SLASH_BPS: u16 = 5_000;
pub const HALF_LIFE: u64 = 1_000;
pub const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

pub struct Suite {
    pub app: App,
    pub contract: Addr,
    pub arbiter: Addr,
    pub agent: Addr,
    pub agent2: Addr,
    pub client: Addr,
    pub client2: Addr,
}

pub fn default_instantiate(arbiter: &Addr) -> InstantiateMsg {
    InstantiateMsg {
        arbiter: arbiter.to_string(),
        denom: DENOM.to_string(),
        min_bond: Uint128::new(MIN_BOND),
        dispute_window_blocks: WINDOW,
        max_delivery_blocks: MAX_DELIVERY,
        slash_bps: SLASH_BPS,
        reputation_half_life_blocks: HALF_LIFE,
    }
}

impl Suite {
    pub fn new() -> Self {
        let mut app = AppBuilder::new().build(|_, _, _| {});
        let [arbiter, agent, agent2, client, client2] =
            ["arbiter", "agent", "agent2", "client", "client2"].map(|n| app.api().addr_make(n));
        app.init_modules(|router, _, storage| {
            for a in [&arbiter, &agent, &agent2, &client, &client2] {
                router
                    .bank
                    .init_balance(storage, a, coins(START, DENOM))
                    .unwrap();
            }
        });
        let code = app.store_code(Box::new(
            ContractWrapper::new(execute, instantiate, query).with_migrate(migrate),
        ));
        let contract = app
            .instantiate_contract(
                code,
                arbiter.clone(),
                &default_instantiate(&arbiter),
                &[],
                "agents",
                Some(arbiter.to_string()),
            )
            .unwrap();
        Suite {
            app,
            contract,
            arbiter,
            agent,
            agent2,
            client,
            client2,
        }
    }

    pub fn exec(
        &mut self,
        who: &Addr,
        msg: &ExecuteMsg,
        funds: u128,
    ) -> anyhow_like::Result<AppResponse> {
        let funds: Vec<Coin> = if funds == 0 {
            vec![]
        } else {
            coins(funds, DENOM)
        };
        let r = self
            .app
            .execute_contract(who.clone(), self.contract.clone(), msg, &funds);
        self.assert_reconciled();
        r.map_err(|e| e.downcast::<ContractError>().expect("a ContractError"))
    }

    pub fn register(&mut self, who: &Addr, bond: u128) -> anyhow_like::Result<AppResponse> {
        let msg = ExecuteMsg::RegisterAgent {
            name: "summarizer".into(),
            capabilities: vec!["summarize".into(), "translate".into()],
            endpoint: "https://agent.example/api".into(),
            price: Uint128::new(PRICE),
        };
        self.exec(&who.clone(), &msg, bond)
    }

    pub fn hire(&mut self, client: &Addr, agent: &Addr, pay: u128) -> anyhow_like::Result<u64> {
        let msg = ExecuteMsg::Hire {
            agent: agent.to_string(),
            task: "summarize doc sha256:abc".into(),
            delivery_blocks: 10,
        };
        let r = self.exec(&client.clone(), &msg, pay)?;
        Ok(attr(&r, "job_id").parse().unwrap())
    }

    pub fn deliver(&mut self, agent: &Addr, job_id: u64) -> anyhow_like::Result<AppResponse> {
        let msg = ExecuteMsg::Deliver {
            job_id,
            result_hash: HASH.into(),
            result_uri: "ipfs://result".into(),
        };
        self.exec(&agent.clone(), &msg, 0)
    }

    pub fn advance(&mut self, blocks: u64) {
        self.app.update_block(|b| {
            b.height += blocks;
            b.time = b.time.plus_seconds(5 * blocks);
        });
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        self.app
            .wrap()
            .query_balance(who, DENOM)
            .unwrap()
            .amount
            .u128()
    }

    pub fn totals(&self) -> Totals {
        self.app
            .wrap()
            .query_wasm_smart(&self.contract, &QueryMsg::Totals {})
            .unwrap()
    }

    pub fn job(&self, job_id: u64) -> Job {
        self.app
            .wrap()
            .query_wasm_smart(&self.contract, &QueryMsg::Job { job_id })
            .unwrap()
    }

    pub fn agent_info(&self, who: &Addr) -> AgentResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.contract,
                &QueryMsg::Agent {
                    address: who.to_string(),
                },
            )
            .unwrap()
    }

    pub fn reputation(&self, who: &Addr) -> ReputationResponse {
        self.app
            .wrap()
            .query_wasm_smart(
                &self.contract,
                &QueryMsg::Reputation {
                    agent: who.to_string(),
                },
            )
            .unwrap()
    }

    /// The contract holds exactly bonded + escrowed, and no coin was created or lost.
    pub fn assert_reconciled(&self) {
        let t = self.totals();
        assert_eq!(
            self.balance(&self.contract),
            (t.bonded + t.escrowed).u128(),
            "contract balance != bonded + escrowed"
        );
        let users: u128 = [
            &self.arbiter,
            &self.agent,
            &self.agent2,
            &self.client,
            &self.client2,
        ]
        .iter()
        .map(|a| self.balance(a))
        .sum();
        assert_eq!(
            users + self.balance(&self.contract),
            5 * START,
            "coins created or lost"
        );
    }
}

pub fn attr(r: &AppResponse, key: &str) -> String {
    r.events
        .iter()
        .filter(|e| e.ty == "wasm")
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
        .unwrap_or_else(|| panic!("no attribute {key}"))
}

pub mod anyhow_like {
    pub type Result<T> = std::result::Result<T, agent_marketplace::ContractError>;
}
