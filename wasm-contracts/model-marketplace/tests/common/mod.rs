#![allow(dead_code)]
//! A cw-multi-test suite for the model marketplace, with `DeaiMock` answering the
//! `DeaiQuery` custom queries the way the chain will.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use anyhow::{bail, Result as AnyResult};
use cosmwasm_std::{
    coins, to_json_binary, Addr, Api, Binary, BlockInfo, Coin, CustomMsg, CustomQuery, Empty,
    Querier, Storage, Uint128,
};
use cw_multi_test::{
    App, AppBuilder, AppResponse, BankKeeper, ContractWrapper, CosmosRouter, Executor,
    MockApiBech32, Module, WasmKeeper,
};
use model_marketplace::contract::{execute, instantiate, migrate, query};
use model_marketplace::deai::{
    ComputeProviderResponse, DeaiQuery, InferenceModel, InferenceModelResponse, TrainingLineage,
    TrainingLineageResponse,
};
use model_marketplace::msg::{ContributorMsg, ExecuteMsg, InstantiateMsg, QueryMsg};
use model_marketplace::ranking::RankingWeights;
use model_marketplace::ContractError;
use serde::de::DeserializeOwned;

pub const DENOM: &str = "udeai";
pub const START: u128 = 10_000_000;
pub const FEE_BPS: u16 = 250;
pub const MODEL: u64 = 7;

/// The chain's side of `DeaiQuery`, in memory. Shared so a test can change it mid-flow.
#[derive(Clone, Default)]
pub struct DeaiMock {
    pub models: Arc<Mutex<BTreeMap<u64, InferenceModel>>>,
    pub lineages: Arc<Mutex<BTreeMap<u64, TrainingLineage>>>,
}

impl Module for DeaiMock {
    type ExecT = Empty;
    type QueryT = DeaiQuery;
    type SudoT = Empty;

    fn execute<ExecC, QueryC>(
        &self,
        _: &dyn Api,
        _: &mut dyn Storage,
        _: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        _: &BlockInfo,
        _: Addr,
        _: Empty,
    ) -> AnyResult<AppResponse>
    where
        ExecC: CustomMsg + DeserializeOwned + 'static,
        QueryC: CustomQuery + DeserializeOwned + 'static,
    {
        bail!("deai has no custom messages")
    }

    fn query(
        &self,
        _: &dyn Api,
        _: &dyn Storage,
        _: &dyn Querier,
        _: &BlockInfo,
        q: DeaiQuery,
    ) -> AnyResult<Binary> {
        Ok(match q {
            DeaiQuery::InferenceModel { id } => to_json_binary(&InferenceModelResponse {
                model: self.models.lock().unwrap().get(&id).cloned(),
            })?,
            DeaiQuery::TrainingLineage { task } => to_json_binary(&TrainingLineageResponse {
                lineage: self.lineages.lock().unwrap().get(&task).cloned(),
            })?,
            DeaiQuery::ComputeProvider { .. } => {
                to_json_binary(&ComputeProviderResponse { provider: None })?
            }
        })
    }

    fn sudo<ExecC, QueryC>(
        &self,
        _: &dyn Api,
        _: &mut dyn Storage,
        _: &dyn CosmosRouter<ExecC = ExecC, QueryC = QueryC>,
        _: &BlockInfo,
        _: Empty,
    ) -> AnyResult<AppResponse>
    where
        ExecC: CustomMsg + DeserializeOwned + 'static,
        QueryC: CustomQuery + DeserializeOwned + 'static,
    {
        bail!("deai has no sudo messages")
    }
}

pub type DeaiApp = App<
    BankKeeper,
    MockApiBech32,
    cosmwasm_std::testing::MockStorage,
    DeaiMock,
    WasmKeeper<Empty, DeaiQuery>,
>;

pub struct Suite {
    pub app: DeaiApp,
    pub deai: DeaiMock,
    pub contract: Addr,
    pub code: u64,
    pub fee: Addr,
    pub seller: Addr,
    pub alice: Addr,
    pub bob: Addr,
    pub buyer: Addr,
    pub buyer2: Addr,
}

pub fn default_instantiate(fee: &Addr) -> InstantiateMsg {
    InstantiateMsg {
        denom: DENOM.into(),
        name: "deai model licences".into(),
        symbol: "DEAILIC".into(),
        fee_bps: FEE_BPS,
        fee_collector: fee.to_string(),
        min_eval_score_bps: 5_000,
        ranking_weights: RankingWeights {
            eval_bps: 5_000,
            usage_bps: 2_500,
            rating_bps: 2_500,
        },
        usage_half: 10,
    }
}

