//! wasm genesis: `app_state.wasm` is wasmd's `GenesisState` in JSON (params, codes with their
//! bytes and pin flag, contracts with their info, storage and history, sequences), plus
//! deai's optional `authority` (the address that may change the params; gov's by default).
//!
//! The JSON is wasmd's: proto field names, u64s as strings, bytes as base64, and access
//! types written as wasmd writes them (`"Everybody"`, `"Nobody"`, `"AnyOfAddresses"`); the
//! proto enum names (`"ACCESS_TYPE_EVERYBODY"`) and camelCase field names are accepted too.
//! Import checks what wasmd's `InitGenesis` checks (see each step).

use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;
use deai_framework::{records, Address, StateRead, StateWrite, TxError};
use sha2::{Digest, Sha256};

use crate::error::WasmError;
use crate::keeper::{WasmRead, WasmWrite, MAX_HISTORY_READ};
use crate::msgs::{gunzip, is_gzip, is_wasm};
use crate::state_key::{self, SEQ_CODE_ID, SEQ_INSTANCE_ID};
use crate::{access, address, params, MODULE_NAME};

/// wasmd's sequence keys include its 0x04 sequence prefix; genesis names them so.
const SEQ_PREFIX: u8 = 0x04;
/// The largest code a genesis may hold once gunzipped (wasmd's proposal limit).
const MAX_GENESIS_WASM_SIZE: usize = crate::params::MAX_PROPOSAL_WASM_SIZE;
/// JSON nesting deeper than this is refused when rewriting field names.
const MAX_JSON_DEPTH: usize = 64;

fn invalid(msg: impl Into<String>) -> TxError {
    WasmError::InvalidGenesis(msg.into()).into()
}

/// wasmd's JSON names of access types, and the proto's.
const ACCESS_NAMES: [(&str, &str); 4] = [
    ("Unspecified", "ACCESS_TYPE_UNSPECIFIED"),
    ("Nobody", "ACCESS_TYPE_NOBODY"),
    ("Everybody", "ACCESS_TYPE_EVERYBODY"),
    ("AnyOfAddresses", "ACCESS_TYPE_ANY_OF_ADDRESSES"),
];

fn is_access_field(key: &str) -> bool {
    matches!(
        key,
        "permission" | "instantiate_default_permission" | "instantiateDefaultPermission"
    )
}

fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A history entry's `msg` (only `ContractCodeHistoryEntry` has that field). wasmd writes
/// it as inline JSON (`RawContractMessage`); so does export whenever re-serializing the JSON
/// gives back the stored bytes (compact, keys sorted: what contracts are normally sent),
/// and base64 otherwise, so that export → import is byte-exact. Import takes inline JSON
/// (written compactly), a base64 string, or null (empty).
fn history_msg(val: serde_json::Value, to_proto: bool) -> Option<serde_json::Value> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    match (to_proto, val) {
        (true, serde_json::Value::Null) => None,
        (true, v @ serde_json::Value::String(_)) => Some(v),
        (true, v) => Some(STANDARD.encode(v.to_string()).into()),
        (false, serde_json::Value::String(b64)) => {
            let inline = STANDARD.decode(&b64).ok().and_then(|bytes| {
                let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
                (v.to_string().as_bytes() == bytes.as_slice() && !v.is_string()).then_some(v)
            });
            Some(inline.unwrap_or(serde_json::Value::String(b64)))
        }
        (false, v) => Some(v),
    }
}

