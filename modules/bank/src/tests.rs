use cosmos_sdk_proto::cosmos::bank::v1beta1 as pb;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_framework::context::BlockInfo;
use deai_framework::{sdk, Address, Ctx, GasMeter, MemStore, Message, Module};

use crate::*;

pub(crate) fn addr(b: u8) -> Address {
    Address::from_bytes(&[b; 20]).unwrap()
}

fn coin(amount: &str, denom: &str) -> ProtoCoin {
    ProtoCoin {
        denom: denom.into(),
        amount: amount.into(),
    }
}

fn genesis_json() -> serde_json::Value {
    serde_json::json!({
        "params": {"send_enabled": [], "default_send_enabled": true},
        "balances": [
            {"address": addr(1).to_bech32(), "coins": [{"denom":"stake","amount":"5"},{"denom":"udeai","amount":"1000"}]},
            {"address": addr(2).to_bech32(), "coins": [{"denom":"udeai","amount":"10"}]}
        ],
        "supply": [{"denom":"stake","amount":"5"},{"denom":"udeai","amount":"1010"}],
        "denom_metadata": [serde_json::to_value(default_metadata()).unwrap()],
        "send_enabled": [{"denom":"stake","enabled":false}],
        "authority": addr(9).to_bech32()
    })
}

fn store() -> MemStore {
    let mut s = MemStore::new();
    BankModule.init_genesis(&mut s, &genesis_json()).unwrap();
    s
}

/// Runs a message the way the app does: on an overlay that is applied only on success.
pub(crate) fn run(s: &mut MemStore, msg: &dyn Message) -> Result<(), deai_framework::TxError> {
    let block = BlockInfo::default();
    let gas = GasMeter::new(1_000_000);
    let snapshot = s.clone();
    let mut ctx = Ctx::new(&snapshot, &gas, &block);
    msg.execute(&mut ctx)?;
    let (writes, _) = ctx.finish();
    s.apply(writes);
    Ok(())
}

#[test]
fn genesis_round_trips_exactly() {
    let s = store();
    assert_eq!(BankModule.export_genesis(&s).unwrap(), genesis_json());
}

#[test]
fn genesis_rejects_wrong_supply() {
    let mut g = genesis_json();
    g["supply"] = serde_json::json!([{"denom":"udeai","amount":"1"}]);
    assert!(BankModule.init_genesis(&mut MemStore::new(), &g).is_err());
}

#[test]
fn send_moves_coins_and_creates_the_recipient() {
    let mut s = store();
    let msg = Send::try_from(pb::MsgSend {
        from_address: addr(1).to_bech32(),
        to_address: addr(3).to_bech32(),
        amount: vec![coin("300", "udeai")],
    })
    .unwrap();
    run(&mut s, &msg).unwrap();
    assert_eq!(s.balance(&addr(1), "udeai").unwrap(), 700);
    assert_eq!(s.balance(&addr(3), "udeai").unwrap(), 300);
    assert!(deai_auth::AuthRead::account(&s, &addr(3))
        .unwrap()
        .is_some());
    assert_eq!(s.supply_of("udeai").unwrap(), 1010);
}

#[test]
fn send_fails_cleanly() {
    let mut s = store();
    let send = |amount: &str, denom: &str| {
        Send::try_from(pb::MsgSend {
            from_address: addr(2).to_bech32(),
            to_address: addr(1).to_bech32(),
            amount: vec![coin(amount, denom)],
        })
    };
    let err = run(&mut s, &send("11", "udeai").unwrap()).unwrap_err();
    assert_eq!(err.code, sdk::INSUFFICIENT_FUNDS);
    assert_eq!(s.balance(&addr(2), "udeai").unwrap(), 10, "nothing written");
    let err = run(&mut s, &send("1", "stake").unwrap()).unwrap_err();
    assert_eq!(
        (err.codespace, err.code),
        (MODULE_NAME, crate::ERR_SEND_DISABLED)
    );
    assert_eq!(send("0", "udeai").unwrap_err().code, sdk::INVALID_COINS);
    assert_eq!(
        send("340282366920938463463374607431768211456", "udeai")
            .unwrap_err()
            .code,
        sdk::OVERFLOW
    );
}

