//! Test helpers, params, providers and genesis.

use cosmos_sdk_proto::Any;
use prost::Name;

use deai_bank::BankRead;
use deai_framework::{Event, MemStore, Module, TxError};
use deai_proto::compute::v1 as pb;

use crate::*;

pub(crate) use deai_framework::testing::{self, addr, code, proto_coin as coin};

pub(crate) const USERS: [u8; 5] = [1, 2, 3, 4, 5];
pub(crate) const FUNDS: u128 = 1_000_000_000;

pub(crate) fn attr(k: &str, v: &str) -> pb::Attribute {
    pb::Attribute {
        key: k.into(),
        value: v.into(),
    }
}

pub(crate) fn modules() -> Vec<Box<dyn Module>> {
    vec![
        Box::new(deai_auth::AuthModule),
        Box::new(deai_bank::BankModule),
        Box::new(ComputeModule),
    ]
}

pub(crate) fn store() -> MemStore {
    init_all(&testing::funded_genesis(MODULE_NAME, &USERS, FUNDS, 9))
}

pub(crate) fn init_all(app: &serde_json::Value) -> MemStore {
    testing::try_init_all(&modules(), app).unwrap()
}

pub(crate) fn export_all(s: &MemStore) -> serde_json::Value {
    testing::export_all(&modules(), s)
}

/// Decodes a proto message through the router and runs it the way the app does: on an
/// overlay applied only on success.
pub(crate) fn exec<P: prost::Message + Name>(
    s: &mut MemStore,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_at(s, 10, p)
}

/// [`exec`] at block `height`.
pub(crate) fn exec_at<P: prost::Message + Name>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<Vec<Event>, TxError> {
    exec_full(s, height, p).map(|(_, events)| events)
}

/// [`exec_at`], with the message's response.
pub(crate) fn exec_full<P: prost::Message + Name>(
    s: &mut MemStore,
    height: u64,
    p: P,
) -> Result<(Any, Vec<Event>), TxError> {
    let block = testing::block(height);
    testing::exec(&ComputeModule, s, &block, 10_000_000, p).map(|(r, events, _)| (r, events))
}

/// Runs compute's `end_block` at `height`, as the app does (its writes applied on success).
pub(crate) fn end_block_at(s: &mut MemStore, height: u64) -> Vec<Event> {
    testing::end_block(&ComputeModule, s, &testing::block(height))
}

pub(crate) fn query<Req: prost::Message, Res: prost::Message + Default>(
    s: &MemStore,
    path: &str,
    req: Req,
) -> Result<Res, TxError> {
    testing::query(&ComputeModule, s, path, req)
}

pub(crate) fn compute(c: u32) -> (&'static str, u32) {
    ("compute", c)
}

/// The module account holds exactly Σ provider stakes + Σ escrow balances + Σ deposits of
/// open and active bids + Σ lease unwithdrawn + Σ deposits of pending audits, per denom.
pub(crate) fn assert_reconciles(s: &MemStore) {
    let g = import_proto(&ComputeModule.export_genesis(s).unwrap()).unwrap();
    let coins = g
        .providers
        .iter()
        .filter_map(|p| p.stake.clone())
        .chain(g.escrow_accounts.iter().filter_map(|e| e.balance.clone()))
        .chain(
            g.bids
                .iter()
                .filter(|b| {
                    b.state == pb::BidState::Open as i32 || b.state == pb::BidState::Active as i32
                })
                .filter_map(|b| b.deposit.clone()),
        )
        .chain(g.leases.iter().filter_map(|l| l.unwithdrawn.clone()))
        .chain(
            g.audits
                .iter()
                .filter(|a| a.state == pb::AuditState::Pending as i32)
                .filter_map(|a| a.deposit.clone()),
        );
    testing::assert_holds(coins, |denom| {
        s.module_balance(MODULE_ACCOUNT, denom).unwrap()
    });
}

