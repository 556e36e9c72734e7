//! cosmrs, a Cosmos client no one here wrote, builds and signs a MsgSend (SIGN_MODE_DIRECT,
//! secp256k1 key from a BIP39 mnemonic at the Cosmos HD path), broadcasts it through gRPC
//! BroadcastTx and reads it back with GetTx.

use std::time::{Duration, Instant};

use cosmos_sdk_proto::cosmos::tx::v1beta1::{self as txpb, service_client::ServiceClient};
use cosmrs::bank::MsgSend;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::tx::{self, Fee, Msg, SignDoc, SignerInfo};
use cosmrs::{AccountId, Coin};
use deai_e2e::{account_of, balance, rt, Localnet};

#[test]
fn a_cosmrs_tx_broadcast_over_grpc_is_found_by_get_tx() {
    let net = Localnet::start(1, 28520);
    let mnemonic = bip32::Mnemonic::new(net.demo_mnemonic(0), bip32::Language::English).unwrap();
    let seed = mnemonic.to_seed("");
    let path: bip32::DerivationPath = "m/44'/118'/0'/0/0".parse().unwrap();
    let key = SigningKey::derive_from_path(seed, &path).unwrap();
    let from: AccountId = key.public_key().account_id("deai").unwrap();
    assert_eq!(
        from.to_string(),
        net.info["accounts"][0]["address"].as_str().unwrap()
    );
    let to: AccountId = net.info["accounts"][2]["address"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let to_addr = net.demo_key(2).address();
    let to_before = balance(&net, 0, &to_addr);

    let (account_number, sequence) = account_of(&net, 0, &net.demo_key(0));
    let amount = Coin {
        denom: "udeai".parse().unwrap(),
        amount: 4242,
    };
    let msg = MsgSend {
        from_address: from.clone(),
        to_address: to,
        amount: vec![amount],
    }
    .to_any()
    .unwrap();
    let body = tx::Body::new(vec![msg], "sent by cosmrs", 0u32);
    let fee = Fee::from_amount_and_gas(
        Coin {
            denom: "udeai".parse().unwrap(),
            amount: 5000,
        },
        200_000u64,
    );
    let auth_info = SignerInfo::single_direct(Some(key.public_key()), sequence).auth_info(fee);
    let chain_id: cosmrs::tendermint::chain::Id = net.chain_id().parse().unwrap();
    let sign_doc = SignDoc::new(&body, &auth_info, &chain_id, account_number).unwrap();
    let raw = sign_doc.sign(&key).unwrap();
    let tx_bytes = raw.to_bytes().unwrap();

    rt().block_on(async {
        let mut client = ServiceClient::connect(net.grpc_url(0)).await.unwrap();
        let res = client
            .broadcast_tx(txpb::BroadcastTxRequest {
                tx_bytes,
                mode: txpb::BroadcastMode::Sync as i32,
            })
            .await
            .unwrap()
            .into_inner()
            .tx_response
            .unwrap();
        assert_eq!(
            res.code, 0,
            "CheckTx refused the cosmrs tx: {}",
            res.raw_log
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let got = loop {
            match client
                .get_tx(txpb::GetTxRequest {
                    hash: res.txhash.clone(),
                })
                .await
            {
                Ok(r) => break r.into_inner(),
                Err(s) if s.code() == tonic::Code::NotFound && Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await
                }
                Err(s) => panic!("GetTx: {s:?}"),
            }
        };
        let tr = got.tx_response.unwrap();
        assert_eq!(tr.code, 0, "{}", tr.raw_log);
        assert!(tr.gas_used > 0 && tr.gas_used <= 200_000);
        assert!(!tr.timestamp.is_empty());
        // Decoded back by cosmrs itself.
        let any = tr.tx.unwrap();
        let decoded = cosmrs::Tx::from_bytes(&{
            let t =
                cosmos_sdk_proto::cosmos::tx::v1beta1::Tx::decode(any.value.as_slice()).unwrap();
            cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw {
                body_bytes: t.body.unwrap().encode_to_vec(),
                auth_info_bytes: t.auth_info.unwrap().encode_to_vec(),
                signatures: t.signatures,
            }
            .encode_to_vec()
        })
        .unwrap();
        assert_eq!(decoded.body.memo, "sent by cosmrs");
        let send = MsgSend::from_any(&decoded.body.messages[0]).unwrap();
        assert_eq!(send.from_address, from);
        assert_eq!(send.amount[0].amount, 4242);
    });
    assert_eq!(balance(&net, 0, &to_addr), to_before + 4242);
}

use prost::Message as _;