#[test]
fn receiving_past_u128_is_an_overflow_error() {
    let mut s = store();
    s.set_balance(&addr(2), "udeai", u128::MAX).unwrap();
    let msg = Send::try_from(pb::MsgSend {
        from_address: addr(1).to_bech32(),
        to_address: addr(2).to_bech32(),
        amount: vec![coin("1", "udeai")],
    })
    .unwrap();
    assert_eq!(run(&mut s, &msg).unwrap_err().code, sdk::OVERFLOW);
}

#[test]
fn multi_send_checks_sums_and_pays_everyone() {
    let input = |amt: &str| pb::Input {
        address: addr(1).to_bech32(),
        coins: vec![coin(amt, "udeai")],
    };
    let out = |b: u8, amt: &str| pb::Output {
        address: addr(b).to_bech32(),
        coins: vec![coin(amt, "udeai")],
    };
    let bad = MultiSend::try_from(pb::MsgMultiSend {
        inputs: vec![input("10")],
        outputs: vec![out(4, "9")],
    });
    assert_eq!(bad.unwrap_err().code, crate::ERR_INPUT_OUTPUT_MISMATCH);
    let two = MultiSend::try_from(pb::MsgMultiSend {
        inputs: vec![input("1"), input("1")],
        outputs: vec![out(4, "2")],
    });
    assert_eq!(two.unwrap_err().code, crate::ERR_MULTIPLE_SENDERS);
    let ok = MultiSend::try_from(pb::MsgMultiSend {
        inputs: vec![input("10")],
        outputs: vec![out(4, "3"), out(5, "7")],
    })
    .unwrap();
    let mut s = store();
    run(&mut s, &ok).unwrap();
    assert_eq!(s.balance(&addr(1), "udeai").unwrap(), 990);
    assert_eq!(s.balance(&addr(4), "udeai").unwrap(), 3);
    assert_eq!(s.balance(&addr(5), "udeai").unwrap(), 7);
}

#[test]
fn all_balances_query_paginates() {
    let s = store();
    let mut router = deai_framework::Router::new();
    BankModule.register(&mut router);
    let req = pb::QueryAllBalancesRequest {
        address: addr(1).to_bech32(),
        pagination: Some(
            cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest {
                limit: 1,
                count_total: true,
                ..Default::default()
            },
        ),
        resolve_denom: false,
    };
    let bytes = router
        .query(
            "/cosmos.bank.v1beta1.Query/AllBalances",
            &s,
            &Default::default(),
            &prost::Message::encode_to_vec(&req),
        )
        .unwrap();
    let res: pb::QueryAllBalancesResponse = prost::Message::decode(bytes.as_slice()).unwrap();
    assert_eq!(res.balances, vec![coin("5", "stake")]);
    let page = res.pagination.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.next_key, b"udeai".to_vec());
}

fn update_params(authority: &Address, default_send_enabled: bool) -> pb::MsgUpdateParams {
    pb::MsgUpdateParams {
        authority: authority.to_bech32(),
        params: Some(pb::Params {
            default_send_enabled,
            ..Default::default()
        }),
    }
}

#[test]
fn only_the_authority_from_genesis_updates_the_params() {
    let mut s = store();
    let by_other = UpdateParams::try_from(update_params(&addr(1), false)).unwrap();
    assert_eq!(by_other.signers(), vec![addr(1)]);
    let e = run(&mut s, &by_other).unwrap_err();
    assert_eq!((e.codespace, e.code), ("gov", 13), "{e}");
    assert!(s.bank_params().unwrap().default_send_enabled);

    let by_authority = UpdateParams::try_from(update_params(&addr(9), false)).unwrap();
    run(&mut s, &by_authority).unwrap();
    assert!(!s.bank_params().unwrap().default_send_enabled);
    assert_eq!(
        BankModule.export_genesis(&s).unwrap()["params"]["default_send_enabled"],
        false
    );
    // All params must be supplied.
    let mut m = update_params(&addr(9), true);
    m.params = None;
    assert!(UpdateParams::try_from(m).is_err());
}

#[test]
fn without_an_authority_in_genesis_it_is_the_gov_module() {
    let mut g = genesis_json();
    g.as_object_mut().unwrap().remove("authority");
    let mut s = MemStore::new();
    BankModule.init_genesis(&mut s, &g).unwrap();
    let gov = deai_framework::authority::default_authority();
    assert_eq!(
        BankModule.export_genesis(&s).unwrap()["authority"],
        gov.to_bech32()
    );
    run(
        &mut s,
        &UpdateParams::try_from(update_params(&gov, true)).unwrap(),
    )
    .unwrap();
}
