use prost::{Message, Name};
use prost_reflect::{DynamicMessage, ReflectMessage, Value};

use super::compute::v1 as c;
use super::*;

#[test]
fn type_urls_are_cosmos_style() {
    assert_eq!(
        c::MsgCreateOrder::type_url(),
        "/deai.compute.v1.MsgCreateOrder"
    );
    assert_eq!(
        c::EventOrderCreated::full_name(),
        "deai.compute.v1.EventOrderCreated"
    );
    assert_eq!(c::GenesisState::PACKAGE, "deai.compute.v1");
}

#[test]
fn the_pool_has_every_service_and_the_cosmos_imports() {
    let p = &*DESCRIPTOR_POOL;
    for s in QUERY_SERVICES {
        assert!(p.get_service_by_name(s).is_some(), "{s} missing");
    }
    let msg = p.get_service_by_name("deai.compute.v1.Msg").unwrap();
    let names: Vec<String> = msg.methods().map(|m| m.name().to_string()).collect();
    for want in [
        "CreateProvider",
        "UpdateProvider",
        "DeleteProvider",
        "SignProviderAttributes",
        "CreateOrder",
        "DepositOrder",
        "CloseOrder",
        "CreateBid",
        "CloseBid",
        "CreateLease",
        "WithdrawLease",
        "SubmitResult",
        "SubmitAudit",
        "UpdateParams",
    ] {
        assert!(names.iter().any(|n| n == want), "Msg/{want} missing");
    }
    assert!(p.get_message_by_name("cosmos.base.v1beta1.Coin").is_some());
    assert!(p
        .get_message_by_name("cosmos.base.query.v1beta1.PageRequest")
        .is_some());
}

#[test]
fn every_query_has_a_deai_get_route() {
    let p = &*DESCRIPTOR_POOL;
    let http = p.get_extension_by_name("google.api.http").unwrap();
    let q = p.get_service_by_name("deai.compute.v1.Query").unwrap();
    for m in q.methods() {
        let opts = m.options();
        assert!(opts.has_extension(&http), "{} has no http rule", m.name());
        let Value::Message(rule) = opts.get_extension(&http).into_owned() else {
            panic!("http rule of {} is not a message", m.name());
        };
        let Some(Value::String(get)) = rule.get_field_by_name("get").map(|v| v.into_owned()) else {
            panic!("{} has no GET", m.name());
        };
        assert!(get.starts_with("/deai/compute/v1/"), "{get}");
    }
}

#[test]
fn generated_types_reflect_and_share_cosmos_types() {
    let coin = cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
        denom: "udeai".into(),
        amount: "5".into(),
    };
    let m = c::MsgCreateOrder {
        owner: "deai1abc".into(),
        deposit: Some(coin),
        redundancy: 2,
        ..Default::default()
    };
    let d = m.transcode_to_dynamic();
    assert_eq!(d.descriptor().full_name(), "deai.compute.v1.MsgCreateOrder");
    let back = DynamicMessage::decode(m.descriptor(), m.encode_to_vec().as_slice()).unwrap();
    assert_eq!(back.encode_to_vec(), m.encode_to_vec());
    assert_eq!(
        c::MsgCreateOrder::decode(d.encode_to_vec().as_slice()).unwrap(),
        m
    );
}
