//! Unit tests: allocation by votes with commission and community tax to the unit, a
//! delegator's rewards over periods with a delegation change, rewards after a slash, withdraw
//! addresses, commission and the community pool's authority.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as spb;
use prost::Name;

use deai_bank::{BankRead, BankWrite, COMMUNITY_POOL};
use deai_framework::context::{BlockInfo, CometInfo, CommitVote};
use deai_framework::dec::{Dec, DEC_SCALE};
use deai_framework::{Address, Coins, Ctx, Event, GasMeter, MemStore, Module, Router, TxError};
use deai_staking::address::val_to_bech32;
use deai_staking::keeper::{consensus_address, pubkey_any};
use deai_staking::{StakingHooks, StakingModule};

use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code, proto_coin as coin};

pub(crate) const USERS: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
pub(crate) const FUNDS: u128 = 1_000_000_000_000;
pub(crate) const T0: i64 = 1_700_000_000;
pub(crate) const M: u128 = 1_000_000;
/// The account that pays the fees the tests put into the fee collector.
pub(crate) const PAYER: u8 = 8;

pub(crate) fn hooks() -> Arc<dyn StakingHooks> {
    Arc::new(Hooks)
}

pub(crate) fn staking_module() -> StakingModule {
    StakingModule::with_hooks(hooks())
}

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(staking_module()),
        Box::new(DistributionModule),
    ]
}

pub(crate) fn store() -> MemStore {
    let mut app = testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, 9);
    app["staking"] = serde_json::json!({"authority": addr(9).to_bech32()});
    testing::try_init_all(&modules(), &app).unwrap()
}

pub(crate) fn blk(h: u64) -> BlockInfo {
    BlockInfo {
        time_unix: T0 + h as i64 * 100_000,
        ..testing::block(h)
    }
}

pub(crate) fn exec<P: prost::Message + Name>(
    s: &mut MemStore,
    h: u64,
    module: &dyn Module,
    p: P,
) -> Result<(cosmos_sdk_proto::Any, Vec<Event>), TxError> {
    testing::exec(module, s, &blk(h), 1_000_000_000, p).map(|(r, e, _)| (r, e))
}

pub(crate) fn dist<P: prost::Message + Name>(
    s: &mut MemStore,
    h: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec(s, h, &DistributionModule, p).map(|(_, e)| e)
}

pub(crate) fn staking<P: prost::Message + Name>(
    s: &mut MemStore,
    h: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec(s, h, &staking_module(), p).map(|(_, e)| e)
}

/// Runs `f` in block `b`, applying its writes on success.
pub(crate) fn in_block<R>(
    s: &mut MemStore,
    b: &BlockInfo,
    f: impl FnOnce(&mut Ctx) -> Result<R, TxError>,
) -> Result<R, TxError> {
    let gas = GasMeter::infinite();
    let snap = s.clone();
    let mut ctx = Ctx::new(&snap, &gas, b);
    let r = f(&mut ctx)?;
    let (w, _) = ctx.finish();
    s.apply(w);
    Ok(r)
}

pub(crate) fn cons(op: u8) -> Vec<u8> {
    consensus_address(&[op + 10; 32])
}

pub(crate) fn val(op: u8) -> String {
    val_to_bech32(&addr(op))
}

/// Puts `amount` udeai of the payer's into the fee collector.
pub(crate) fn fees(s: &mut MemStore, amount: u128) {
    let c = Coins::parse(&format!("{amount}udeai")).unwrap();
    s.send_to_module(&addr(PAYER), deai_auth::FEE_COLLECTOR, &c)
        .unwrap();
}

/// Distribution's begin block at `h` with the given (validator, power) votes.
pub(crate) fn begin(s: &mut MemStore, h: u64, votes: &[(u8, i64)]) {
    let comet = CometInfo {
        proposer: cons(1),
        last_commit: votes
            .iter()
            .map(|(op, p)| CommitVote {
                address: cons(*op),
                power: *p,
                signed: true,
            })
            .collect(),
        ..Default::default()
    };
    let b = BlockInfo {
        comet: Arc::new(comet),
        ..blk(h)
    };
    in_block(s, &b, |ctx| DistributionModule.begin_block(ctx)).unwrap();
}

