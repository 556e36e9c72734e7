//! `deaid tx wasm …`: wasmd's `wasmd tx wasm …` commands (store, instantiate, instantiate2,
//! execute, migrate, set-contract-admin, clear-contract-admin) with wasmd's positional
//! arguments and flags, and deai's convention for the key: it comes first, as in every
//! `deaid tx` command (wasmd's `--from`). The messages are wasmd's
//! (`cosmos_sdk_proto::cosmwasm::wasm::v1`); docs/wasm.md has the rules the chain applies.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmwasm::wasm::v1 as pb;

use deai_client::TxResponse;
use deai_framework::Coins;

use super::output::OutputFormat;
use super::parse::address;
pub use super::parse::{send, send_annotated, BuildMsg, Signed};

/// The largest file `store` reads (wasmd's governance limit; the chain's own limit for a
/// MsgStoreCode, 800 KiB once gunzipped, is checked there).
pub const MAX_WASM_FILE: u64 = 3 * 1024 * 1024;
/// wasmd's label limit.
pub const MAX_LABEL: usize = 128;
/// wasmd's salt limits (instantiate2).
pub const MAX_SALT: usize = 64;

const WASM_MAGIC: [u8; 4] = [0x00, 0x61, 0x73, 0x6d];
const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

#[derive(Subcommand, Debug)]
pub enum WasmTx {
    /// Upload a wasm binary (gzipped before sending); prints the tx and, once committed
    /// (--wait), the new code's `code_id`.
    Store(Signed<Store>),
    /// Instantiate a code: a new contract at a classic address; prints, once committed
    /// (--wait), its `contract_address`.
    Instantiate(Signed<Instantiate>),
    /// Instantiate a code at a predictable address (from the checksum, the signer and the
    /// salt, and the message with --fix-msg).
    Instantiate2(Signed<Instantiate2>),
    /// Execute a contract with a JSON message, sending --amount along.
    Execute(Signed<Execute>),
    /// As its admin, migrate a contract to a code (the same or another).
    Migrate(Signed<Migrate>),
    /// As its admin, give a contract a new admin.
    SetContractAdmin(Signed<SetAdmin>),
    /// As its admin, remove a contract's admin (it can never be migrated again).
    ClearContractAdmin(Signed<ClearAdmin>),
}

pub fn run(home: &Path, cmd: WasmTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        WasmTx::Store(s) => send_annotated(home, s, out, stored_code_id),
        WasmTx::Instantiate(s) => send_annotated(home, s, out, new_contract),
        WasmTx::Instantiate2(s) => send_annotated(home, s, out, new_contract),
        WasmTx::Execute(s) => send(home, s, out),
        WasmTx::Migrate(s) => send(home, s, out),
        WasmTx::SetContractAdmin(s) => send(home, s, out),
        WasmTx::ClearContractAdmin(s) => send(home, s, out),
    }
}

/// The value of attribute `key` of the first event of type `kind` in a committed tx.
pub fn event_attribute(resp: &TxResponse, kind: &str, key: &str) -> Option<String> {
    resp.events
        .as_array()?
        .iter()
        .filter(|e| e["type"] == kind)
        .flat_map(|e| e["attributes"].as_array().into_iter().flatten())
        .find(|a| a["key"] == key)
        .and_then(|a| a["value"].as_str())
        .map(str::to_string)
}

/// `store`'s addition to the printed TxResponse: the `code_id` of the `store_code` event.
fn stored_code_id(resp: &TxResponse) -> Vec<(&'static str, serde_json::Value)> {
    match event_attribute(resp, "store_code", "code_id") {
        Some(id) => vec![("code_id", id.into())],
        None => Vec::new(),
    }
}

/// `instantiate`'s: the new contract's address (the first `instantiate` event is the
/// message's own; contracts it instantiates come after).
fn new_contract(resp: &TxResponse) -> Vec<(&'static str, serde_json::Value)> {
    match event_attribute(resp, "instantiate", "_contract_address") {
        Some(a) => vec![("contract_address", a.into())],
        None => Vec::new(),
    }
}

/// A message to a contract: any valid JSON, sent as written (wasmd's `RawContractMessage`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonMsg(pub Vec<u8>);

pub fn json_msg(s: &str) -> anyhow::Result<JsonMsg> {
    serde_json::from_str::<serde_json::Value>(s)
        .map_err(|e| anyhow::anyhow!("not valid JSON ({e}): {s:?}"))?;
    Ok(JsonMsg(s.as_bytes().to_vec()))
}

/// Coins sent to a contract, e.g. `1000udeai` or `1000udeai,5data/1` (possibly none).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Funds(pub Vec<ProtoCoin>);

pub fn funds(s: &str) -> anyhow::Result<Funds> {
    let c = Coins::parse(s).map_err(|e| anyhow::anyhow!("{} (expected e.g. 1000udeai)", e.log))?;
    Ok(Funds(c.to_proto()))
}

