//! `deaid tx staking …` and `deaid tx slashing unjail`: simd's commands and arguments, with
//! deai's convention for the key (it comes first, as in every `deaid tx` command, where simd
//! has `--from`). Validator addresses are `deaivaloper1…`; the messages are the SDK's
//! (`cosmos.staking.v1beta1`, `cosmos.slashing.v1beta1`).

use std::path::{Path, PathBuf};

use clap::Subcommand;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::slashing::v1beta1 as slashing_pb;
use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use prost::Message as _;

use deai_framework::Address;

use super::output::OutputFormat;
use super::parse::{coin, send, wire_dec, BuildMsg, Signed};

#[derive(Subcommand, Debug)]
pub enum StakingTx {
    /// Create a validator from a JSON file, as simd's `create-validator`: {"pubkey":
    /// {"@type": "/cosmos.crypto.ed25519.PubKey", "key": "<base64>"}, "amount": "…udeai",
    /// "moniker", "identity", "website", "security", "details", "commission-rate",
    /// "commission-max-rate", "commission-max-change-rate", "min-self-delegation"}.
    /// `deaid comet show-validator` prints a node's pubkey in that shape.
    CreateValidator(Signed<CreateValidator>),
    /// Change a validator's description, commission rate or min self-delegation.
    EditValidator(Signed<EditValidator>),
    /// Delegate to a validator.
    Delegate(Signed<Delegate>),
    /// Move a delegation to another validator (no unbonding wait).
    Redelegate(Signed<Redelegate>),
    /// Undelegate: the tokens come back after the unbonding period.
    Unbond(Signed<Unbond>),
    /// Cancel an unbonding (the entry made at CREATION_HEIGHT), re-delegating its tokens.
    CancelUnbond(Signed<CancelUnbond>),
}

#[derive(Subcommand, Debug)]
pub enum SlashingTx {
    /// Release the signer's jailed validator (after its jail time).
    Unjail(Signed<Unjail>),
}

/// A validator operator address argument.
fn valoper(s: &str) -> anyhow::Result<String> {
    deai_staking::address::val_from_bech32(s)
        .map(|a| deai_staking::address::val_to_bech32(&a))
        .map_err(|e| anyhow::anyhow!(e.log))
}

/// The operator address of the signing account.
fn own_valoper(signer: &str) -> anyhow::Result<String> {
    let a = Address::from_bech32(signer).map_err(|e| anyhow::anyhow!(e.log))?;
    Ok(deai_staking::address::val_to_bech32(&a))
}

#[derive(clap::Args, Clone, Debug)]
pub struct CreateValidator {
    /// The validator's JSON file (see the command's help).
    pub validator_file: PathBuf,
}

/// simd's validator.json.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ValidatorFile {
    pubkey: serde_json::Value,
    amount: String,
    moniker: String,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    website: String,
    #[serde(default)]
    security: String,
    #[serde(default)]
    details: String,
    #[serde(rename = "commission-rate")]
    commission_rate: String,
    #[serde(rename = "commission-max-rate")]
    commission_max_rate: String,
    #[serde(rename = "commission-max-change-rate")]
    commission_max_change_rate: String,
    #[serde(rename = "min-self-delegation", default = "one")]
    min_self_delegation: String,
}

fn one() -> String {
    "1".into()
}

/// `{"@type": "/cosmos.crypto.ed25519.PubKey", "key": "<base64>"}` as an Any.
pub fn ed25519_pubkey_any(v: &serde_json::Value) -> anyhow::Result<cosmos_sdk_proto::Any> {
    use base64::Engine as _;
    anyhow::ensure!(
        v["@type"] == "/cosmos.crypto.ed25519.PubKey",
        "pubkey must be {{\"@type\": \"/cosmos.crypto.ed25519.PubKey\", \"key\": \"<base64>\"}}"
    );
    let key = base64::engine::general_purpose::STANDARD
        .decode(v["key"].as_str().unwrap_or_default())
        .map_err(|e| anyhow::anyhow!("pubkey.key is not base64: {e}"))?;
    anyhow::ensure!(key.len() == 32, "pubkey.key must be 32 bytes (ed25519)");
    Ok(cosmos_sdk_proto::Any {
        type_url: "/cosmos.crypto.ed25519.PubKey".into(),
        value: cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey { key }.encode_to_vec(),
    })
}