pub(crate) fn end_block(s: &mut MemStore, h: u64) {
    testing::end_block(&staking_module(), s, &blk(h));
}

pub(crate) fn create_msg(op: u8, amount: u128) -> spb::MsgCreateValidator {
    #[allow(deprecated)]
    spb::MsgCreateValidator {
        description: Some(spb::Description {
            moniker: format!("v{op}"),
            ..Default::default()
        }),
        commission: Some(spb::CommissionRates {
            rate: "0.1".into(),
            max_rate: "0.2".into(),
            max_change_rate: "0.01".into(),
        }),
        min_self_delegation: "1".into(),
        delegator_address: String::new(),
        validator_address: val(op),
        pubkey: Some(pubkey_any(&[op + 10; 32])),
        value: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn delegate_msg(del: u8, op: u8, amount: u128) -> spb::MsgDelegate {
    spb::MsgDelegate {
        delegator_address: addr(del).to_bech32(),
        validator_address: val(op),
        amount: Some(coin(amount, "udeai")),
    }
}

pub(crate) fn withdraw_msg(del: u8, op: u8) -> pb::MsgWithdrawDelegatorReward {
    pb::MsgWithdrawDelegatorReward {
        delegator_address: addr(del).to_bech32(),
        validator_address: val(op),
    }
}

pub(crate) fn bal(s: &MemStore, who: u8) -> u128 {
    s.balance(&addr(who), "udeai").unwrap()
}

pub(crate) fn module_bal(s: &MemStore, m: &str) -> u128 {
    s.module_balance(m, "udeai").unwrap()
}

/// `n` whole units plus `frac` 10^-18 units, as units.
pub(crate) fn units(n: u128, frac: u128) -> u128 {
    n * DEC_SCALE + frac
}

/// A query through the module's router in block `h`.
pub(crate) fn query<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    h: u64,
    path: &str,
    req: Req,
) -> Result<Res, TxError> {
    let mut router = Router::new();
    DistributionModule.register(&mut router);
    let bytes = router.query(path, s, &blk(h), &req.encode_to_vec())?;
    Ok(Res::decode(bytes.as_slice()).unwrap())
}

pub(crate) fn q(name: &str) -> String {
    format!("/cosmos.distribution.v1beta1.Query/{name}")
}

pub(crate) fn dec_units(
    c: &[cosmos_sdk_proto::cosmos::base::v1beta1::DecCoin],
    denom: &str,
) -> u128 {
    c.iter()
        .find(|c| c.denom == denom)
        .map_or(0, |c| c.amount.parse().unwrap())
}

fn two_validators() -> MemStore {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 30 * M)).unwrap();
    staking(&mut s, 1, create_msg(2, 10 * M)).unwrap();
    end_block(&mut s, 1);
    s
}

