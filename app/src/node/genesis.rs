//! Genesis: the app_state JSON of all modules, and the chain facts the app keeps in state.

use deai_framework::keys::KeyBuilder;
use deai_framework::{sdk, Module, StateRead, StateWrite, TxError};

use super::ChainFacts;

/// The app's own key space, beside the modules'.
pub const APP_PREFIX: &str = "app";

fn chain_id_key() -> Vec<u8> {
    KeyBuilder::new(APP_PREFIX, "chain_id").build()
}

fn max_gas_key() -> Vec<u8> {
    KeyBuilder::new(APP_PREFIX, "max_block_gas").build()
}

/// The consensus params' evidence max age: blocks and seconds (i64 BE each).
fn evidence_age_key() -> Vec<u8> {
    KeyBuilder::new(APP_PREFIX, "evidence_max_age").build()
}

fn vote_extensions_key() -> Vec<u8> {
    KeyBuilder::new(APP_PREFIX, "vote_extensions_enable_height").build()
}

/// Written every block, so every version has a distinct, non-empty change set.
pub fn height_key() -> Vec<u8> {
    KeyBuilder::new(APP_PREFIX, "height").build()
}

/// The hash of the last finalized block, written every block: the next block's
/// `BlockInfo::prev_block_hash`, the seed of deterministic draws.
pub fn block_hash_key() -> Vec<u8> {
    KeyBuilder::new(APP_PREFIX, "block_hash").build()
}

/// The time of the last finalized block (seconds since the Unix epoch, i64 BE), written
/// every block: what queries and CheckTx see as the block time.
pub fn block_time_key() -> Vec<u8> {
    KeyBuilder::new(APP_PREFIX, "block_time").build()
}

/// The stored time of the last finalized block (0 before the first block). A stored value
/// that is not 8 bytes is a corrupt store: an internal error.
pub fn block_time(state: &dyn StateRead) -> Result<i64, TxError> {
    match state.get(&block_time_key())? {
        None => Ok(0),
        Some(b) => <[u8; 8]>::try_from(b.as_slice())
            .map(i64::from_be_bytes)
            .map_err(|_| sdk::internal(format!("corrupt stored block time ({} bytes)", b.len()))),
    }
}

/// The stored hash of the last finalized block (zeros before the first block). A stored
/// value that is not 32 bytes is a corrupt store: an internal error, which halts the node.
pub fn prev_block_hash(state: &dyn StateRead) -> Result<[u8; 32], TxError> {
    match state.get(&block_hash_key())? {
        None => Ok([0u8; 32]),
        Some(b) => <[u8; 32]>::try_from(b.as_slice())
            .map_err(|_| sdk::internal(format!("corrupt stored block hash ({} bytes)", b.len()))),
    }
}

pub(super) fn store_chain_facts(
    state: &mut dyn StateWrite,
    facts: &ChainFacts,
) -> Result<(), TxError> {
    state.put(chain_id_key(), facts.chain_id.as_bytes().to_vec())?;
    state.put(max_gas_key(), facts.max_block_gas.to_be_bytes().to_vec())?;
    let mut age = facts.evidence_max_age_blocks.to_be_bytes().to_vec();
    age.extend_from_slice(&facts.evidence_max_age_secs.to_be_bytes());
    state.put(evidence_age_key(), age)?;
    state.put(
        vote_extensions_key(),
        facts.vote_extensions_enable_height.to_be_bytes().to_vec(),
    )
}

pub(super) fn load_chain_facts(state: &dyn StateRead) -> anyhow::Result<ChainFacts> {
    let chain_id = match state
        .get(&chain_id_key())
        .map_err(|e| anyhow::anyhow!(e.log))?
    {
        None => {
            return Ok(ChainFacts {
                chain_id: String::new(),
                max_block_gas: -1,
                ..ChainFacts::default()
            })
        }
        Some(b) => String::from_utf8(b)?,
    };
    let max_block_gas = match state
        .get(&max_gas_key())
        .map_err(|e| anyhow::anyhow!(e.log))?
    {
        None => -1,
        Some(b) => i64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| anyhow::anyhow!("corrupt max gas"))?,
        ),
    };
    // A chain started before the evidence age was stored has CometBFT's defaults.
    let (evidence_max_age_blocks, evidence_max_age_secs) = match state
        .get(&evidence_age_key())
        .map_err(|e| anyhow::anyhow!(e.log))?
    {
        None => (
            super::consensus::DEFAULT_EVIDENCE_MAX_AGE_BLOCKS,
            super::consensus::DEFAULT_EVIDENCE_MAX_AGE_SECS,
        ),
        Some(b) if b.len() == 16 => {
            let (blocks, secs) = b.split_at(8);
            (
                i64::from_be_bytes(blocks.try_into()?),
                i64::from_be_bytes(secs.try_into()?),
            )
        }
        Some(_) => anyhow::bail!("corrupt stored evidence max age"),
    };
    // A chain started before vote extensions existed never enabled them (0).
    let vote_extensions_enable_height = match state
        .get(&vote_extensions_key())
        .map_err(|e| anyhow::anyhow!(e.log))?
    {
        None => 0,
        Some(b) => i64::from_be_bytes(
            b.as_slice()
                .try_into()
                .map_err(|_| anyhow::anyhow!("corrupt stored vote extensions enable height"))?,
        ),
    };
    Ok(ChainFacts {
        chain_id,
        max_block_gas,
        evidence_max_age_blocks,
        evidence_max_age_secs,
        vote_extensions_enable_height,
    })
}

/// Runs every module's genesis and returns the gentxs of `genutil` (run after it, by
/// `consensus::genesis_validators`). Sections for unknown modules are an error, not ignored.
pub fn init(
    modules: &[Box<dyn Module>],
    state: &mut dyn StateWrite,
    app_state: &[u8],
) -> Result<Vec<Vec<u8>>, TxError> {
    let json: serde_json::Value = if app_state.is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_slice(app_state)
            .map_err(|e| sdk::invalid_request(format!("app_state is not JSON: {e}")))?
    };
    let obj = json
        .as_object()
        .ok_or_else(|| sdk::invalid_request("app_state must be a JSON object"))?;
    for key in obj.keys() {
        if key != GENUTIL && !modules.iter().any(|m| m.name() == key) {
            return Err(sdk::invalid_request(format!(
                "app_state has unknown module {key:?}"
            )));
        }
    }
    let empty = serde_json::json!({});
    for m in modules {
        m.init_genesis(state, obj.get(m.name()).unwrap_or(&empty))?;
    }
    super::consensus::parse_gentxs(obj.get(GENUTIL)).map_err(sdk::invalid_request)
}

/// The app_state section of the genesis transactions (the SDK's genutil module, which
/// keeps no state: its txs run once, at InitChain).
pub const GENUTIL: &str = "genutil";

pub fn export(
    modules: &[Box<dyn Module>],
    state: &dyn StateRead,
) -> anyhow::Result<serde_json::Value> {
    let mut out = serde_json::Map::new();
    for m in modules {
        out.insert(
            m.name().to_string(),
            m.export_genesis(state)
                .map_err(|e| anyhow::anyhow!(e.log))?,
        );
    }
    Ok(serde_json::Value::Object(out))
}

/// The app_state of a new chain: default params and the udeai metadata.
pub fn app_state_default() -> serde_json::Value {
    serde_json::json!({
        "auth": deai_auth::GenesisState::default(),
        "bank": deai_bank::GenesisState {
            denom_metadata: vec![deai_bank::default_metadata()],
            ..Default::default()
        },
    })
}