impl BuildMsg for CreateValidator {
    type Msg = pb::MsgCreateValidator;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        let path = &self.validator_file;
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        let f: ValidatorFile =
            serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        #[allow(deprecated)] // delegator_address: empty, as SDK v0.50 sends it
        Ok(pb::MsgCreateValidator {
            description: Some(pb::Description {
                moniker: f.moniker,
                identity: f.identity,
                website: f.website,
                security_contact: f.security,
                details: f.details,
            }),
            commission: Some(pb::CommissionRates {
                rate: wire_dec(&f.commission_rate, "commission-rate")?,
                max_rate: wire_dec(&f.commission_max_rate, "commission-max-rate")?,
                max_change_rate: wire_dec(
                    &f.commission_max_change_rate,
                    "commission-max-change-rate",
                )?,
            }),
            min_self_delegation: f.min_self_delegation,
            delegator_address: String::new(),
            validator_address: own_valoper(signer)?,
            pubkey: Some(ed25519_pubkey_any(&f.pubkey)?),
            value: Some(coin(&f.amount)?),
        })
    }
}

/// simd's "do not modify" marker for description fields.
const DO_NOT_MODIFY: &str = "[do-not-modify]";

#[derive(clap::Args, Clone, Debug)]
pub struct EditValidator {
    #[arg(long, default_value = DO_NOT_MODIFY)]
    pub new_moniker: String,
    #[arg(long, default_value = DO_NOT_MODIFY)]
    pub identity: String,
    #[arg(long, default_value = DO_NOT_MODIFY)]
    pub website: String,
    #[arg(long, default_value = DO_NOT_MODIFY)]
    pub security_contact: String,
    #[arg(long, default_value = DO_NOT_MODIFY)]
    pub details: String,
    /// New commission rate (at most once a day, by at most the max change rate).
    #[arg(long)]
    pub commission_rate: Option<String>,
    #[arg(long)]
    pub min_self_delegation: Option<String>,
}

impl BuildMsg for EditValidator {
    type Msg = pb::MsgEditValidator;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgEditValidator {
            description: Some(pb::Description {
                moniker: self.new_moniker.clone(),
                identity: self.identity.clone(),
                website: self.website.clone(),
                security_contact: self.security_contact.clone(),
                details: self.details.clone(),
            }),
            validator_address: own_valoper(signer)?,
            commission_rate: self
                .commission_rate
                .as_deref()
                .map(|r| wire_dec(r, "commission-rate"))
                .transpose()?
                .unwrap_or_default(),
            min_self_delegation: self.min_self_delegation.clone().unwrap_or_default(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Delegate {
    #[arg(value_parser = valoper)]
    pub validator: String,
    #[arg(value_parser = coin)]
    pub amount: ProtoCoin,
}

impl BuildMsg for Delegate {
    type Msg = pb::MsgDelegate;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgDelegate {
            delegator_address: signer.into(),
            validator_address: self.validator.clone(),
            amount: Some(self.amount.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Redelegate {
    #[arg(value_parser = valoper)]
    pub src_validator: String,
    #[arg(value_parser = valoper)]
    pub dst_validator: String,
    #[arg(value_parser = coin)]
    pub amount: ProtoCoin,
}

impl BuildMsg for Redelegate {
    type Msg = pb::MsgBeginRedelegate;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgBeginRedelegate {
            delegator_address: signer.into(),
            validator_src_address: self.src_validator.clone(),
            validator_dst_address: self.dst_validator.clone(),
            amount: Some(self.amount.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Unbond {
    #[arg(value_parser = valoper)]
    pub validator: String,
    #[arg(value_parser = coin)]
    pub amount: ProtoCoin,
}

impl BuildMsg for Unbond {
    type Msg = pb::MsgUndelegate;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgUndelegate {
            delegator_address: signer.into(),
            validator_address: self.validator.clone(),
            amount: Some(self.amount.clone()),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct CancelUnbond {
    #[arg(value_parser = valoper)]
    pub validator: String,
    #[arg(value_parser = coin)]
    pub amount: ProtoCoin,
    pub creation_height: i64,
}

impl BuildMsg for CancelUnbond {
    type Msg = pb::MsgCancelUnbondingDelegation;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(pb::MsgCancelUnbondingDelegation {
            delegator_address: signer.into(),
            validator_address: self.validator.clone(),
            amount: Some(self.amount.clone()),
            creation_height: self.creation_height,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Unjail {}

impl BuildMsg for Unjail {
    type Msg = slashing_pb::MsgUnjail;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg> {
        Ok(slashing_pb::MsgUnjail {
            validator_addr: own_valoper(signer)?,
        })
    }
}

pub fn run(home: &Path, cmd: StakingTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        StakingTx::CreateValidator(s) => send(home, s, out),
        StakingTx::EditValidator(s) => send(home, s, out),
        StakingTx::Delegate(s) => send(home, s, out),
        StakingTx::Redelegate(s) => send(home, s, out),
        StakingTx::Unbond(s) => send(home, s, out),
        StakingTx::CancelUnbond(s) => send(home, s, out),
    }
}

pub fn run_slashing(home: &Path, cmd: SlashingTx, out: OutputFormat) -> anyhow::Result<()> {
    match cmd {
        SlashingTx::Unjail(s) => send(home, s, out),
    }
}
