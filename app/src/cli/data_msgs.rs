//! The arguments of `deaid tx data …` dataset and grant commands (publish, update, buy,
//! redeem, deliver-key), the messages they make (see [`BuildMsg`]), and the parsers of the
//! values only the data market has (prices that may be zero, access kinds, wrapped keys).

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use deai_framework::coins::parse_amount;
use deai_framework::Coin;
use deai_proto::data::v1 as pb;

use super::parse::{address, hex32, rate, BuildMsg, Hash};
use super::training_msgs::uri;

/// A price: exactly one coin, which may be zero (a zero-priced dataset is a free dispenser,
/// docs/data.md), e.g. `1000udeai` or `0udeai`.
pub fn price(s: &str) -> anyhow::Result<ProtoCoin> {
    let bad = || anyhow::anyhow!("expected one coin such as 1000udeai (or 0udeai), got {s:?}");
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (amount, denom) = s.split_at(split);
    let amount = parse_amount(amount).map_err(|_| bad())?;
    let c = Coin::new(denom, amount).map_err(|e| anyhow::anyhow!("{}: {}", bad(), e.log))?;
    Ok(c.to_proto())
}

/// A data key wrapped to the grantee's account key: 1 to 256 bytes in hex (an optional `0x`
/// prefix is allowed).
pub fn wrapped_key(s: &str) -> anyhow::Result<Hash> {
    const MAX: usize = deai_data::MAX_WRAPPED_KEY_BYTES;
    let h = s.strip_prefix("0x").unwrap_or(s);
    let bytes = hex::decode(h)
        .map_err(|_| anyhow::anyhow!("expected 1 to {MAX} bytes in hex, got {s:?}"))?;
    anyhow::ensure!(
        (1..=MAX).contains(&bytes.len()),
        "a wrapped key is 1 to {MAX} bytes (2 to {} hex characters), got {} bytes",
        2 * MAX,
        bytes.len()
    );
    Ok(Hash(bytes))
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessArg {
    /// The file is public at the provider; a token buys the right to fetch it.
    Open,
    /// Stored encrypted; the provider delivers each grantee the data key (deliver-key).
    Encrypted,
    /// Never leaves the provider: only compute orders it leases can use it.
    #[value(alias = "compute_to_data")]
    ComputeToData,
}

impl AccessArg {
    pub fn to_proto(self) -> pb::Access {
        match self {
            AccessArg::Open => pb::Access::Open,
            AccessArg::Encrypted => pb::Access::Encrypted,
            AccessArg::ComputeToData => pb::Access::ComputeToData,
        }
    }
}

/// A dataset's metadata fields; the chain takes them as one JSON object of strings.
#[derive(clap::Args, Clone, Debug)]
pub struct MetadataArgs {
    /// The dataset's name (also the description of its datatoken denom). With `update`, the
    /// metadata flags replace the whole metadata; without --name it is unchanged.
    #[arg(long, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub name: Option<String>,
    /// Free text.
    #[arg(long, requires = "name")]
    pub description: Option<String>,
    /// The data's schema, free text (e.g. the CSV header).
    #[arg(long, requires = "name")]
    pub schema: Option<String>,
    /// The license, e.g. CC-BY-4.0.
    #[arg(long, requires = "name")]
    pub license: Option<String>,
}

impl MetadataArgs {
    /// The metadata JSON (the given fields only; serde_json escapes them), or the empty string
    /// when no --name is given, which the chain reads as "unchanged".
    pub fn json(&self) -> anyhow::Result<String> {
        let Some(name) = &self.name else {
            return Ok(String::new());
        };
        let mut m = serde_json::Map::new();
        m.insert("name".into(), name.clone().into());
        for (k, v) in [
            ("description", &self.description),
            ("schema", &self.schema),
            ("license", &self.license),
        ] {
            if let Some(v) = v {
                m.insert(k.into(), v.clone().into());
            }
        }
        let json = serde_json::Value::Object(m).to_string();
        // The chain's bound is the max_metadata_bytes param; this is its hard cap.
        let cap = deai_data::MAX_METADATA_BYTES_CAP as usize;
        anyhow::ensure!(
            json.len() <= cap,
            "the metadata JSON is {} bytes, above the chain's cap of {cap}",
            json.len()
        );
        Ok(json)
    }
}

#[derive(clap::Args, Clone, Debug)]
#[command(group(clap::ArgGroup::new("publish_name").args(["name"]).required(true)))]
pub struct Publish {
    /// sha256 of the plaintext file, 64 hex characters.
    #[arg(long, value_parser = hex32)]
    pub content_sha256: Hash,
    /// The file's size in bytes.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub size: u64,
    #[command(flatten)]
    pub metadata: MetadataArgs,
    /// Per access token, in the bond denom, e.g. 1000udeai (0udeai: a free dispenser).
    #[arg(long, value_parser = price)]
    pub price: ProtoCoin,
    /// Where the provider's artifact server answers, e.g. http://127.0.0.1:8090.
    #[arg(long, value_parser = uri)]
    pub host_uri: String,
    #[arg(long, value_enum)]
    pub access: AccessArg,
    /// The provider's address (paid its fee, delivers keys); by default the signer.
    #[arg(long, value_parser = address)]
    pub provider: Option<String>,
}

impl BuildMsg for Publish {
    type Msg = pb::MsgPublishDataset;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgPublishDataset> {
        Ok(pb::MsgPublishDataset {
            publisher: signer.into(),
            content_sha256: self.content_sha256.0.clone(),
            size: self.size,
            metadata: self.metadata.json()?,
            price: Some(self.price.clone()),
            provider: Some(pb::Provider {
                address: self.provider.clone().unwrap_or_else(|| signer.into()),
                host_uri: self.host_uri.clone(),
            }),
            access: self.access.to_proto() as i32,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Update {
    /// The dataset's id.
    pub dataset_id: u64,
    // Replaces the whole metadata (fields not given are dropped) when --name is given.
    #[command(flatten)]
    pub metadata: MetadataArgs,
    /// A new price per token (0udeai: a free dispenser).
    #[arg(long, value_parser = price)]
    pub price: Option<ProtoCoin>,
    /// A new host of the provider's artifact server.
    #[arg(long, value_parser = uri)]
    pub host_uri: Option<String>,
    /// Stop new purchases. The chain always sets the flag: an update without --disable
    /// enables the dataset again.
    #[arg(long)]
    pub disable: bool,
}

impl BuildMsg for Update {
    type Msg = pb::MsgUpdateDataset;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgUpdateDataset> {
        Ok(pb::MsgUpdateDataset {
            publisher: signer.into(),
            dataset_id: self.dataset_id,
            metadata: self.metadata.json()?,
            price: self.price.clone(),
            provider_host_uri: self.host_uri.clone().unwrap_or_default(),
            disabled: self.disable,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Buy {
    /// The dataset's id.
    pub dataset_id: u64,
    /// Tokens to buy (at most the max_buy_count param).
    #[arg(long, default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=deai_data::MAX_BUY_COUNT_CAP))]
    pub count: u64,
    /// The most paid per token, e.g. 1000udeai (0udeai for a free dispenser).
    #[arg(long, value_parser = price)]
    pub max_price: ProtoCoin,
    /// The consume market (e.g. the app the buyer came through), paid --consume-market-fee.
    #[arg(long, value_parser = address)]
    pub consume_market: Option<String>,
    /// The consume market's share of the payment, a decimal in (0, 1] such as 0.01 (at most
    /// the max_consume_market_fee param).
    #[arg(long, value_parser = rate, requires = "consume_market")]
    pub consume_market_fee: Option<String>,
}

impl BuildMsg for Buy {
    type Msg = pb::MsgBuyAccess;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgBuyAccess> {
        Ok(pb::MsgBuyAccess {
            buyer: signer.into(),
            dataset_id: self.dataset_id,
            count: self.count,
            max_price: Some(self.max_price.clone()),
            consume_market: self.consume_market.clone().unwrap_or_default(),
            consume_market_fee: self.consume_market_fee.clone().unwrap_or_default(),
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct Redeem {
    /// The dataset's id.
    pub dataset_id: u64,
}

impl BuildMsg for Redeem {
    type Msg = pb::MsgRedeemAccess;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgRedeemAccess> {
        Ok(pb::MsgRedeemAccess {
            grantee: signer.into(),
            dataset_id: self.dataset_id,
        })
    }
}

#[derive(clap::Args, Clone, Debug)]
pub struct DeliverKey {
    /// The grant's id (from EventAccessRedeemed).
    pub grant_id: u64,
    /// The data key wrapped to the grantee's account key (ECIES), 1 to 256 bytes in hex.
    #[arg(long, value_parser = wrapped_key)]
    pub wrapped_key: Hash,
}

impl BuildMsg for DeliverKey {
    type Msg = pb::MsgDeliverKey;
    fn build(&self, signer: &str) -> anyhow::Result<pb::MsgDeliverKey> {
        Ok(pb::MsgDeliverKey {
            provider: signer.into(),
            grant_id: self.grant_id,
            wrapped_key: self.wrapped_key.0.clone(),
        })
    }
}