#[test]
fn allocation_follows_votes_commission_and_community_tax_to_the_unit() {
    let mut s = two_validators();
    let payer = bal(&s, PAYER);
    fees(&mut s, 1000);
    begin(&mut s, 1, &[(1, 30), (2, 10)]); // nothing at height 1
    assert_eq!(module_bal(&s, deai_auth::FEE_COLLECTOR), 1000);
    begin(&mut s, 2, &[(1, 30), (2, 10)]);
    assert_eq!(module_bal(&s, deai_auth::FEE_COLLECTOR), 0);
    assert_eq!(bal(&s, PAYER), payer - 1000);
    // 2 % tax: 980 shared 3:1; commission 10 %.
    let (v1, v2) = (addr(1), addr(2));
    assert_eq!(
        s.outstanding(&v1).unwrap().unwrap().units_of("udeai"),
        units(735, 0)
    );
    assert_eq!(
        s.outstanding(&v2).unwrap().unwrap().units_of("udeai"),
        units(245, 0)
    );
    assert_eq!(
        s.accumulated_commission(&v1).unwrap().units_of("udeai"),
        units(73, DEC_SCALE / 2)
    );
    assert_eq!(
        s.accumulated_commission(&v2).unwrap().units_of("udeai"),
        units(24, DEC_SCALE / 2)
    );
    assert_eq!(
        s.current_rewards(&v1)
            .unwrap()
            .unwrap()
            .rewards
            .units_of("udeai"),
        units(661, DEC_SCALE / 2)
    );
    assert_eq!(module_bal(&s, COMMUNITY_POOL), 20);
    assert_eq!(module_bal(&s, MODULE_ACCOUNT), 980);
    // A vote of an unknown validator: its share stays in the pool.
    fees(&mut s, 1000);
    begin(&mut s, 3, &[(1, 30), (2, 10), (7, 40)]);
    assert_eq!(
        s.outstanding(&v1).unwrap().unwrap().units_of("udeai"),
        units(735 + 367, DEC_SCALE / 2)
    );
    assert_eq!(
        s.outstanding(&v2).unwrap().unwrap().units_of("udeai"),
        units(245 + 122, DEC_SCALE / 2)
    );
    assert_eq!(module_bal(&s, COMMUNITY_POOL), 20 + 510);
    assert_eq!(module_bal(&s, MODULE_ACCOUNT), 980 + 490);
    let pool: pb::QueryCommunityPoolResponse =
        query(&s, 3, &q("CommunityPool"), pb::QueryCommunityPoolRequest {}).unwrap();
    assert_eq!(dec_units(&pool.pool, "udeai"), units(530, 0));
    assert_eq!(s.previous_proposer().unwrap(), cons(1));
    // No power at all: everything to the pool.
    fees(&mut s, 7);
    begin(&mut s, 4, &[]);
    assert_eq!(module_bal(&s, COMMUNITY_POOL), 537);
}

#[test]
fn a_delegators_rewards_follow_periods_across_a_delegation_change() {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 10 * M)).unwrap();
    staking(&mut s, 2, delegate_msg(3, 1, 10 * M)).unwrap();
    fees(&mut s, 1000);
    begin(&mut s, 3, &[(1, 20)]);
    // 980 to v1: 98 commission, 882 shared by two equal stakes.
    let r: pb::QueryDelegationRewardsResponse = query(
        &s,
        3,
        &q("DelegationRewards"),
        pb::QueryDelegationRewardsRequest {
            delegator_address: addr(3).to_bech32(),
            validator_address: val(1),
        },
    )
    .unwrap();
    assert_eq!(dec_units(&r.rewards, "udeai"), units(441, 0));
    let before = bal(&s, 3);
    // Delegating more withdraws first.
    staking(&mut s, 4, delegate_msg(3, 1, 10 * M)).unwrap();
    assert_eq!(bal(&s, 3), before - 10 * M + 441);
    fees(&mut s, 1000);
    begin(&mut s, 5, &[(1, 30)]);
    let before = bal(&s, 3);
    dist(&mut s, 6, withdraw_msg(3, 1)).unwrap();
    assert_eq!(bal(&s, 3), before + 588);
    let before = bal(&s, 1);
    dist(&mut s, 6, withdraw_msg(1, 1)).unwrap();
    assert_eq!(bal(&s, 1), before + 441 + 294);
    let before = bal(&s, 1);
    dist(
        &mut s,
        6,
        pb::MsgWithdrawValidatorCommission {
            validator_address: val(1),
        },
    )
    .unwrap();
    assert_eq!(bal(&s, 1), before + 196);
    assert!(s.outstanding(&addr(1)).unwrap().unwrap().is_zero());
    assert_eq!(module_bal(&s, MODULE_ACCOUNT), 0);
    // Withdrawing twice in a block pays nothing more.
    let before = bal(&s, 3);
    dist(&mut s, 6, withdraw_msg(3, 1)).unwrap();
    assert_eq!(bal(&s, 3), before);
}

