//! `deaid genesis gentx` and `deaid genesis collect-gentxs`: the genesis validators, made
//! the way simd makes them. Each validator signs a MsgCreateValidator for its own consensus
//! key (account number 0, sequence 0: accounts are not numbered before the chain starts),
//! and the coordinator collects the files into `app_state.genutil.gen_txs`. InitChain runs
//! them (see `node::consensus`), and staking's set becomes CometBFT's first validator set.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as staking;
use prost::Message as _;

use deai_client::keyring::Keyring;
use deai_client::txbuilder::{sign_tx, to_any, TxParams};
use deai_framework::{Address, Coins};

use super::output::{print, OutputFormat};
use super::parse::wire_dec;
use super::{prompt, KeyringArgs};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(clap::Args)]
pub struct GentxArgs {
    /// The operator's key (name or address) in the keyring; its account must be in genesis.
    pub key: String,
    /// The self-delegation, e.g. 100000000udeai (at least the bond denom's 1 power: 10^6).
    pub amount: String,
    /// The chain id; by default genesis.json's.
    #[arg(long)]
    pub chain_id: Option<String>,
    /// The validator's name; by default the key's name.
    #[arg(long)]
    pub moniker: Option<String>,
    #[arg(long, default_value = "")]
    pub details: String,
    #[arg(long, default_value = "")]
    pub website: String,
    #[arg(long, default_value = "")]
    pub identity: String,
    #[arg(long, default_value = "")]
    pub security_contact: String,
    /// Commission rate (a decimal fraction).
    #[arg(long, default_value = "0.1")]
    pub commission_rate: String,
    #[arg(long, default_value = "0.2")]
    pub commission_max_rate: String,
    #[arg(long, default_value = "0.01")]
    pub commission_max_change_rate: String,
    /// Minimum self-delegation (an integer of the bond denom).
    #[arg(long, default_value = "1")]
    pub min_self_delegation: String,
    /// Gas limit of the gentx (it runs without fees at genesis).
    #[arg(long, default_value_t = 500_000)]
    pub gas: u64,
    /// Where to write it; by default `<home>/config/gentx/gentx-<node id>.json`.
    #[arg(long)]
    pub output_document: Option<PathBuf>,
    /// The directory holding the keyring; by default --home.
    #[arg(long)]
    pub keyring_dir: Option<PathBuf>,
    #[command(flatten)]
    pub keyring: KeyringArgs,
}

/// A gentx file: the signed tx, and what it says for the people who review it.
#[derive(serde::Serialize, serde::Deserialize)]
struct GentxFile {
    /// The TxRaw bytes, base64: what InitChain runs.
    tx: String,
    moniker: String,
    operator: String,
    consensus_pubkey: String,
    self_delegation: String,
}

fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The ed25519 key of `<home>/config/<file>` (CometBFT's JSON), as raw bytes.
fn cometbft_pubkey(home: &Path, file: &str) -> anyhow::Result<Vec<u8>> {
    let path = home.join("config").join(file);
    let v = read_json(&path)?;
    let key = v["pub_key"]["value"]
        .as_str()
        .or_else(|| v["priv_key"]["value"].as_str())
        .ok_or_else(|| anyhow::anyhow!("{}: no ed25519 key", path.display()))?;
    let bytes = B64.decode(key)?;
    // priv_key is seed || public key; pub_key is the public key alone.
    let pk = bytes[bytes.len().saturating_sub(32)..].to_vec();
    anyhow::ensure!(pk.len() == 32, "{}: not an ed25519 key", path.display());
    Ok(pk)
}

/// The bond-denom balance `address` has in the genesis app_state.
fn genesis_balance(app_state: &serde_json::Value, address: &str, denom: &str) -> u128 {
    app_state["bank"]["balances"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["address"] == address)
        .flat_map(|b| b["coins"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["denom"] == denom)
        .filter_map(|c| c["amount"].as_str().and_then(|a| a.parse::<u128>().ok()))
        .sum()
}

pub fn gentx(home: &Path, a: GentxArgs, out: OutputFormat) -> anyhow::Result<()> {
    let genesis = read_json(&home.join("config/genesis.json"))
        .map_err(|e| anyhow::anyhow!("{e} (run `deaid init` first)"))?;
    let chain_id = match a.chain_id {
        Some(c) => c,
        None => genesis["chain_id"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("genesis.json has no chain_id"))?
            .to_string(),
    };
    let amount = Coins::parse(&a.amount).map_err(|e| anyhow::anyhow!(e.log))?;
    let coins: Vec<_> = amount.iter().cloned().collect();
    let [coin] = coins.as_slice() else {
        anyhow::bail!("the self-delegation must be one coin, e.g. 100000000udeai");
    };
    let coin = coin.clone();
    let bond_denom = genesis["app_state"]["staking"]["params"]["bond_denom"]
        .as_str()
        .unwrap_or(deai_bank::BASE_DENOM)
        .to_string();
    anyhow::ensure!(
        coin.denom == bond_denom,
        "the self-delegation must be in the bond denom {bond_denom}"
    );
    let keyring = Keyring::open(
        a.keyring_dir.as_deref().unwrap_or(home),
        a.keyring.keyring_backend,
    );
    let info = keyring.show(&a.key)?;
    let have = genesis_balance(&genesis["app_state"], &info.address, &bond_denom);
    anyhow::ensure!(
        have >= coin.amount,
        "account {} has {have}{bond_denom} in genesis, less than {}{bond_denom} (add it with \
         `deaid genesis add-account`)",
        info.address,
        coin.amount
    );
    let operator = Address::from_bech32(&info.address).map_err(|e| anyhow::anyhow!(e.log))?;
    let consensus_key = cometbft_pubkey(home, "priv_validator_key.json")?;
    let moniker = a.moniker.unwrap_or_else(|| info.name.clone());
    #[allow(deprecated)] // delegator_address: empty, as SDK v0.50 sends it
    let msg = staking::MsgCreateValidator {
        description: Some(staking::Description {
            moniker: moniker.clone(),
            identity: a.identity,
            website: a.website,
            security_contact: a.security_contact,
            details: a.details,
        }),
        commission: Some(staking::CommissionRates {
            rate: wire_dec(&a.commission_rate, "commission-rate")?,
            max_rate: wire_dec(&a.commission_max_rate, "commission-max-rate")?,
            max_change_rate: wire_dec(&a.commission_max_change_rate, "commission-max-change-rate")?,
        }),
        min_self_delegation: a.min_self_delegation.trim().to_string(),
        delegator_address: String::new(),
        validator_address: deai_staking::address::val_to_bech32(&operator),
        pubkey: Some(cosmos_sdk_proto::Any {
            type_url: "/cosmos.crypto.ed25519.PubKey".into(),
            value: cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey {
                key: consensus_key.clone(),
            }
            .encode_to_vec(),
        }),
        value: Some(ProtoCoin {
            denom: coin.denom.clone(),
            amount: coin.amount.to_string(),
        }),
    };
    let key = keyring.get(&info.name, prompt::passphrase)?;
    let tx = sign_tx(
        &key,
        vec![to_any(&msg)],
        &TxParams {
            chain_id,
            account_number: 0,
            sequence: 0,
            fee: Coins::empty(),
            gas_limit: a.gas,
            memo: String::new(),
            timeout_height: 0,
        },
    );
    let node_id = {
        use sha2::Digest;
        hex::encode(&sha2::Sha256::digest(cometbft_pubkey(home, "node_key.json")?)[..20])
    };
    let path = a
        .output_document
        .unwrap_or_else(|| home.join(format!("config/gentx/gentx-{node_id}.json")));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = GentxFile {
        tx: B64.encode(&tx),
        moniker,
        operator: deai_staking::address::val_to_bech32(&operator),
        consensus_pubkey: B64.encode(&consensus_key),
        self_delegation: coin.to_string(),
    };
    std::fs::write(&path, serde_json::to_string_pretty(&file)? + "\n")
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    print(
        &serde_json::json!({"gentx": path.display().to_string(), "operator": file.operator}),
        out,
    );
    Ok(())
}

/// The operator of the one MsgCreateValidator a gentx must carry.
fn create_validator_of(raw: &[u8]) -> anyhow::Result<String> {
    use cosmos_sdk_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
    use prost::Name as _;
    let tx = TxRaw::decode(raw)?;
    let body = TxBody::decode(tx.body_bytes.as_slice())?;
    let [any] = &body.messages[..] else {
        anyhow::bail!("a gentx carries exactly one message");
    };
    anyhow::ensure!(
        any.type_url == staking::MsgCreateValidator::type_url(),
        "a gentx's message must be MsgCreateValidator, not {}",
        any.type_url
    );
    Ok(staking::MsgCreateValidator::decode(any.value.as_slice())?.validator_address)
}

/// Puts every `gentx-*.json` of `dir` (in name order) into genesis.json's
/// `app_state.genutil.gen_txs`, and empties CometBFT's `validators`: the app names them.
pub fn collect(home: &Path, dir: Option<PathBuf>, out: OutputFormat) -> anyhow::Result<()> {
    let dir = dir.unwrap_or_else(|| home.join("config/gentx"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    anyhow::ensure!(!files.is_empty(), "no gentx files in {}", dir.display());
    let mut txs = Vec::new();
    let mut operators = Vec::new();
    for p in &files {
        let f: GentxFile = serde_json::from_value(read_json(p)?)
            .map_err(|e| anyhow::anyhow!("{}: not a gentx file: {e}", p.display()))?;
        let raw = B64
            .decode(&f.tx)
            .map_err(|e| anyhow::anyhow!("{}: tx is not base64: {e}", p.display()))?;
        let said =
            create_validator_of(&raw).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
        anyhow::ensure!(
            said == f.operator,
            "{}: the tx creates {said}, the file says {}",
            p.display(),
            f.operator
        );
        anyhow::ensure!(
            !operators.contains(&f.operator),
            "{}: a second gentx for {}",
            p.display(),
            f.operator
        );
        operators.push(f.operator);
        txs.push(serde_json::Value::String(f.tx));
    }
    let path = home.join("config/genesis.json");
    let mut genesis = read_json(&path)?;
    genesis["app_state"]["genutil"] = serde_json::json!({ "gen_txs": txs });
    genesis["validators"] = serde_json::json!([]);
    std::fs::write(&path, serde_json::to_string_pretty(&genesis)? + "\n")?;
    print(
        &serde_json::json!({"gentxs": txs.len(), "validators": operators}),
        out,
    );
    Ok(())
}

/// `deaid comet show-validator`: the node's consensus key as simd prints it.
pub fn show_validator(home: &Path, out: OutputFormat) -> anyhow::Result<()> {
    let key = cometbft_pubkey(home, "priv_validator_key.json")?;
    print(
        &serde_json::json!({"@type": "/cosmos.crypto.ed25519.PubKey", "key": B64.encode(key)}),
        out,
    );
    Ok(())
}