pub(crate) fn create_provider_msg(owner: u8, stake: u128) -> pb::MsgCreateProvider {
    pb::MsgCreateProvider {
        owner: addr(owner).to_bech32(),
        host_uri: "https://p.example:8443".into(),
        attributes: vec![attr("region", "eu"), attr("gpu", "a100")],
        capacity: Some(pb::Resources {
            cpu_millis: 8000,
            memory_bytes: 1 << 34,
            gpus: 1,
            storage_bytes: 1 << 40,
        }),
        stake: Some(coin(stake, "udeai")),
    }
}

const MIN_STAKE: u128 = 10_000_000;

#[test]
fn provider_lifecycle_escrows_and_refunds_the_stake() {
    let mut s = store();
    let events = exec(&mut s, create_provider_msg(1, MIN_STAKE)).unwrap();
    assert!(events.iter().any(|e| e.kind == "transfer"));
    let created = events
        .iter()
        .find(|e| e.kind == "deai.compute.v1.EventProviderCreated")
        .unwrap();
    let parsed: pb::EventProviderCreated = deai_framework::parse_typed_event(created).unwrap();
    assert_eq!(parsed.owner, addr(1).to_bech32());
    assert_eq!(s.balance(&addr(1), "udeai").unwrap(), FUNDS - MIN_STAKE);
    assert_reconciles(&s);

    let got: pb::QueryProviderResponse = query(
        &s,
        "/deai.compute.v1.Query/Provider",
        pb::QueryProviderRequest {
            owner: addr(1).to_bech32(),
        },
    )
    .unwrap();
    let p = got.provider.unwrap();
    // Attributes are stored sorted by key.
    assert_eq!(
        p.attributes,
        vec![attr("gpu", "a100"), attr("region", "eu")]
    );

    let mut upd = pb::MsgUpdateProvider {
        owner: addr(1).to_bech32(),
        host_uri: "http://127.0.0.1:9001/art".into(),
        attributes: vec![attr("region", "us")],
        capacity: None,
    };
    exec(&mut s, upd.clone()).unwrap();
    upd.owner = addr(2).to_bech32();
    assert_eq!(code(exec(&mut s, upd)), compute(ERR_PROVIDER_NOT_FOUND));

    let del = pb::MsgDeleteProvider {
        owner: addr(1).to_bech32(),
    };
    exec(&mut s, del.clone()).unwrap();
    assert_eq!(s.balance(&addr(1), "udeai").unwrap(), FUNDS);
    assert_reconciles(&s);
    assert_eq!(code(exec(&mut s, del)), compute(ERR_PROVIDER_NOT_FOUND));
}

#[test]
fn create_provider_rejections() {
    let mut s = store();
    exec(&mut s, create_provider_msg(1, MIN_STAKE)).unwrap();
    assert_eq!(
        code(exec(&mut s, create_provider_msg(1, MIN_STAKE))),
        compute(ERR_PROVIDER_EXISTS)
    );
    assert_eq!(
        code(exec(&mut s, create_provider_msg(2, MIN_STAKE - 1))),
        compute(ERR_STAKE_TOO_LOW)
    );
    assert_eq!(
        code(exec(&mut s, create_provider_msg(2, 0))),
        compute(ERR_ZERO_AMOUNT)
    );
    let mut m = create_provider_msg(2, MIN_STAKE);
    m.stake = Some(coin(MIN_STAKE, "uatom"));
    assert_eq!(code(exec(&mut s, m)), compute(ERR_DENOM_MISMATCH));
    assert_eq!(
        code(exec(&mut s, create_provider_msg(2, FUNDS + 1))),
        ("sdk", deai_framework::sdk::INSUFFICIENT_FUNDS)
    );
    for uri in [
        "ftp://x",
        "https://",
        "https://a b",
        "http://:80",
        &format!("https://{}", "a".repeat(300)),
    ] {
        let mut m = create_provider_msg(2, MIN_STAKE);
        m.host_uri = uri.to_string();
        assert_eq!(
            code(exec(&mut s, m)),
            compute(ERR_INVALID_HOST_URI),
            "{uri}"
        );
    }
    let bad_attrs = [
        vec![attr("a", "1"), attr("a", "2")],
        vec![attr("", "1")],
        vec![attr("a b", "1")],
        vec![attr("a", "")],
        vec![attr("a", &"v".repeat(129))],
        (0..33).map(|i| attr(&format!("k{i}"), "v")).collect(),
    ];
    for attrs in bad_attrs {
        let mut m = create_provider_msg(2, MIN_STAKE);
        m.attributes = attrs;
        assert_eq!(code(exec(&mut s, m)), compute(ERR_INVALID_ATTRIBUTES));
    }
    let mut m = create_provider_msg(2, MIN_STAKE);
    m.owner = "cosmos1xyz".into();
    assert_eq!(
        code(exec(&mut s, m)),
        ("sdk", deai_framework::sdk::INVALID_ADDRESS)
    );
    assert_reconciles(&s);
}