#[test]
fn rewards_respect_a_slash() {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 10 * M)).unwrap();
    staking(&mut s, 1, delegate_msg(3, 1, 10 * M)).unwrap();
    end_block(&mut s, 1);
    fees(&mut s, 1000);
    begin(&mut s, 2, &[(1, 20)]);
    let h = hooks();
    let half = Dec::parse("0.5").unwrap();
    let out = in_block(&mut s, &blk(3), |ctx| {
        deai_staking::slash(ctx, h.as_ref(), &cons(1), 3, 20, half)
    })
    .unwrap();
    assert_eq!(out.validator, 10 * M);
    fees(&mut s, 1000);
    begin(&mut s, 4, &[(1, 10)]);
    // 441 before the slash on a 10M stake, 441 after on a 5M stake of a 10M validator.
    let before = bal(&s, 3);
    dist(&mut s, 5, withdraw_msg(3, 1)).unwrap();
    assert_eq!(bal(&s, 3), before + 882);
    let slashes: pb::QueryValidatorSlashesResponse = query(
        &s,
        5,
        &q("ValidatorSlashes"),
        pb::QueryValidatorSlashesRequest {
            validator_address: val(1),
            starting_height: 0,
            ending_height: 100,
            pagination: None,
        },
    )
    .unwrap();
    assert_eq!(slashes.slashes.len(), 1);
    assert_eq!(slashes.slashes[0].fraction, half.units().to_string());
    let none: pb::QueryValidatorSlashesResponse = query(
        &s,
        5,
        &q("ValidatorSlashes"),
        pb::QueryValidatorSlashesRequest {
            validator_address: val(1),
            starting_height: 4,
            ending_height: 100,
            pagination: None,
        },
    )
    .unwrap();
    assert!(none.slashes.is_empty());
    let bad = query::<_, pb::QueryValidatorSlashesResponse>(
        &s,
        5,
        &q("ValidatorSlashes"),
        pb::QueryValidatorSlashesRequest {
            validator_address: val(1),
            starting_height: 4,
            ending_height: 3,
            pagination: None,
        },
    );
    assert_eq!(code(bad), ("sdk", 18));
}

#[test]
fn the_withdraw_address_receives_rewards_and_commission() {
    let mut s = store();
    staking(&mut s, 1, create_msg(1, 10 * M)).unwrap();
    staking(&mut s, 2, delegate_msg(3, 1, 10 * M)).unwrap();
    let set = |del: u8, to: &Address| pb::MsgSetWithdrawAddress {
        delegator_address: addr(del).to_bech32(),
        withdraw_address: to.to_bech32(),
    };
    dist(&mut s, 2, set(3, &addr(7))).unwrap();
    dist(&mut s, 2, set(1, &addr(6))).unwrap();
    assert_eq!(
        code(dist(&mut s, 2, set(3, &Address::module(COMMUNITY_POOL)))),
        ("sdk", 4)
    );
    let w: pb::QueryDelegatorWithdrawAddressResponse = query(
        &s,
        2,
        &q("DelegatorWithdrawAddress"),
        pb::QueryDelegatorWithdrawAddressRequest {
            delegator_address: addr(3).to_bech32(),
        },
    )
    .unwrap();
    assert_eq!(w.withdraw_address, addr(7).to_bech32());
    fees(&mut s, 1000);
    begin(&mut s, 3, &[(1, 20)]);
    let (b3, b7, b6) = (bal(&s, 3), bal(&s, 7), bal(&s, 6));
    dist(&mut s, 4, withdraw_msg(3, 1)).unwrap();
    dist(
        &mut s,
        4,
        pb::MsgWithdrawValidatorCommission {
            validator_address: val(1),
        },
    )
    .unwrap();
    assert_eq!(
        (bal(&s, 3), bal(&s, 7), bal(&s, 6)),
        (b3, b7 + 441, b6 + 98)
    );
    // No commission left: the SDK's code 7.
    assert_eq!(
        code(dist(
            &mut s,
            4,
            pb::MsgWithdrawValidatorCommission {
                validator_address: val(1),
            }
        )),
        (CODESPACE, ERR_NO_VALIDATOR_COMMISSION)
    );
    // Disabled by params: code 8.
    let p = Params {
        withdraw_addr_enabled: false,
        ..Params::default()
    };
    dist(
        &mut s,
        4,
        pb::MsgUpdateParams {
            authority: addr(9).to_bech32(),
            params: Some(p.to_proto()),
        },
    )
    .unwrap();
    assert_eq!(
        code(dist(&mut s, 4, set(3, &addr(5)))),
        (CODESPACE, ERR_SET_WITHDRAW_ADDR_DISABLED)
    );
    // Unknown validator or delegation.
    assert_eq!(
        code(dist(&mut s, 4, withdraw_msg(3, 2))),
        (CODESPACE, ERR_NO_VALIDATOR_DIST_INFO)
    );
    assert_eq!(
        code(dist(&mut s, 4, withdraw_msg(4, 1))),
        (CODESPACE, ERR_EMPTY_DELEGATION_DIST_INFO)
    );
}

