//! bank's gRPC queries. One implementation, served over ABCI query, gRPC and REST.

use cosmos_sdk_proto::cosmos::bank::v1beta1 as pb;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_framework::coins::validate_denom;
use deai_framework::pagination::paginate;
use deai_framework::query::parse_address as parse;
use deai_framework::{sdk, Coin, Router, StateRead, TxError};

use crate::keeper::BankRead;
use crate::state_key;

pub fn register(router: &mut Router) {
    router.add_query("/cosmos.bank.v1beta1.Query/Balance", balance);
    router.add_query("/cosmos.bank.v1beta1.Query/AllBalances", all_balances);
    router.add_query(
        "/cosmos.bank.v1beta1.Query/SpendableBalances",
        spendable_balances,
    );
    router.add_query(
        "/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom",
        spendable_by_denom,
    );
    router.add_query("/cosmos.bank.v1beta1.Query/TotalSupply", total_supply);
    router.add_query("/cosmos.bank.v1beta1.Query/SupplyOf", supply_of);
    router.add_query("/cosmos.bank.v1beta1.Query/Params", params);
    router.add_query("/cosmos.bank.v1beta1.Query/DenomMetadata", denom_metadata);
    router.add_query("/cosmos.bank.v1beta1.Query/DenomsMetadata", denoms_metadata);
    router.add_query("/cosmos.bank.v1beta1.Query/SendEnabled", send_enabled);
}

fn coin(denom: &str, amount: u128) -> ProtoCoin {
    ProtoCoin {
        denom: denom.to_string(),
        amount: amount.to_string(),
    }
}

fn decode_amount(v: &[u8]) -> Result<u128, TxError> {
    let arr: [u8; 16] = v.try_into().map_err(|_| sdk::internal("corrupt amount"))?;
    Ok(u128::from_be_bytes(arr))
}

fn denom_of(rel_key: Vec<u8>) -> Result<String, TxError> {
    String::from_utf8(rel_key).map_err(|_| sdk::internal("corrupt denom key"))
}

fn balance(
    state: &dyn StateRead,
    req: pb::QueryBalanceRequest,
) -> Result<pb::QueryBalanceResponse, TxError> {
    let addr = parse(&req.address)?;
    validate_denom(&req.denom)?;
    Ok(pb::QueryBalanceResponse {
        balance: Some(coin(&req.denom, state.balance(&addr, &req.denom)?)),
    })
}

fn balances_page(
    state: &dyn StateRead,
    address: &str,
    page: Option<cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest>,
) -> Result<
    (
        Vec<ProtoCoin>,
        cosmos_sdk_proto::cosmos::base::query::v1beta1::PageResponse,
    ),
    TxError,
> {
    let addr = parse(address)?;
    let (entries, page) = paginate(state, &state_key::balances_of(&addr), page)?;
    let coins = entries
        .into_iter()
        .map(|(k, v)| Ok(coin(&denom_of(k)?, decode_amount(&v)?)))
        .collect::<Result<_, TxError>>()?;
    Ok((coins, page))
}

fn all_balances(
    state: &dyn StateRead,
    req: pb::QueryAllBalancesRequest,
) -> Result<pb::QueryAllBalancesResponse, TxError> {
    let (balances, page) = balances_page(state, &req.address, req.pagination)?;
    Ok(pb::QueryAllBalancesResponse {
        balances,
        pagination: Some(page),
    })
}

/// deai has no vesting or locked coins yet, so every coin is spendable.
fn spendable_balances(
    state: &dyn StateRead,
    req: pb::QuerySpendableBalancesRequest,
) -> Result<pb::QuerySpendableBalancesResponse, TxError> {
    let (balances, page) = balances_page(state, &req.address, req.pagination)?;
    Ok(pb::QuerySpendableBalancesResponse {
        balances,
        pagination: Some(page),
    })
}

fn spendable_by_denom(
    state: &dyn StateRead,
    req: pb::QuerySpendableBalanceByDenomRequest,
) -> Result<pb::QuerySpendableBalanceByDenomResponse, TxError> {
    let addr = parse(&req.address)?;
    validate_denom(&req.denom)?;
    Ok(pb::QuerySpendableBalanceByDenomResponse {
        balance: Some(coin(&req.denom, state.balance(&addr, &req.denom)?)),
    })
}

fn total_supply(
    state: &dyn StateRead,
    req: pb::QueryTotalSupplyRequest,
) -> Result<pb::QueryTotalSupplyResponse, TxError> {
    let (entries, page) = paginate(state, &state_key::supply_prefix(), req.pagination)?;
    let supply = entries
        .into_iter()
        .map(|(k, v)| Ok(coin(&denom_of(k)?, decode_amount(&v)?)))
        .collect::<Result<_, TxError>>()?;
    Ok(pb::QueryTotalSupplyResponse {
        supply,
        pagination: Some(page),
    })
}