/// A contract label: 1 to 128 bytes without surrounding whitespace (wasmd's rules; the chain
/// checks printability).
pub fn label(s: &str) -> anyhow::Result<String> {
    anyhow::ensure!(!s.trim().is_empty(), "the label must not be empty");
    anyhow::ensure!(
        s.trim() == s,
        "the label must not start or end with whitespace: {s:?}"
    );
    anyhow::ensure!(
        s.len() <= MAX_LABEL,
        "the label is {} bytes, above wasmd's limit of {MAX_LABEL}",
        s.len()
    );
    Ok(s.into())
}

/// How a byte-string argument is written: wasmd's `--ascii`, `--hex` and `--b64` (the
/// default depends on the command, as in wasmd).
#[derive(clap::Args, Clone, Debug, Default)]
#[group(multiple = false)]
pub struct Encoding {
    /// The argument is text: its UTF-8 bytes.
    #[arg(long)]
    pub ascii: bool,
    /// The argument is hex.
    #[arg(long)]
    pub hex: bool,
    /// The argument is base64.
    #[arg(long)]
    pub b64: bool,
}

impl Encoding {
    /// The bytes of `s` (`what` names it in errors); text when no flag is given.
    pub fn decode(&self, what: &str, s: &str) -> anyhow::Result<Vec<u8>> {
        self.decode_with_default(what, s, false)
    }

    /// The bytes of `s`; hex when no flag is given.
    pub fn decode_or_hex(&self, what: &str, s: &str) -> anyhow::Result<Vec<u8>> {
        self.decode_with_default(what, s, true)
    }

    fn decode_with_default(&self, what: &str, s: &str, hex: bool) -> anyhow::Result<Vec<u8>> {
        use base64::Engine;
        if self.hex || (hex && !self.ascii && !self.b64) {
            hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|_| {
                anyhow::anyhow!("{what} must be hex (or give --ascii or --b64), got {s:?}")
            })
        } else if self.b64 {
            base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|_| anyhow::anyhow!("{what} must be base64 with --b64, got {s:?}"))
        } else {
            Ok(s.as_bytes().to_vec())
        }
    }
}

#[derive(clap::Args, Clone, Debug)]
#[group(id = "instantiate_permission", multiple = false)]
pub struct Permission {
    /// Everybody may instantiate the code.
    #[arg(long)]
    pub instantiate_everybody: bool,
    /// Nobody may instantiate the code (only governance, later).
    #[arg(long)]
    pub instantiate_nobody: bool,
    /// Only these addresses may instantiate the code (comma-separated).
    #[arg(long, value_delimiter = ',', value_parser = address)]
    pub instantiate_anyof_addresses: Vec<String>,
}

impl Permission {
    /// The permission to send, or none (the chain's default for the sender).
    pub fn to_proto(&self) -> anyhow::Result<Option<pb::AccessConfig>> {
        let (t, addresses) = if self.instantiate_everybody {
            (pb::AccessType::Everybody, Vec::new())
        } else if self.instantiate_nobody {
            (pb::AccessType::Nobody, Vec::new())
        } else if !self.instantiate_anyof_addresses.is_empty() {
            let mut sorted = self.instantiate_anyof_addresses.clone();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0] == w[1]) {
                anyhow::bail!(
                    "address {} is given twice in --instantiate-anyof-addresses",
                    w[0]
                );
            }
            (
                pb::AccessType::AnyOfAddresses,
                self.instantiate_anyof_addresses.clone(),
            )
        } else {
            return Ok(None);
        };
        Ok(Some(pb::AccessConfig {
            permission: t as i32,
            addresses,
        }))
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Store {
    /// The contract: a .wasm file (gzipped before sending) or an already gzipped one.
    pub wasm_file: PathBuf,
    #[command(flatten)]
    pub permission: Permission,
}

