//! The wasm module's events, in wasmd's shapes (type and attribute names), so indexers and
//! clients written for wasmd read them unchanged. The contract's own `wasm` / `wasm-*` events
//! are built from its response in `vm/response.rs`.

use deai_framework::Event;

pub fn store_code(checksum: &[u8; 32], code_id: u64) -> Event {
    Event::new("store_code")
        .attr("code_checksum", hex::encode(checksum))
        .attr("code_id", code_id)
}

pub fn pin(kind: &str, code_id: u64) -> Event {
    Event::new(kind).attr("code_id", code_id)
}

pub fn update_params(code_upload_access: &str, instantiate_default_permission: &str) -> Event {
    Event::new("update_wasm_params")
        .attr("code_upload_access", code_upload_access)
        .attr(
            "instantiate_default_permission",
            instantiate_default_permission,
        )
}

pub fn update_admin(contract: &str, new_admin: &str) -> Event {
    Event::new("update_contract_admin")
        .attr("_contract_address", contract)
        .attr("new_admin_address", new_admin)
}

pub fn update_label(contract: &str, new_label: &str) -> Event {
    Event::new("update_contract_label")
        .attr("_contract_address", contract)
        .attr("new_label", new_label)
}

/// `authorized` is set for `AnyOfAddresses` permissions (comma-separated addresses).
pub fn update_code_access(permission: &str, code_id: u64, authorized: Option<String>) -> Event {
    let e = Event::new("update_code_access_config")
        .attr("code_permission", permission)
        .attr("code_id", code_id);
    match authorized {
        Some(a) => e.attr("authorized_addresses", a),
        None => e,
    }
}

pub fn instantiate(contract: &str, code_id: u64) -> Event {
    Event::new("instantiate")
        .attr("_contract_address", contract)
        .attr("code_id", code_id)
}

pub fn execute(contract: &str) -> Event {
    Event::new("execute").attr("_contract_address", contract)
}

pub fn migrate(contract: &str, code_id: u64) -> Event {
    Event::new("migrate")
        .attr("code_id", code_id)
        .attr("_contract_address", contract)
}
