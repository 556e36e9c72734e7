//! A harness for compute-market tests over a real chain: parties that sign with the client
//! crate's `TxSender` (fixed gas, so that every committed tx costs the same known fee), typed
//! queries of `deai.compute.v1.Query`, and balance bookkeeping.

use std::time::Duration;

use cosmos_sdk_proto::Any;
use deai_client::keys::AccountKey;
use deai_client::rpc::TxResponse;
use deai_client::sender::{GasSetting, SendOptions, TxSender};
use deai_client::txbuilder::to_any;
use deai_framework::Address;
use deai_proto::compute::v1 as pb;

use crate::{balance, rt, Localnet};

/// Gas limit of every tx a [`Party`] sends: enough for any compute message.
pub const GAS: u64 = 600_000;
/// Its fee at the default gas price (0.025udeai).
pub const FEE: u128 = 15_000;

/// An account that signs compute messages and counts the fees it paid.
pub struct Party {
    pub key: AccountKey,
    sender: TxSender,
    /// Committed txs (each paid [`FEE`], whether its messages succeeded or failed).
    pub committed: u128,
}

/// What a committed tx answered.
#[derive(Debug)]
pub struct Outcome {
    pub codespace: String,
    pub code: u32,
    pub log: String,
    pub resp: TxResponse,
}

impl Outcome {
    pub fn ok(&self) -> &Self {
        assert_eq!(
            self.code, 0,
            "tx failed: {} ({} {})",
            self.log, self.codespace, self.code
        );
        self
    }

    /// Asserts a compute error code.
    pub fn compute_code(&self, code: u32) {
        assert_eq!(
            (self.codespace.as_str(), self.code),
            ("compute", code),
            "expected compute code {code}, got: {}",
            self.log
        );
    }

    /// The typed events of type `T` the tx emitted.
    pub fn events<T: prost_reflect::ReflectMessage + Default + prost::Name>(&self) -> Vec<T> {
        typed_events(&self.resp.events)
    }
}