/// Reads at most [`MAX_WASM_FILE`] bytes of `path` and returns what MsgStoreCode carries:
/// wasm gzipped (as wasmd's CLI and cosmjs send it), or a gzip file as it is.
pub fn read_wasm(path: &Path) -> anyhow::Result<Vec<u8>> {
    let f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(MAX_WASM_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    anyhow::ensure!(
        bytes.len() as u64 <= MAX_WASM_FILE,
        "{} is larger than {} MiB",
        path.display(),
        MAX_WASM_FILE >> 20
    );
    if bytes.starts_with(&GZIP_MAGIC) {
        return Ok(bytes);
    }
    anyhow::ensure!(
        bytes.starts_with(&WASM_MAGIC),
        "{} is neither a wasm binary nor gzip",
        path.display()
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bytes)?;
    Ok(gz.finish()?)
}

impl BuildMsg for Store {
    type Msg = pb::MsgStoreCode;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgStoreCode> {
        Ok(pb::MsgStoreCode {
            sender: signer.into(),
            wasm_byte_code: read_wasm(&self.wasm_file)?,
            instantiate_permission: self.permission.to_proto()?,
        })
    }
}

/// The admin of a new contract: wasmd requires either `--admin ADDR` or `--no-admin`.
#[derive(clap::Args, Clone, Debug)]
#[group(id = "admin_choice", required = true, multiple = false)]
pub struct AdminArg {
    /// The address that may migrate the contract and change its admin.
    #[arg(long, value_parser = address)]
    pub admin: Option<String>,
    /// The contract has no admin: it can never be migrated.
    #[arg(long)]
    pub no_admin: bool,
}

/// What `instantiate` and `instantiate2` share.
#[derive(clap::Args, Clone, Debug)]
pub struct InstantiateArgs {
    /// The code's id.
    pub code_id: u64,
    /// The instantiate message, JSON.
    #[arg(value_parser = json_msg)]
    pub json: JsonMsg,
    /// A human-readable name of the contract (1 to 128 bytes).
    #[arg(long, value_parser = label)]
    pub label: String,
    #[command(flatten)]
    pub admin: AdminArg,
    /// Coins sent to the new contract, e.g. 1000udeai.
    #[arg(long, value_parser = funds, default_value = "")]
    pub amount: Funds,
}

#[derive(clap::Args, Clone, Debug)]
pub struct Instantiate {
    #[command(flatten)]
    pub args: InstantiateArgs,
}

impl BuildMsg for Instantiate {
    type Msg = pb::MsgInstantiateContract;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgInstantiateContract> {
        let a = &self.args;
        Ok(pb::MsgInstantiateContract {
            sender: signer.into(),
            admin: a.admin.admin.clone().unwrap_or_default(),
            code_id: a.code_id,
            label: a.label.clone(),
            msg: a.json.0.clone(),
            funds: a.amount.0.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Instantiate2 {
    #[command(flatten)]
    pub args: InstantiateArgs,
    /// The salt (1 to 64 bytes): text, or hex with --hex, base64 with --b64.
    pub salt: String,
    #[command(flatten)]
    pub salt_encoding: Encoding,
    /// The address also depends on the instantiate message.
    #[arg(long)]
    pub fix_msg: bool,
}

impl BuildMsg for Instantiate2 {
    type Msg = pb::MsgInstantiateContract2;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgInstantiateContract2> {
        let salt = self.salt_encoding.decode("the salt", &self.salt)?;
        anyhow::ensure!(
            (1..=MAX_SALT).contains(&salt.len()),
            "the salt is {} bytes; it must be 1 to {MAX_SALT}",
            salt.len()
        );
        let a = &self.args;
        Ok(pb::MsgInstantiateContract2 {
            sender: signer.into(),
            admin: a.admin.admin.clone().unwrap_or_default(),
            code_id: a.code_id,
            label: a.label.clone(),
            msg: a.json.0.clone(),
            funds: a.amount.0.clone(),
            salt,
            fix_msg: self.fix_msg,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Execute {
    /// The contract's address.
    #[arg(value_parser = address)]
    pub contract: String,
    /// The execute message, JSON.
    #[arg(value_parser = json_msg)]
    pub json: JsonMsg,
    /// Coins sent to the contract along with the message, e.g. 1000udeai.
    #[arg(long, value_parser = funds, default_value = "")]
    pub amount: Funds,
}

impl BuildMsg for Execute {
    type Msg = pb::MsgExecuteContract;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgExecuteContract> {
        Ok(pb::MsgExecuteContract {
            sender: signer.into(),
            contract: self.contract.clone(),
            msg: self.json.0.clone(),
            funds: self.amount.0.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Migrate {
    /// The contract's address.
    #[arg(value_parser = address)]
    pub contract: String,
    /// The code it runs from now on.
    pub new_code_id: u64,
    /// The migrate message, JSON.
    #[arg(value_parser = json_msg)]
    pub json: JsonMsg,
}

impl BuildMsg for Migrate {
    type Msg = pb::MsgMigrateContract;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgMigrateContract> {
        Ok(pb::MsgMigrateContract {
            sender: signer.into(),
            contract: self.contract.clone(),
            code_id: self.new_code_id,
            msg: self.json.0.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct SetAdmin {
    /// The contract's address.
    #[arg(value_parser = address)]
    pub contract: String,
    /// The new admin's address.
    #[arg(value_parser = address)]
    pub new_admin: String,
}

impl BuildMsg for SetAdmin {
    type Msg = pb::MsgUpdateAdmin;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgUpdateAdmin> {
        Ok(pb::MsgUpdateAdmin {
            sender: signer.into(),
            new_admin: self.new_admin.clone(),
            contract: self.contract.clone(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct ClearAdmin {
    /// The contract's address.
    #[arg(value_parser = address)]
    pub contract: String,
}

impl BuildMsg for ClearAdmin {
    type Msg = pb::MsgClearAdmin;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgClearAdmin> {
        Ok(pb::MsgClearAdmin {
            sender: signer.into(),
            contract: self.contract.clone(),
        })
    }
}

#[cfg(test)]
#[path = "wasm_tx_tests.rs"]
mod tests;
