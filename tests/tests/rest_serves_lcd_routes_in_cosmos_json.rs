//! The LCD REST server, called with curl: Cosmos SDK routes, proto3 JSON shapes (proto field
//! names, 64-bit integers as strings, `@type` on Any), broadcast and simulate by POST, and
//! errors as {"code","message","details":[]} with grpc-gateway's HTTP statuses.

use base64::Engine;
use deai_e2e::{account_of, curl_json, signed_send, Localnet};

#[test]
fn rest_serves_lcd_routes_in_cosmos_json() {
    let net = Localnet::start(1, 28530);
    let rest = net.rest_url(0);
    let alice = net.demo_key(0);
    let a = alice.address().to_bech32();
    let bob = net.demo_key(1).address();

    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/bank/v1beta1/balances/{a}"),
        None,
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["balances"][0]["denom"], "udeai");
    assert!(
        v["balances"][0]["amount"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
            > 0
    );
    assert!(v["pagination"]["total"].is_string(), "{v}");

    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/bank/v1beta1/balances/{a}/by_denom?denom=udeai"),
        None,
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["balance"]["denom"], "udeai");

    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/auth/v1beta1/accounts/{a}"),
        None,
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["account"]["@type"], "/cosmos.auth.v1beta1.BaseAccount");
    assert_eq!(v["account"]["address"], a.as_str());
    assert!(
        v["account"]["account_number"].is_string() && v["account"]["sequence"].is_string(),
        "{v}"
    );

    let (s, v) = curl_json(
        "GET",
        &format!(
            "{rest}/cosmos/auth/v1beta1/accounts?pagination.limit=2&pagination.count_total=true"
        ),
        None,
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["accounts"].as_array().unwrap().len(), 2);

    // Errors in the LCD shape.
    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/bank/v1beta1/balances/deai1bad"),
        None,
        &[],
    );
    assert_eq!(s, 400);
    assert_eq!(v["code"], 3);
    assert!(
        v["message"].as_str().unwrap().contains("invalid address"),
        "{v}"
    );
    assert_eq!(v["details"], serde_json::json!([]));
    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/tx/v1beta1/txs/{}", "AB".repeat(32)),
        None,
        &[],
    );
    assert_eq!((s, v["code"].as_i64()), (404, Some(5)), "{v}");
    let (s, _) = curl_json("GET", &format!("{rest}/cosmos/nothing/here"), None, &[]);
    assert_eq!(s, 404);
    let (s, v) = curl_json(
        "POST",
        &format!("{rest}/cosmos/tx/v1beta1/txs"),
        Some("{not json"),
        &[],
    );
    assert_eq!((s, v["code"].as_i64()), (400, Some(3)), "{v}");

    // Simulate, then broadcast, by POST with base64 tx bytes.
    let (num, seq) = account_of(&net, 0, &alice);
    let tx = signed_send(&alice, &net.chain_id(), num, seq, &bob, 99);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&tx);
    let (s, v) = curl_json(
        "POST",
        &format!("{rest}/cosmos/tx/v1beta1/simulate"),
        Some(&format!(r#"{{"tx_bytes":"{b64}"}}"#)),
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert!(
        v["gas_info"]["gas_used"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0,
        "{v}"
    );
    let (s, v) = curl_json(
        "POST",
        &format!("{rest}/cosmos/tx/v1beta1/txs"),
        Some(&format!(
            r#"{{"tx_bytes":"{b64}","mode":"BROADCAST_MODE_SYNC"}}"#
        )),
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tx_response"]["code"], 0, "{v}");
    let hash = v["tx_response"]["txhash"].as_str().unwrap().to_string();
    let r = deai_e2e::rt()
        .block_on(
            net.client(0)
                .wait_tx(&hash, std::time::Duration::from_secs(30)),
        )
        .unwrap();
    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/tx/v1beta1/txs/{hash}"),
        None,
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["tx_response"]["height"], r.height.as_str());
    assert_eq!(
        v["tx"]["body"]["messages"][0]["@type"],
        "/cosmos.bank.v1beta1.MsgSend"
    );
    assert_eq!(v["tx"]["body"]["messages"][0]["amount"][0]["amount"], "99");
    assert_eq!(
        v["tx"]["auth_info"]["signer_infos"][0]["public_key"]["@type"],
        "/cosmos.crypto.secp256k1.PubKey"
    );

    // GetTxsEvent over REST, by sender.
    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/tx/v1beta1/txs?query=message.sender%3D%27{a}%27"),
        None,
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert!(
        v["tx_responses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["txhash"] == hash.as_str()),
        "{v}"
    );

    // A query at the height before the tx still shows the old balance.
    let before = (r.height.parse::<u64>().unwrap() - 1).to_string();
    let (s, old) = curl_json(
        "GET",
        &format!(
            "{rest}/cosmos/bank/v1beta1/balances/{}/by_denom?denom=udeai",
            bob.to_bech32()
        ),
        None,
        &[&format!("x-cosmos-block-height: {before}")],
    );
    let (_, new) = curl_json(
        "GET",
        &format!(
            "{rest}/cosmos/bank/v1beta1/balances/{}/by_denom?denom=udeai",
            bob.to_bech32()
        ),
        None,
        &[],
    );
    assert_eq!(s, 200);
    let amt = |v: &serde_json::Value| {
        v["balance"]["amount"]
            .as_str()
            .unwrap()
            .parse::<u128>()
            .unwrap()
    };
    assert_eq!(amt(&new), amt(&old) + 99);

    // Tendermint routes.
    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/base/tendermint/v1beta1/blocks/latest"),
        None,
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["block"]["header"]["chain_id"], net.chain_id());
    assert!(v["sdk_block"]["header"]["proposer_address"]
        .as_str()
        .unwrap()
        .starts_with("deaivalcons1"));
    let (s, v) = curl_json(
        "GET",
        &format!("{rest}/cosmos/base/tendermint/v1beta1/node_info"),
        None,
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["default_node_info"]["network"], net.chain_id());
    assert_eq!(v["application_version"]["app_name"], "deaid");

    // Legacy amino: the SDK's own StdTx vector, JSON to binary and back.
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../../app/src/tx/testdata/amino_vectors.json")).unwrap();
    let (json, bin) = (
        vectors[0]["amino_json"].as_str().unwrap(),
        hex::decode(vectors[0]["amino_binary_hex"].as_str().unwrap()).unwrap(),
    );
    let b64 = |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b);
    let (s, v) = curl_json(
        "POST",
        &format!("{rest}/cosmos/tx/v1beta1/encode/amino"),
        Some(&serde_json::json!({ "amino_json": json }).to_string()),
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["amino_binary"], b64(&bin));
    let (s, v) = curl_json(
        "POST",
        &format!("{rest}/cosmos/tx/v1beta1/decode/amino"),
        Some(&serde_json::json!({ "amino_binary": b64(&bin) }).to_string()),
        &[],
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["amino_json"], json);
    let (s, v) = curl_json(
        "POST",
        &format!("{rest}/cosmos/tx/v1beta1/decode/amino"),
        Some(&serde_json::json!({ "amino_binary": b64(&bin[..bin.len() - 3]) }).to_string()),
        &[],
    );
    assert_eq!(s, 400, "a truncated tx: {v}");
}