/// Decodes the typed events of type `T` from a committed tx's events JSON.
pub fn typed_events<T: prost_reflect::ReflectMessage + Default + prost::Name>(
    events: &serde_json::Value,
) -> Vec<T> {
    let full = T::full_name();
    let mut out = Vec::new();
    for e in events.as_array().into_iter().flatten() {
        if e["type"] != full.as_str() {
            continue;
        }
        let attrs = e["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["key"] != "msg_index")
            .map(|a| {
                (
                    a["key"].as_str().unwrap_or_default().to_string(),
                    a["value"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let event = deai_framework::Event {
            kind: full.clone(),
            attributes: attrs,
        };
        out.push(deai_framework::parse_typed_event(&event).expect("typed event decodes"));
    }
    out
}

impl Party {
    pub fn new(net: &Localnet, key: AccountKey) -> Self {
        let opts = SendOptions {
            gas: GasSetting::Fixed(GAS),
            ..Default::default()
        };
        let mut sender = rt()
            .block_on(TxSender::new(net.client(0), key.clone(), opts))
            .expect("the party's account exists");
        sender.set_wait_timeout(Duration::from_secs(60));
        Self {
            key,
            sender,
            committed: 0,
        }
    }

    pub fn address(&self) -> Address {
        self.key.address()
    }

    pub fn bech32(&self) -> String {
        self.key.address().to_bech32()
    }

    /// Sends one message and waits for its block.
    pub fn send<M: prost::Message + prost::Name>(&mut self, msg: M) -> Outcome {
        self.send_all(vec![to_any(&msg)])
    }

    pub fn send_all(&mut self, msgs: Vec<Any>) -> Outcome {
        let resp = rt()
            .block_on(self.sender.send_and_wait(msgs))
            .expect("CheckTx accepts and the tx commits");
        self.committed += 1;
        Outcome {
            codespace: resp.codespace.clone(),
            code: resp.code,
            log: resp.raw_log.clone(),
            resp,
        }
    }

    /// Broadcasts one message without waiting for its block (CheckTx's answer).
    pub fn broadcast<M: prost::Message + prost::Name>(&mut self, msg: M) -> TxResponse {
        let resp = rt()
            .block_on(self.sender.broadcast(vec![to_any(&msg)]))
            .expect("the node answers");
        assert_eq!(resp.code, 0, "CheckTx: {}", resp.raw_log);
        self.committed += 1;
        resp
    }

    /// Waits for a tx [`Party::broadcast`] sent.
    pub fn wait(&self, resp: TxResponse) -> Outcome {
        let resp = rt()
            .block_on(self.sender.wait_committed(resp))
            .expect("the tx commits");
        Outcome {
            codespace: resp.codespace.clone(),
            code: resp.code,
            log: resp.raw_log.clone(),
            resp,
        }
    }

    /// The fees this party paid so far.
    pub fn fees(&self) -> u128 {
        self.committed * FEE
    }
}

/// `funder` sends `amount` udeai to `to`.
pub fn fund(funder: &mut Party, to: &Address, amount: u128) {
    let from_address = funder.bech32();
    funder
        .send(cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend {
            from_address,
            to_address: to.to_bech32(),
            amount: vec![deai_client::coin("udeai", amount)],
        })
        .ok();
}

/// A fresh account funded with `amount` udeai by `funder`.
pub fn funded_party(net: &Localnet, funder: &mut Party, seed: u8, amount: u128) -> Party {
    let key = AccountKey::from_bytes(&[seed; 32]).expect("a valid secret");
    fund(funder, &key.address(), amount);
    Party::new(net, key)
}

/// Calls a `deai.compute.v1.Query` method on node 0.
pub fn query<Req: prost::Message, Res: prost::Message + Default>(
    net: &Localnet,
    method: &str,
    req: &Req,
) -> Res {
    crate::query_service(net, "deai.compute.v1.Query", method, req)
}

pub fn order(net: &Localnet, id: u64) -> pb::Order {
    let r: pb::QueryOrderResponse = query(net, "Order", &pb::QueryOrderRequest { id });
    r.order.expect("order")
}

pub fn leases_of(net: &Localnet, order_id: u64) -> Vec<pb::Lease> {
    let r: pb::QueryLeasesResponse = query(
        net,
        "LeasesByOrder",
        &pb::QueryLeasesByOrderRequest {
            order_id,
            pagination: None,
        },
    );
    r.leases
}

pub fn escrow(net: &Localnet, order_id: u64) -> pb::EscrowAccount {
    let r: pb::QueryEscrowAccountResponse = query(
        net,
        "EscrowAccount",
        &pb::QueryEscrowAccountRequest { order_id },
    );
    r.account.expect("escrow account")
}

pub fn provider(net: &Localnet, owner: &Address) -> pb::Provider {
    let r: pb::QueryProviderResponse = query(
        net,
        "Provider",
        &pb::QueryProviderRequest {
            owner: owner.to_bech32(),
        },
    );
    r.provider.expect("provider")
}

pub fn audits_of(net: &Localnet, order_id: u64) -> Vec<pb::Audit> {
    let r: pb::QueryAuditsResponse = query(
        net,
        "Audits",
        &pb::QueryAuditsRequest {
            order_id,
            ..Default::default()
        },
    );
    r.audits
}

pub fn params(net: &Localnet) -> pb::Params {
    let r: pb::QueryParamsResponse = query(net, "Params", &pb::QueryParamsRequest {});
    r.params.expect("params")
}

/// The udeai amount of a proto coin.
pub fn amount(c: &Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin>) -> u128 {
    c.as_ref()
        .map_or(0, |c| c.amount.parse().expect("an integer amount"))
}

/// The udeai balance of the community pool's module account.
pub fn community_pool(net: &Localnet) -> u128 {
    balance(net, 0, &deai_auth::module_address("community_pool"))
}

pub fn udeai(amount: u128) -> Option<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
    Some(deai_client::coin("udeai", amount))
}

/// Waits until the chain is past `height`.
pub fn wait_past(net: &Localnet, height: u64) {
    net.wait_height(0, height + 1, Duration::from_secs(120));
}

/// A committed tx as the tx index shows it.
#[derive(Clone, Debug)]
pub struct PaidTx {
    pub codespace: String,
    pub code: u32,
    pub log: String,
    /// Its fee in udeai.
    pub fee: u128,
}

/// Every committed tx `payer` paid for, from the node's tx index (`tx.fee_payer`).
pub fn txs_paid_by(net: &Localnet, payer: &Address) -> Vec<PaidTx> {
    use deai_rpc::HttpClient;
    use tendermint_rpc::{Client, Order};
    let http = HttpClient::new(net.rpc(0).as_str()).unwrap();
    let query: tendermint_rpc::query::Query = format!("tx.fee_payer='{}'", payer.to_bech32())
        .parse()
        .unwrap();
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let r = rt()
            .block_on(http.tx_search(query.clone(), false, page, 100, Order::Ascending))
            .expect("tx_search");
        for tx in &r.txs {
            let mut fee = 0u128;
            for e in tx.tx_result.events.iter().filter(|e| e.kind == "tx") {
                for a in &e.attributes {
                    if a.key_str().ok() == Some("fee") {
                        let v = a.value_str().unwrap_or_default();
                        let digits: String = v.chars().take_while(|c| c.is_ascii_digit()).collect();
                        if !digits.is_empty() {
                            assert!(v.ends_with("udeai"), "fee {v}");
                            fee += digits.parse::<u128>().unwrap();
                        }
                    }
                }
            }
            out.push(PaidTx {
                codespace: tx.tx_result.codespace.clone(),
                code: tx.tx_result.code.value(),
                log: tx.tx_result.log.clone(),
                fee,
            });
        }
        if (page as u32) * 100 >= r.total_count {
            return out;
        }
        page += 1;
    }
}

/// Every fee `payer` paid in committed txs.
pub fn fees_paid(net: &Localnet, payer: &Address) -> u128 {
    txs_paid_by(net, payer).iter().map(|t| t.fee).sum()
}

/// Polls order `id` until `done` holds of it (panics with `context()` after `timeout`).
pub fn wait_order(
    net: &Localnet,
    id: u64,
    timeout: Duration,
    done: impl Fn(&pb::Order) -> bool,
    context: impl Fn() -> String,
) -> pb::Order {
    let start = std::time::Instant::now();
    loop {
        let o = order(net, id);
        if done(&o) {
            return o;
        }
        assert!(
            start.elapsed() < timeout,
            "order {id} still in state {} after {timeout:?}\n{}",
            o.state,
            context()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}
