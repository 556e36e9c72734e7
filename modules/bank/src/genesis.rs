//! bank genesis in the Cosmos JSON shape (`app_state.bank`).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use serde::{Deserialize, Serialize};

use deai_framework::keys::prefix_end;
use deai_framework::state::KvPair;
use deai_framework::{sdk, Address, Coins, StateRead, StateWrite, TxError};

use crate::keeper::{BankRead, BankWrite};
use crate::metadata::DenomMetadata;
use crate::params::Params;
use crate::state_key;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Params,
    #[serde(default)]
    pub balances: Vec<Balance>,
    /// Empty means "compute from balances"; otherwise it must equal their sum.
    #[serde(default)]
    pub supply: Vec<JsonCoin>,
    #[serde(default)]
    pub denom_metadata: Vec<DenomMetadata>,
    #[serde(default)]
    pub send_enabled: Vec<SendEnabled>,
    /// Who may change the params with MsgUpdateParams (a deai extension of the SDK's
    /// shape); default: the gov module's account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Balance {
    pub address: String,
    pub coins: Vec<JsonCoin>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCoin {
    pub denom: String,
    pub amount: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendEnabled {
    pub denom: String,
    pub enabled: bool,
}

fn to_coins(coins: &[JsonCoin]) -> Result<Coins, TxError> {
    let proto: Vec<ProtoCoin> = coins
        .iter()
        .map(|c| ProtoCoin {
            denom: c.denom.clone(),
            amount: c.amount.clone(),
        })
        .collect();
    Coins::from_proto(&proto)
}

fn to_json(coins: &Coins) -> Vec<JsonCoin> {
    coins
        .iter()
        .map(|c| JsonCoin {
            denom: c.denom.clone(),
            amount: c.amount.to_string(),
        })
        .collect()
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let g: GenesisState = serde_json::from_value(json.clone())
        .map_err(|e| sdk::invalid_request(format!("invalid bank genesis: {e}")))?;
    state.set_bank_params(&g.params)?;
    deai_framework::authority::init(state, &state_key::authority(), g.authority.as_deref())?;
    for s in &g.send_enabled {
        deai_framework::coins::validate_denom(&s.denom)?;
        state.set_send_enabled(&s.denom, s.enabled)?;
    }
    for m in &g.denom_metadata {
        state.set_denom_metadata(m)?;
    }
    let mut total = Coins::empty();
    for b in &g.balances {
        let addr = Address::from_bech32(&b.address)?;
        if !state.balances(&addr, 1)?.is_empty() {
            return Err(sdk::invalid_request(format!(
                "duplicate balance for {addr}"
            )));
        }
        let coins = to_coins(&b.coins)?;
        state.add_coins(&addr, &coins)?;
        total = total.checked_add(&coins)?;
    }
    if !g.supply.is_empty() && to_coins(&g.supply)? != total {
        return Err(sdk::invalid_request(format!(
            "genesis supply does not match the sum of balances ({total})"
        )));
    }
    for c in total.iter() {
        state.set_supply(&c.denom, c.amount)?;
    }
    Ok(())
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let all = |prefix: Vec<u8>| -> Result<Vec<KvPair>, TxError> {
        let end = prefix_end(&prefix);
        let mut v = state.scan(&prefix, end.as_deref(), false, usize::MAX)?;
        for (k, _) in v.iter_mut() {
            k.drain(..prefix.len());
        }
        Ok(v)
    };
    // Balance keys are (len, address, denom); group them per address.
    let mut balances: Vec<Balance> = Vec::new();
    let mut addrs: Vec<Address> = Vec::new();
    for (k, _) in all(state_key::all_balances())? {
        let len = usize::from(
            *k.first()
                .ok_or_else(|| sdk::internal("corrupt balance key"))?,
        );
        let addr = Address::from_bytes(
            k.get(1..1 + len)
                .ok_or_else(|| sdk::internal("corrupt balance key"))?,
        )?;
        if addrs.last() != Some(&addr) {
            addrs.push(addr);
        }
    }
    for addr in addrs {
        balances.push(Balance {
            address: addr.to_bech32(),
            coins: to_json(&state.balances(&addr, usize::MAX)?),
        });
    }
    let supply = all(state_key::supply_prefix())?
        .into_iter()
        .map(|(denom, _)| {
            let denom = String::from_utf8(denom).map_err(|_| sdk::internal("corrupt denom"))?;
            let amount = state.supply_of(&denom)?;
            Ok(JsonCoin {
                denom,
                amount: amount.to_string(),
            })
        })
        .collect::<Result<Vec<_>, TxError>>()?;
    let mut denom_metadata = Vec::new();
    for (denom, _) in all(state_key::metadata_prefix())? {
        let denom = String::from_utf8(denom).map_err(|_| sdk::internal("corrupt denom"))?;
        if let Some(m) = state.denom_metadata(&denom)? {
            denom_metadata.push(m);
        }
    }
    let send_enabled = all(state_key::send_enabled_prefix())?
        .into_iter()
        .map(|(denom, v)| {
            Ok(SendEnabled {
                denom: String::from_utf8(denom).map_err(|_| sdk::internal("corrupt denom"))?,
                enabled: v.first() == Some(&1),
            })
        })
        .collect::<Result<Vec<_>, TxError>>()?;
    let g = GenesisState {
        params: state.bank_params()?,
        authority: Some(
            deai_framework::authority::get(state, &state_key::authority())?.to_bech32(),
        ),
        balances,
        supply,
        denom_metadata,
        send_enabled,
    };
    serde_json::to_value(g).map_err(|e| sdk::internal(format!("export bank genesis: {e}")))
}

/// A market's genesis check that its module account `name` (at `addr`) holds exactly `held`,
/// what its records escrow (`what` names them in the error `invalid` makes).
pub fn check_module_holds<S: StateRead + ?Sized>(
    state: &S,
    name: &str,
    addr: &Address,
    held: &deai_framework::genesis::Held,
    what: &str,
    invalid: impl Fn(String) -> TxError,
) -> Result<(), TxError> {
    let balances = state.balances(addr, deai_framework::coins::MAX_COINS_PER_SET + 1)?;
    let have: Vec<deai_framework::Coin> = balances.iter().cloned().collect();
    if !held.matches(&have) {
        return Err(invalid(format!(
            "module account {name} holds {balances}, but {what} total {:?}",
            held.sums()
        )));
    }
    Ok(())
}