#[test]
fn commission_keeps_its_decimal_remainder() {
    let mut s = two_validators();
    fees(&mut s, 1000);
    begin(&mut s, 2, &[(1, 30), (2, 10)]);
    let before = bal(&s, 1);
    dist(
        &mut s,
        3,
        pb::MsgWithdrawValidatorCommission {
            validator_address: val(1),
        },
    )
    .unwrap();
    assert_eq!(bal(&s, 1), before + 73);
    assert_eq!(
        s.accumulated_commission(&addr(1))
            .unwrap()
            .units_of("udeai"),
        DEC_SCALE / 2
    );
    let c: pb::QueryValidatorCommissionResponse = query(
        &s,
        3,
        &q("ValidatorCommission"),
        pb::QueryValidatorCommissionRequest {
            validator_address: val(1),
        },
    )
    .unwrap();
    assert_eq!(
        dec_units(&c.commission.unwrap().commission, "udeai"),
        DEC_SCALE / 2
    );
}

#[test]
fn the_community_pool_is_funded_by_anyone_and_spent_by_the_authority() {
    let mut s = store();
    dist(
        &mut s,
        1,
        pb::MsgFundCommunityPool {
            amount: vec![coin(100, "udeai")],
            depositor: addr(4).to_bech32(),
        },
    )
    .unwrap();
    assert_eq!(module_bal(&s, COMMUNITY_POOL), 100);
    let spend = |by: u8, amount: u128| pb::MsgCommunityPoolSpend {
        authority: addr(by).to_bech32(),
        recipient: addr(5).to_bech32(),
        amount: vec![coin(amount, "udeai")],
    };
    assert_eq!(code(dist(&mut s, 1, spend(4, 10))), ("gov", 13));
    assert_eq!(
        code(dist(&mut s, 1, spend(9, 101))),
        (CODESPACE, ERR_BAD_DISTRIBUTION)
    );
    let before = bal(&s, 5);
    dist(&mut s, 1, spend(9, 60)).unwrap();
    assert_eq!(bal(&s, 5), before + 60);
    assert_eq!(module_bal(&s, COMMUNITY_POOL), 40);
    let mut blocked = spend(9, 1);
    blocked.recipient = Address::module(MODULE_ACCOUNT).to_bech32();
    assert_eq!(code(dist(&mut s, 1, blocked)), ("sdk", 4));
    // Params: only the authority, and no deprecated proposer rewards.
    let up = |by: u8, p: pb::Params| pb::MsgUpdateParams {
        authority: addr(by).to_bech32(),
        params: Some(p),
    };
    assert_eq!(
        code(dist(&mut s, 1, up(4, Params::default().to_proto()))),
        ("gov", 13)
    );
    let mut p = Params::default().to_proto();
    #[allow(deprecated)]
    {
        p.base_proposer_reward = "10000000000000000".into();
    }
    assert_eq!(code(dist(&mut s, 1, up(9, p))), ("sdk", 18));
    let p = Params {
        community_tax: Dec::parse("0.5").unwrap(),
        ..Params::default()
    };
    dist(&mut s, 1, up(9, p.to_proto())).unwrap();
    let got: pb::QueryParamsResponse =
        query(&s, 1, &q("Params"), pb::QueryParamsRequest {}).unwrap();
    assert_eq!(got.params.unwrap(), p.to_proto());
}