impl Suite {
    pub fn new() -> Self {
        let deai = DeaiMock::default();
        let api = MockApiBech32::new("deai");
        let [fee, seller, alice, bob, buyer, buyer2] =
            ["fee", "seller", "alice", "bob", "buyer", "buyer2"].map(|n| api.addr_make(n));
        let mut app = AppBuilder::new_custom()
            .with_api(api)
            .with_custom(deai.clone())
            .with_wasm(WasmKeeper::<Empty, DeaiQuery>::new())
            .build(|router, _, storage| {
                for a in [&fee, &seller, &alice, &bob, &buyer, &buyer2] {
                    router
                        .bank
                        .init_balance(storage, a, coins(START, DENOM))
                        .unwrap();
                }
            });
        deai.models.lock().unwrap().insert(
            MODEL,
            InferenceModel {
                id: MODEL,
                owner: seller.to_string(),
                name: "digits-mlp".into(),
                eval_score_bps: 9_000,
                active: true,
                weights_sha256: "cd".repeat(32),
            },
        );
        let code = app.store_code(Box::new(
            ContractWrapper::new(execute, instantiate, query).with_migrate(migrate),
        ));
        let contract = app
            .instantiate_contract(
                code,
                fee.clone(),
                &default_instantiate(&fee),
                &[],
                "models",
                Some(fee.to_string()),
            )
            .unwrap();
        Suite {
            app,
            deai,
            contract,
            code,
            fee,
            seller,
            alice,
            bob,
            buyer,
            buyer2,
        }
    }

    pub fn set_model(&self, id: u64, owner: &Addr, eval_score_bps: u32, active: bool) {
        self.deai.models.lock().unwrap().insert(
            id,
            InferenceModel {
                id,
                owner: owner.to_string(),
                name: format!("model-{id}"),
                eval_score_bps,
                active,
                weights_sha256: "cd".repeat(32),
            },
        );
    }

    pub fn exec(
        &mut self,
        who: &Addr,
        msg: &ExecuteMsg,
        funds: u128,
    ) -> Result<AppResponse, ContractError> {
        let funds: Vec<Coin> = if funds == 0 {
            vec![]
        } else {
            coins(funds, DENOM)
        };
        let r = self
            .app
            .execute_contract(who.clone(), self.contract.clone(), msg, &funds);
        self.assert_conserved();
        r.map_err(|e| e.downcast::<ContractError>().expect("a ContractError"))
    }

    /// Seller lists MODEL: per-use 7 a use, perpetual 1001; alice 5000, bob 3000, seller 2000.
    pub fn list(&mut self) -> u64 {
        let seller = self.seller.clone();
        let msg = self.listing_msg(
            MODEL,
            vec![
                (self.alice.clone(), 5_000),
                (self.bob.clone(), 3_000),
                (seller.clone(), 2_000),
            ],
        );
        let r = self.exec(&seller, &msg, 0).unwrap();
        attr(&r, "listing_id").parse().unwrap()
    }

    pub fn listing_msg(&self, model_id: u64, contributors: Vec<(Addr, u16)>) -> ExecuteMsg {
        ExecuteMsg::CreateListing {
            model_id,
            title: "Digits MLP".into(),
            uri: "ipfs://model-card".into(),
            per_use_price: Some(Uint128::new(7)),
            perpetual_price: Some(Uint128::new(1_001)),
            contributors: contributors
                .into_iter()
                .map(|(a, bps)| ContributorMsg {
                    address: a.to_string(),
                    share_bps: bps,
                })
                .collect(),
            training_task: None,
        }
    }

    pub fn q<T: DeserializeOwned>(&self, msg: &QueryMsg) -> T {
        self.app
            .wrap()
            .query_wasm_smart(&self.contract, msg)
            .unwrap()
    }

    pub fn q_err(&self, msg: &QueryMsg) -> String {
        self.app
            .wrap()
            .query_wasm_smart::<Empty>(&self.contract, msg)
            .unwrap_err()
            .to_string()
    }

    pub fn balance(&self, who: &Addr) -> u128 {
        self.app
            .wrap()
            .query_balance(who, DENOM)
            .unwrap()
            .amount
            .u128()
    }

    /// No coin is created or lost, and the contract never keeps any.
    pub fn assert_conserved(&self) {
        let all = [
            &self.fee,
            &self.seller,
            &self.alice,
            &self.bob,
            &self.buyer,
            &self.buyer2,
        ];
        let users: u128 = all.iter().map(|a| self.balance(a)).sum();
        assert_eq!(
            self.balance(&self.contract),
            0,
            "the marketplace holds no funds"
        );
        assert_eq!(users, 6 * START, "coins created or lost");
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