#[test]
fn delete_is_refused_while_the_provider_holds_leases() {
    let mut s = store();
    exec(&mut s, create_provider_msg(1, MIN_STAKE)).unwrap();
    let mut p = s.get_provider(&addr(1)).unwrap().unwrap();
    p.active_leases = 1;
    s.put_provider(&addr(1), &p).unwrap();
    let del = pb::MsgDeleteProvider {
        owner: addr(1).to_bech32(),
    };
    assert_eq!(code(exec(&mut s, del)), compute(ERR_PROVIDER_HAS_LEASES));
    // Capacity may not shrink below what is in use.
    p.in_use = Some(pb::Resources {
        gpus: 1,
        ..Default::default()
    });
    s.put_provider(&addr(1), &p).unwrap();
    let upd = pb::MsgUpdateProvider {
        owner: addr(1).to_bech32(),
        host_uri: "https://x.example".into(),
        attributes: vec![],
        capacity: None,
    };
    assert_eq!(code(exec(&mut s, upd)), compute(ERR_CAPACITY_BELOW_USE));
}

#[test]
fn auditors_sign_offered_attributes_only() {
    let mut s = store();
    exec(&mut s, create_provider_msg(1, MIN_STAKE)).unwrap();
    let sign = |auditor: u8, attrs: Vec<pb::Attribute>| pb::MsgSignProviderAttributes {
        auditor: addr(auditor).to_bech32(),
        provider: addr(1).to_bech32(),
        attributes: attrs,
    };
    exec(&mut s, sign(7, vec![attr("region", "eu")])).unwrap();
    exec(
        &mut s,
        sign(7, vec![attr("region", "eu"), attr("gpu", "a100")]),
    )
    .unwrap();
    exec(&mut s, sign(8, vec![attr("gpu", "a100")])).unwrap();
    assert_eq!(
        code(exec(&mut s, sign(7, vec![attr("region", "us")]))),
        compute(ERR_ATTRIBUTE_NOT_OFFERED)
    );
    assert_eq!(
        code(exec(&mut s, sign(7, vec![]))),
        compute(ERR_INVALID_ATTRIBUTES)
    );
    let mut unknown = sign(7, vec![attr("gpu", "a100")]);
    unknown.provider = addr(2).to_bech32();
    assert_eq!(code(exec(&mut s, unknown)), compute(ERR_PROVIDER_NOT_FOUND));
    let got: pb::QueryProviderResponse = query(
        &s,
        "/deai.compute.v1.Query/Provider",
        pb::QueryProviderRequest {
            owner: addr(1).to_bech32(),
        },
    )
    .unwrap();
    assert_eq!(got.signed_attributes.len(), 2);
    assert_eq!(got.signed_attributes[0].attributes.len(), 2);
    // The signature count per provider is capped.
    for a in 0..(MAX_AUDITORS_PER_PROVIDER as u8 - 2) {
        exec(&mut s, sign(100 + a, vec![attr("gpu", "a100")])).unwrap();
    }
    assert_eq!(
        code(exec(&mut s, sign(200, vec![attr("gpu", "a100")]))),
        compute(ERR_TOO_MANY_SIGNATURES)
    );
    // Deleting the provider removes its signatures.
    exec(
        &mut s,
        pb::MsgDeleteProvider {
            owner: addr(1).to_bech32(),
        },
    )
    .unwrap();
    assert!(s.signed_attributes_of(&addr(1)).unwrap().is_empty());
}

