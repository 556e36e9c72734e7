//! The gRPC server: bank and auth queries (one implementation with ABCI), queries at a past
//! height via `x-cosmos-block-height`, pagination, gRPC status codes for bad input, the tx
//! service (BroadcastTx, GetTx, GetTxsEvent, Simulate), and the tendermint and node
//! services. (Reflection: grpcurl_lists_services_and_calls_balance.rs.)

use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::auth::v1beta1::{
    self as auth, query_client::QueryClient as AuthClient,
};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{
    self as bank, query_client::QueryClient as BankClient,
};
use cosmos_sdk_proto::cosmos::base::node::v1beta1::{
    self as nodepb, service_client::ServiceClient as NodeClient,
};
use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::tendermint::v1beta1::{
    self as tm, service_client::ServiceClient as TmClient,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    self as txpb, service_client::ServiceClient as TxClient,
};
use deai_e2e::{account_of, rt, signed_send, Localnet};
use prost::Message;
use tonic::Code;

fn at_height<T>(msg: T, height: u64) -> tonic::Request<T> {
    let mut r = tonic::Request::new(msg);
    r.metadata_mut()
        .insert("x-cosmos-block-height", height.to_string().parse().unwrap());
    r
}

#[test]
fn grpc_answers_queries_at_past_heights_with_cosmos_status_codes() {
    let net = Localnet::start(1, 28510);
    let alice = net.demo_key(0);
    let bob = net.demo_key(1).address();
    let url = net.grpc_url(0);
    let (num, seq) = account_of(&net, 0, &alice);
    rt().block_on(async {
        let mut bank = BankClient::connect(url.clone()).await.unwrap();
        let mut auth = AuthClient::connect(url.clone()).await.unwrap();
        let mut txs = TxClient::connect(url.clone()).await.unwrap();

        let balance_of = |addr: String| bank::QueryBalanceRequest { address: addr, denom: "udeai".into() };
        let before = bank.balance(balance_of(bob.to_bech32())).await.unwrap();
        let h_before: u64 = before.metadata().get("x-cosmos-block-height").unwrap().to_str().unwrap().parse().unwrap();
        let bob_before: u128 = before.into_inner().balance.unwrap().amount.parse().unwrap();

        // Broadcast over gRPC, then wait for GetTx to find it.
        let tx = signed_send(&alice, &net.chain_id(), num, seq, &bob, 777);
        let sim = txs
            .simulate(txpb::SimulateRequest { tx_bytes: tx.clone(), ..Default::default() })
            .await
            .unwrap()
            .into_inner();
        assert!(sim.gas_info.unwrap().gas_used > 0);
        let res = txs
            .broadcast_tx(txpb::BroadcastTxRequest { tx_bytes: tx, mode: txpb::BroadcastMode::Sync as i32 })
            .await
            .unwrap()
            .into_inner()
            .tx_response
            .unwrap();
        assert_eq!(res.code, 0, "{}", res.raw_log);
        let deadline = Instant::now() + Duration::from_secs(30);
        let got = loop {
            match txs.get_tx(txpb::GetTxRequest { hash: res.txhash.clone() }).await {
                Ok(r) => break r.into_inner(),
                Err(s) => {
                    assert_eq!(s.code(), Code::NotFound, "{s:?}");
                    assert!(Instant::now() < deadline, "tx not committed in 30s");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        };
        let tr = got.tx_response.unwrap();
        assert_eq!((tr.code, tr.txhash.as_str()), (0, res.txhash.as_str()));
        assert!(tr.height as u64 > h_before);
        assert!(tr.events.iter().any(|e| e.r#type == "coin_received"));
        assert_eq!(got.tx.unwrap().body.unwrap().messages[0].type_url, "/cosmos.bank.v1beta1.MsgSend");

        // The balance moved; at the earlier height it did not.
        let now: u128 = bank.balance(balance_of(bob.to_bech32())).await.unwrap().into_inner().balance.unwrap().amount.parse().unwrap();
        assert_eq!(now, bob_before + 777);
        let then = bank.balance(at_height(balance_of(bob.to_bech32()), h_before)).await.unwrap();
        assert_eq!(then.metadata().get("x-cosmos-block-height").unwrap().to_str().unwrap(), h_before.to_string());
        assert_eq!(then.into_inner().balance.unwrap().amount, bob_before.to_string());
        let future = bank.balance(at_height(balance_of(bob.to_bech32()), 1_000_000)).await.unwrap_err();
        assert_eq!(future.code(), Code::InvalidArgument);
        let mut bad_height = tonic::Request::new(balance_of(bob.to_bech32()));
        bad_height.metadata_mut().insert("x-cosmos-block-height", "-3".parse().unwrap());
        assert_eq!(bank.balance(bad_height).await.unwrap_err().code(), Code::InvalidArgument);

        // GetTxsEvent by sender finds it.
        let found = txs
            .get_txs_event(txpb::GetTxsEventRequest {
                query: format!("message.sender='{}'", alice.address().to_bech32()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        assert!(found.tx_responses.iter().any(|t| t.txhash == res.txhash));
        assert!(found.total >= 1);
        let empty = txs.get_txs_event(txpb::GetTxsEventRequest::default()).await.unwrap_err();
        assert_eq!(empty.code(), Code::InvalidArgument);

        // Errors as status codes.
        let bad = bank.balance(balance_of("deai1notanaddress".into())).await.unwrap_err();
        assert_eq!(bad.code(), Code::InvalidArgument, "{bad:?}");
        let fresh = deai_client::keys::AccountKey::from_mnemonic(
            "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
        )
        .unwrap()
        .address()
        .to_bech32();
        let nf = auth.account(auth::QueryAccountRequest { address: fresh }).await.unwrap_err();
        assert_eq!(nf.code(), Code::NotFound, "{nf:?}");
        let unknown_tx = txs.get_tx(txpb::GetTxRequest { hash: "00".repeat(32) }).await.unwrap_err();
        assert_eq!(unknown_tx.code(), Code::NotFound);
        let bad_tx = txs.get_tx(txpb::GetTxRequest { hash: "xyz".into() }).await.unwrap_err();
        assert_eq!(bad_tx.code(), Code::InvalidArgument);

        // Auth: the account is a BaseAccount with the sequence the tx moved.
        let acc = auth
            .account(auth::QueryAccountRequest { address: alice.address().to_bech32() })
            .await
            .unwrap()
            .into_inner()
            .account
            .unwrap();
        assert_eq!(acc.type_url, "/cosmos.auth.v1beta1.BaseAccount");
        assert_eq!(auth::BaseAccount::decode(acc.value.as_slice()).unwrap().sequence, seq + 1);
        let prefix = auth.bech32_prefix(auth::Bech32PrefixRequest {}).await.unwrap().into_inner();
        assert_eq!(prefix.bech32_prefix, "deai");

        // Pagination: one balance per page of the genesis accounts, with a total.
        let page = auth
            .accounts(auth::QueryAccountsRequest {
                pagination: Some(PageRequest { limit: 1, count_total: true, ..Default::default() }),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.accounts.len(), 1);
        let p = page.pagination.unwrap();
        assert!(p.total >= 3 && !p.next_key.is_empty(), "{p:?}");

        // Tendermint and node services.
        let mut tmc = TmClient::connect(url.clone()).await.unwrap();
        let latest = tmc.get_latest_block(tm::GetLatestBlockRequest {}).await.unwrap().into_inner();
        let header = latest.sdk_block.unwrap().header.unwrap();
        assert_eq!(header.chain_id, net.chain_id());
        assert!(header.proposer_address.starts_with("deaivalcons1"));
        let info = tmc.get_node_info(tm::GetNodeInfoRequest {}).await.unwrap().into_inner();
        assert_eq!(info.default_node_info.unwrap().network, net.chain_id());
        let vals = tmc.get_latest_validator_set(tm::GetLatestValidatorSetRequest { pagination: None }).await.unwrap().into_inner();
        assert_eq!(vals.validators.len(), 1);
        let block = tmc.get_block_by_height(tm::GetBlockByHeightRequest { height: tr.height }).await.unwrap().into_inner();
        assert_eq!(block.block.unwrap().data.unwrap().txs.len(), 1);
        let q = tmc
            .abci_query(tm::AbciQueryRequest {
                path: "/cosmos.bank.v1beta1.Query/Balance".into(),
                data: balance_of(bob.to_bech32()).encode_to_vec(),
                height: 0,
                prove: false,
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(bank::QueryBalanceResponse::decode(q.value.as_slice()).unwrap().balance.unwrap().amount, now.to_string());
        let mut node = NodeClient::connect(url.clone()).await.unwrap();
        assert_eq!(node.config(nodepb::ConfigRequest {}).await.unwrap().into_inner().minimum_gas_price, "0.025udeai");
        assert!(node.status(nodepb::StatusRequest {}).await.unwrap().into_inner().height > 0);
    });
}