fn supply_of(
    state: &dyn StateRead,
    req: pb::QuerySupplyOfRequest,
) -> Result<pb::QuerySupplyOfResponse, TxError> {
    validate_denom(&req.denom)?;
    Ok(pb::QuerySupplyOfResponse {
        amount: Some(
            Coin {
                denom: req.denom.clone(),
                amount: state.supply_of(&req.denom)?,
            }
            .to_proto(),
        ),
    })
}

#[allow(deprecated)] // the deprecated list is always empty
fn params(
    state: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(pb::Params {
            send_enabled: Vec::new(),
            default_send_enabled: state.bank_params()?.default_send_enabled,
        }),
    })
}

fn denom_metadata(
    state: &dyn StateRead,
    req: pb::QueryDenomMetadataRequest,
) -> Result<pb::QueryDenomMetadataResponse, TxError> {
    validate_denom(&req.denom)?;
    let m = state
        .denom_metadata(&req.denom)?
        .ok_or_else(|| sdk::key_not_found(format!("client metadata for denom {}", req.denom)))?;
    Ok(pb::QueryDenomMetadataResponse {
        metadata: Some(m.to_proto()),
    })
}

fn denoms_metadata(
    state: &dyn StateRead,
    req: pb::QueryDenomsMetadataRequest,
) -> Result<pb::QueryDenomsMetadataResponse, TxError> {
    let (entries, page) = paginate(state, &state_key::metadata_prefix(), req.pagination)?;
    let metadatas = entries
        .into_iter()
        .map(|(_, v)| {
            prost::Message::decode(v.as_slice())
                .map_err(|e| sdk::internal(format!("corrupt metadata: {e}")))
        })
        .collect::<Result<_, TxError>>()?;
    Ok(pb::QueryDenomsMetadataResponse {
        metadatas,
        pagination: Some(page),
    })
}

fn send_enabled(
    state: &dyn StateRead,
    req: pb::QuerySendEnabledRequest,
) -> Result<pb::QuerySendEnabledResponse, TxError> {
    if req.denoms.len() > 100 {
        return Err(sdk::invalid_request("at most 100 denoms per query"));
    }
    if req.denoms.is_empty() {
        // As the SDK: no denoms asks for every entry, a page at a time.
        let (entries, page) = paginate(state, &state_key::send_enabled_prefix(), req.pagination)?;
        let send_enabled = entries
            .into_iter()
            .map(|(denom, v)| {
                Ok(pb::SendEnabled {
                    denom: denom_of(denom)?,
                    enabled: v.first() == Some(&1),
                })
            })
            .collect::<Result<Vec<_>, TxError>>()?;
        return Ok(pb::QuerySendEnabledResponse {
            send_enabled,
            pagination: Some(page),
        });
    }
    let mut out = Vec::new();
    for d in &req.denoms {
        validate_denom(d)?;
        if let Some(enabled) = state.send_enabled_entry(d)? {
            out.push(pb::SendEnabled {
                denom: d.clone(),
                enabled,
            });
        }
    }
    Ok(pb::QuerySendEnabledResponse {
        send_enabled: out,
        pagination: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keeper::BankWrite;
    use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
    use deai_framework::MemStore;

    // Before the fix an empty `denoms` answered no entries; the SDK pages through all.
    #[test]
    fn send_enabled_without_denoms_pages_every_entry() {
        let mut s = MemStore::new();
        s.set_send_enabled("uatom", false).unwrap();
        s.set_send_enabled("udeai", true).unwrap();
        s.set_send_enabled("uosmo", true).unwrap();
        let r = send_enabled(
            &s,
            pb::QuerySendEnabledRequest {
                denoms: vec![],
                pagination: Some(PageRequest {
                    limit: 2,
                    count_total: true,
                    ..Default::default()
                }),
            },
        )
        .unwrap();
        let got: Vec<_> = r
            .send_enabled
            .iter()
            .map(|e| (e.denom.as_str(), e.enabled))
            .collect();
        assert_eq!(got, vec![("uatom", false), ("udeai", true)]);
        let page = r.pagination.unwrap();
        assert_eq!((page.total, page.next_key), (3, b"uosmo".to_vec()));
        let one = send_enabled(
            &s,
            pb::QuerySendEnabledRequest {
                denoms: vec!["uosmo".into(), "unone".into()],
                pagination: None,
            },
        )
        .unwrap();
        assert_eq!(one.send_enabled.len(), 1);
        assert!(one.pagination.is_none());
    }
}