#[test]
fn params_update_by_authority_only_and_validated() {
    let mut s = store();
    let mut p = Params::default().to_proto();
    p.take_rate = "0.05".into();
    let msg = |who: u8, p: pb::Params| pb::MsgUpdateParams {
        authority: addr(who).to_bech32(),
        params: Some(p),
    };
    assert_eq!(code(exec(&mut s, msg(1, p.clone()))), ("gov", 13));
    exec(&mut s, msg(9, p)).unwrap();
    let got: pb::QueryParamsResponse = query(
        &s,
        "/deai.compute.v1.Query/Params",
        pb::QueryParamsRequest {},
    )
    .unwrap();
    assert_eq!(got.params.unwrap().take_rate, "0.050000000000000000");
    assert_eq!(got.authority, addr(9).to_bech32());

    let cases: Vec<fn(&mut pb::Params)> = vec![
        |p| p.take_rate = "1.5".into(),
        |p| p.slash_fraction = "x".into(),
        |p| p.max_spec_bytes = MAX_SPEC_BYTES + 1,
        |p| p.max_redundancy = 0,
        |p| p.max_redundancy = 6,
        |p| p.min_bid_window = 10,
        |p| p.provider_min_stake = None,
        |p| p.settle_interval = 0,
        |p| p.order_max_bids = MAX_ORDER_BIDS + 1,
    ];
    for f in cases {
        let mut p = Params::default().to_proto();
        p.max_bid_window = 5;
        f(&mut p);
        assert_eq!(code(exec(&mut s, msg(9, p))), compute(ERR_INVALID_PARAMS));
    }
}

#[test]
fn default_genesis_round_trips_and_creates_the_module_account() {
    let s = store();
    let exported = export_all(&s);
    assert_eq!(
        exported["compute"]["params"]["take_rate"],
        "0.020000000000000000"
    );
    assert_eq!(exported["compute"]["next_order_id"], "0");
    let again = init_all(&exported);
    assert_eq!(export_all(&again), exported);
    use deai_auth::AuthRead;
    assert!(s.module_account(MODULE_ACCOUNT).unwrap().is_some());
    assert!(ComputeModule
        .init_genesis(&mut MemStore::new(), &serde_json::json!({"bogus": 1}))
        .is_err());
}

#[test]
fn genesis_refuses_unbacked_stakes_and_unsupported_records() {
    let mut s = store();
    exec(&mut s, create_provider_msg(1, MIN_STAKE)).unwrap();
    let mut app = export_all(&s);
    assert_eq!(export_all(&init_all(&app)), app);
    // A stake the module account does not hold.
    app["compute"]["providers"][0]["stake"]["amount"] = (MIN_STAKE + 1).to_string().into();
    let mut fresh = MemStore::new();
    let mut err = None;
    for m in modules() {
        if let Err(e) = m.init_genesis(&mut fresh, &app[m.name()]) {
            err = Some(e);
        }
    }
    assert_eq!(
        err.map(|e| (e.codespace, e.code)),
        Some(compute(ERR_INVALID_GENESIS))
    );
    let mut app = export_all(&s);
    app["compute"]["leases"] = serde_json::json!([{"id": "1"}]);
    let mut fresh = MemStore::new();
    let results: Vec<_> = modules()
        .iter()
        .map(|m| m.init_genesis(&mut fresh, &app[m.name()]).is_ok())
        .collect();
    assert_eq!(results, vec![true, true, false]);
}
