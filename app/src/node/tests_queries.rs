//! Queries at past heights and with proofs, Simulate, and decoder fuzzing (split from
//! tests.rs, whose fixtures they use).

use super::*;

#[test]
fn queries_answer_on_grpc_paths_at_past_heights_and_with_proofs() {
    use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
    let (a, b) = (key(1), key(2));
    let mut c = Chain::new(&[(&a, 1_000_000)]);
    c.block(vec![sign_tx(
        &a,
        vec![send(&a, &b.address(), 7)],
        &params(0, 0),
    )]);
    c.block(vec![sign_tx(
        &a,
        vec![send(&a, &b.address(), 8)],
        &params(0, 1),
    )]);
    let q = |height: i64| {
        let r = c.app.query(pb::RequestQuery {
            path: "/cosmos.bank.v1beta1.Query/Balance".into(),
            data: Bytes::from(
                QueryBalanceRequest {
                    address: b.address().to_bech32(),
                    denom: "udeai".into(),
                }
                .encode_to_vec(),
            ),
            height,
            prove: false,
        });
        assert_eq!(r.code, 0, "{}", r.log);
        QueryBalanceResponse::decode(r.value.as_ref())
            .unwrap()
            .balance
            .unwrap()
            .amount
    };
    assert_eq!(q(0), "15");
    assert_eq!(q(1), "7");
    assert_eq!(q(2), "15");
    let bad = c.app.query(pb::RequestQuery {
        path: "/cosmos.bank.v1beta1.Query/Balance".into(),
        data: Bytes::from(
            QueryBalanceRequest {
                address: "nope".into(),
                denom: "udeai".into(),
            }
            .encode_to_vec(),
        ),
        ..Default::default()
    });
    assert_eq!(bad.code, sdk::INVALID_ADDRESS);
    let proof = c.app.query(pb::RequestQuery {
        path: "store/bank/key".into(),
        data: Bytes::from(
            c.app
                .storage()
                .latest()
                .balance(&b.address(), "udeai")
                .map(|_| {
                    let full = deai_bank::state_key::balance(&b.address(), "udeai");
                    full["bank/".len()..].to_vec()
                })
                .unwrap(),
        ),
        height: 2,
        prove: true,
    });
    assert_eq!(proof.code, 0, "{}", proof.log);
    let op = &proof.proof_ops.unwrap().ops[0];
    let cp = ics23::CommitmentProof::decode(op.data.as_slice()).unwrap();
    let root = c.app.storage().root_hash(2).unwrap().0.to_vec();
    assert!(ics23::verify_membership::<ics23::HostFunctionsManager>(
        &cp,
        &jmt::ics23_spec(),
        &root,
        &proof.key,
        &proof.value
    ));
    assert_eq!(
        u128::from_be_bytes(proof.value.as_ref().try_into().unwrap()),
        15
    );
}

#[test]
fn simulate_reports_gas_without_a_signature() {
    let (a, b) = (key(1), key(2));
    let c = Chain::new(&[(&a, 1_000_000)]);
    let used = simulated_gas(&c, &a, &b.address());
    assert!(used > 10_000 && used < 200_000, "{used}");
    assert_eq!(c.balance(&b.address()), 0, "simulate writes nothing");
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// A vm for decoding only: its cache directory is created on first use, never here.
    fn unused_vm() -> deai_wasm::vm::WasmVm {
        crate::node::wasm_vm(std::env::temp_dir().join("deai-decode-only-wasm"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        // Arbitrary bytes never panic the decoder; they are rejected with a code.
        #[test]
        fn arbitrary_bytes_decode_to_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut router = deai_framework::Router::new();
            for m in modules(&unused_vm()) { m.register(&mut router); }
            if let Err(e) = crate::tx::decode_tx(&router, &bytes, false) {
                prop_assert!(e.code != 0);
            }
        }

        // Mutating a valid tx anywhere yields a clean rejection or a still-valid tx.
        #[test]
        fn mutated_txs_never_panic(pos in 0usize..400, byte in any::<u8>()) {
            let a = key(1);
            let mut tx = sign_tx(&a, vec![send(&a, &key(2).address(), 1)], &params(0, 0));
            let i = pos % tx.len();
            tx[i] = byte;
            let mut router = deai_framework::Router::new();
            for m in modules(&unused_vm()) { m.register(&mut router); }
            let _ = crate::tx::decode_tx(&router, &tx, false);
        }
    }
}