/// Rewrites access type names (`to_proto`: wasmd's → the proto's, else back) and, on
/// export, field names to snake_case.
fn rewrite(v: &mut serde_json::Value, to_proto: bool, depth: usize) -> Result<(), TxError> {
    if depth > MAX_JSON_DEPTH {
        return Err(invalid("JSON nested too deep"));
    }
    match v {
        serde_json::Value::Object(map) => {
            let entries: Vec<(String, serde_json::Value)> =
                std::mem::take(map).into_iter().collect();
            for (k, mut val) in entries {
                if k == "msg" {
                    // A history entry's message: converted, never rewritten inside.
                    match history_msg(val, to_proto) {
                        Some(val) => map.insert(k, val),
                        None => None,
                    };
                    continue;
                }
                if is_access_field(&k) {
                    if let serde_json::Value::String(s) = &mut val {
                        let found = ACCESS_NAMES.iter().find(|(wasmd, proto)| {
                            if to_proto {
                                s == wasmd
                            } else {
                                s == proto
                            }
                        });
                        if let Some((wasmd, proto)) = found {
                            *s = if to_proto { proto } else { wasmd }.to_string();
                        }
                    }
                }
                rewrite(&mut val, to_proto, depth + 1)?;
                let k = if to_proto { k } else { snake_case(&k) };
                map.insert(k, val);
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                rewrite(item, to_proto, depth + 1)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Parses `app_state.wasm` (`{}` or null: the default genesis) and its `authority`.
pub fn import_proto(
    json: &serde_json::Value,
) -> Result<(pb::GenesisState, Option<String>), TxError> {
    if json.is_null() {
        return Ok((pb::GenesisState::default(), None));
    }
    let mut json = json.clone();
    let authority = match json.as_object_mut().and_then(|m| m.remove("authority")) {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => return Err(invalid("authority must be a string")),
        None => None,
    };
    rewrite(&mut json, true, 0)?;
    let g = serde_json::from_value(json).map_err(|e| invalid(format!("cannot parse: {e}")))?;
    Ok((g, authority))
}

/// wasmd's JSON of a genesis state, with deai's `authority`.
pub fn export_proto(
    g: &pb::GenesisState,
    authority: &Address,
) -> Result<serde_json::Value, TxError> {
    let mut json = serde_json::to_value(g)
        .map_err(|e| deai_framework::sdk::internal(format!("cannot write wasm genesis: {e}")))?;
    rewrite(&mut json, false, 0)?;
    if let Some(m) = json.as_object_mut() {
        m.insert("authority".into(), authority.to_bech32().into());
    }
    Ok(json)
}

fn seq_key(name: &str) -> Vec<u8> {
    let mut k = vec![SEQ_PREFIX];
    k.extend_from_slice(name.as_bytes());
    k
}

/// wasmd's `importCode`: the checksum of the (gunzipped) bytes is the code info's.
fn import_code(state: &mut dyn StateWrite, c: &pb::Code) -> Result<(), TxError> {
    let bad = |why: String| invalid(format!("code {}: {why}", c.code_id));
    let info = c
        .code_info
        .as_ref()
        .ok_or_else(|| bad("no code info".into()))?;
    if c.code_id == 0 || state.get_code_info(c.code_id)?.is_some() {
        return Err(bad("zero or duplicate id".into()));
    }
    Address::from_bech32(&info.creator).map_err(|e| bad(e.log))?;
    access::check(&info.instantiate_config.clone().unwrap_or_default())
        .map_err(|e| bad(format!("instantiate config: {}", e.log)))?;
    let wasm = if is_gzip(&c.code_bytes) {
        gunzip(&c.code_bytes, MAX_GENESIS_WASM_SIZE).map_err(|e| bad(e.to_string()))?
    } else {
        c.code_bytes.clone()
    };
    if !is_wasm(&wasm) {
        return Err(bad("not a wasm module".into()));
    }
    let checksum: [u8; 32] = Sha256::digest(&wasm).into();
    if info.code_hash != checksum {
        return Err(bad("code hashes not same".into()));
    }
    state.put_code_bytes(&checksum, &wasm)?;
    state.put_code_info(c.code_id, info)?;
    state.set_pinned(c.code_id, c.pinned)
}

/// wasmd's `importContract` (and `ContractInfo.ValidateBasic`).
fn import_contract(state: &mut dyn StateWrite, c: &pb::Contract) -> Result<(), TxError> {
    let bad = |why: String| invalid(format!("contract {}: {why}", c.contract_address));
    let addr = Address::from_bech32(&c.contract_address).map_err(|e| bad(e.log))?;
    let info = c
        .contract_info
        .as_ref()
        .ok_or_else(|| bad("no contract info".into()))?;
    if info.code_id == 0 || state.get_code_info(info.code_id)?.is_none() {
        return Err(bad(format!("no such code {}", info.code_id)));
    }
    if state.get_contract_info(&addr)?.is_some() {
        return Err(bad("duplicate".into()));
    }
    Address::from_bech32(&info.creator).map_err(|e| bad(format!("creator: {}", e.log)))?;
    if !info.admin.is_empty() {
        Address::from_bech32(&info.admin).map_err(|e| bad(format!("admin: {}", e.log)))?;
    }
    crate::msgs::check_label(&info.label).map_err(|e| bad(e.to_string()))?;
    let history = &c.contract_code_history;
    let (first, last) = match (history.first(), history.last()) {
        (Some(f), Some(l)) if history.len() <= MAX_HISTORY_READ => (f, l),
        _ => {
            return Err(bad(format!(
                "history must have 1..={MAX_HISTORY_READ} entries"
            )))
        }
    };
    state.append_history(&addr, history)?;
    state.create_contract_info(&addr, info, first.updated.as_ref())?;
    state.index_by_code(&addr, last)?;
    for m in &c.contract_state {
        if state.contract_state_get(&addr, &m.key)?.is_some() {
            return Err(bad(format!("duplicate key: {}", hex::encode(&m.key))));
        }
        state.contract_state_set(&addr, &m.key, m.value.clone())?;
    }
    Ok(())
}

pub fn init(state: &mut dyn StateWrite, json: &serde_json::Value) -> Result<(), TxError> {
    let (g, authority) = import_proto(json)?;
    let p = g.params.clone().unwrap_or_else(params::default_params);
    params::check(&p).map_err(|e| invalid(format!("params: {}", e.log)))?;
    state.set_wasm_params(&p)?;
    deai_framework::authority::init(state, &state_key::authority(), authority.as_deref())?;

    let mut max_code_id = 0;
    for c in &g.codes {
        import_code(state, c)?;
        max_code_id = max_code_id.max(c.code_id);
    }
    for c in &g.contracts {
        import_contract(state, c)?;
    }
    let (code_key, instance_key) = (seq_key(SEQ_CODE_ID), seq_key(SEQ_INSTANCE_ID));
    let mut seen = Vec::new();
    for s in &g.sequences {
        let name = if s.id_key == code_key {
            SEQ_CODE_ID
        } else if s.id_key == instance_key {
            SEQ_INSTANCE_ID
        } else {
            return Err(invalid(format!(
                "unknown sequence {}",
                hex::encode(&s.id_key)
            )));
        };
        if seen.contains(&name) {
            return Err(invalid(format!("sequence {name} twice")));
        }
        seen.push(name);
        state.set_wasm_sequence(name, s.value)?;
    }
    // wasmd's sanity checks: the next code id is above every code's, and the next classic
    // address (as wasmd's check builds it) is free.
    let next_code = state.wasm_sequence(SEQ_CODE_ID)?.max(1);
    if next_code <= max_code_id {
        return Err(invalid(format!(
            "seq {SEQ_CODE_ID} with value: {next_code} must be greater than: {max_code_id}"
        )));
    }
    let next_instance = state.wasm_sequence(SEQ_INSTANCE_ID)?.max(1);
    if state
        .get_contract_info(&address::classic(next_instance, next_instance)?)?
        .is_some()
    {
        return Err(invalid(format!(
            "value: {next_instance} for seq {SEQ_INSTANCE_ID} was used already"
        )));
    }
    Ok(())
}

fn all<M: prost::Message + Default>(
    state: &dyn StateRead,
    prefix: &[u8],
) -> Result<Vec<M>, TxError> {
    records::all_under(MODULE_NAME, state, prefix, usize::MAX)
}

pub fn export_state(state: &dyn StateRead) -> Result<pb::GenesisState, TxError> {
    let corrupt = || deai_framework::sdk::internal("corrupt wasm key");
    let mut codes = Vec::new();
    let code_prefix = state_key::codes();
    let code_end = deai_framework::keys::prefix_end(&code_prefix);
    for (k, v) in state.scan(&code_prefix, code_end.as_deref(), false, usize::MAX)? {
        let id = state_key::trailing_id(&k).ok_or_else(corrupt)?;
        let info: pb::CodeInfo = crate::keeper::decode(&v)?;
        let code_bytes = state
            .get_code_bytes(&info.code_hash)?
            .ok_or_else(|| deai_framework::sdk::internal(format!("code {id} has no bytes")))?;
        codes.push(pb::Code {
            code_id: id,
            code_info: Some(info),
            code_bytes,
            pinned: state.is_pinned(id)?,
        });
    }
    let mut contracts = Vec::new();
    let prefix = state_key::contracts();
    let end = deai_framework::keys::prefix_end(&prefix);
    for (k, v) in state.scan(&prefix, end.as_deref(), false, usize::MAX)? {
        let rel = k.get(prefix.len()..).ok_or_else(corrupt)?;
        let addr = state_key::contract_of_rel_key(rel).ok_or_else(corrupt)?;
        let store = state_key::contract_store(&addr);
        let store_end = deai_framework::keys::prefix_end(&store);
        let mut models = Vec::new();
        for (k, value) in state.scan(&store, store_end.as_deref(), false, usize::MAX)? {
            let key = k.get(store.len()..).ok_or_else(corrupt)?.to_vec();
            models.push(pb::Model { key, value });
        }
        contracts.push(pb::Contract {
            contract_address: addr.to_bech32(),
            contract_info: Some(crate::keeper::decode(&v)?),
            contract_state: models,
            contract_code_history: all(state, &state_key::history_of(&addr))?,
        });
    }
    let sequences = [SEQ_CODE_ID, SEQ_INSTANCE_ID]
        .into_iter()
        .map(|name| {
            Ok(pb::Sequence {
                id_key: seq_key(name),
                value: state.wasm_sequence(name)?.max(1),
            })
        })
        .collect::<Result<_, TxError>>()?;
    Ok(pb::GenesisState {
        params: Some(state.wasm_params()?),
        codes,
        contracts,
        sequences,
    })
}

pub fn export(state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
    let authority = deai_framework::authority::get(state, &state_key::authority())?;
    export_proto(&export_state(state)?, &authority)
}
