//! What the module commands (`tx compute …`, `tx inference …`, their queries) share: parsers
//! of command-line values (clap `value_parser`s: coins, addresses, 32-byte hex hashes,
//! `key=value` attributes, page requests), which check the shape only (the chain stays the
//! authority on what it accepts); [`Signed`] commands and [`send`]; and [`show`], a query
//! printed as proto3 JSON.

use std::path::Path;

use cosmos_sdk_proto::cosmos::base::query::v1beta1::PageRequest;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use prost_reflect::ReflectMessage;

use deai_client::txbuilder::to_any;
use deai_framework::{Address, Coins};
use deai_proto::compute::v1::Attribute;

use super::output::{print, proto_json, OutputFormat};
use super::query_cmd::querier;
use super::tx_cmd::{sign_and_send_annotated, Annotate, TxArgs};
use super::NodeArgs;

/// A module's tx command: the key that signs (and whose address is the message's first
/// field), the message's own arguments, and the common tx flags.
#[derive(clap::Args, Debug)]
pub struct Signed<T: clap::Args> {
    /// Key name (or its address) that signs and pays.
    pub from: String,
    #[command(flatten)]
    pub msg: T,
    #[command(flatten)]
    pub tx: TxArgs,
}

/// Arguments that make one message, given its signer's address.
pub trait BuildMsg {
    type Msg: prost::Message + prost::Name;
    fn build(&self, signer: &str) -> anyhow::Result<Self::Msg>;
}

/// Builds the message of a [`Signed`] command, signs and broadcasts it.
pub fn send<T: clap::Args + BuildMsg>(
    home: &Path,
    s: Signed<T>,
    out: OutputFormat,
) -> anyhow::Result<()> {
    send_annotated(home, s, out, |_| Vec::new())
}

/// [`send`], printing the fields `annotate` reads from the response too.
pub fn send_annotated<T: clap::Args + BuildMsg>(
    home: &Path,
    s: Signed<T>,
    out: OutputFormat,
    annotate: Annotate,
) -> anyhow::Result<()> {
    sign_and_send_annotated(
        home,
        &s.from,
        &s.tx,
        out,
        |signer| Ok(vec![to_any(&s.msg.build(signer)?)]),
        annotate,
    )
}

/// Calls the query method at gRPC path `path` and prints its response as proto3 JSON.
pub async fn show<Req, Res>(
    node: &NodeArgs,
    path: &str,
    req: Req,
    out: OutputFormat,
) -> anyhow::Result<()>
where
    Req: prost::Message + Clone + 'static,
    Res: prost::Message + ReflectMessage + Default + 'static,
{
    let res: Res = querier(node).await?.query(path, &req, node.height).await?;
    print(&proto_json(&res)?, out);
    Ok(())
}

/// Calls an SDK query method (its response a cosmos-sdk-proto type) and prints the answer
/// as the REST API's Cosmos JSON (the descriptors the node's API serves).
pub async fn show_sdk<Req, Res>(
    node: &NodeArgs,
    path: &str,
    req: Req,
    out: OutputFormat,
) -> anyhow::Result<()>
where
    Req: prost::Message + Clone + 'static,
    Res: prost::Message + prost::Name + Default + 'static,
{
    let res: Res = querier(node).await?.query(path, &req, node.height).await?;
    let pool = deai_api::descriptors::pool()?;
    let name = Res::full_name();
    let desc = pool
        .get_message_by_name(&name)
        .ok_or_else(|| anyhow::anyhow!("no descriptor for {name}"))?;
    let v = deai_api::rest::to_json(desc, &res.encode_to_vec())
        .map_err(|s| anyhow::anyhow!("cannot write {name} as JSON: {}", s.message()))?;
    print(&v, out);
    Ok(())
}

/// A decimal fraction given on the command line (`0.1`) as the SDK's staking messages carry
/// it on the wire.
pub fn wire_dec(s: &str, what: &str) -> anyhow::Result<String> {
    let d =
        deai_framework::dec::Dec::parse(s.trim()).map_err(|e| anyhow::anyhow!("--{what}: {e}"))?;
    Ok(d.to_string())
}

/// Exactly one positive coin, e.g. `1000udeai`.
pub fn coin(s: &str) -> anyhow::Result<ProtoCoin> {
    let coins = Coins::parse(s).map_err(|e| anyhow::anyhow!(e.log))?;
    let mut coins = coins.to_proto();
    anyhow::ensure!(
        coins.len() == 1,
        "expected one positive coin such as 1000udeai, got {s:?}"
    );
    Ok(coins.remove(0))
}

/// A bech32 account address (`deai1…`).
pub fn address(s: &str) -> anyhow::Result<String> {
    Address::from_bech32(s)
        .map(|a| a.to_bech32())
        .map_err(|e| anyhow::anyhow!(e.log))
}

/// Bytes of a hash given in hex (a newtype, so that clap does not take `Vec<u8>` for a list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hash(pub Vec<u8>);

/// A 32-byte hash as 64 hex characters (an optional `0x` prefix is allowed).
pub fn hex32(s: &str) -> anyhow::Result<Hash> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    let bytes =
        hex::decode(h).map_err(|_| anyhow::anyhow!("expected 64 hex characters, got {s:?}"))?;
    anyhow::ensure!(
        bytes.len() == 32,
        "expected a 32-byte hash (64 hex characters), got {} bytes",
        bytes.len()
    );
    Ok(Hash(bytes))
}

/// [`hex32`], or nothing for the empty string.
pub fn hex32_or_empty(s: &str) -> anyhow::Result<Hash> {
    if s.is_empty() {
        Ok(Hash(Vec::new()))
    } else {
        hex32(s)
    }
}

/// One `key=value` attribute; both sides non-empty.
pub fn attribute(s: &str) -> anyhow::Result<Attribute> {
    let (key, value) = s
        .split_once('=')
        .ok_or_else(|| anyhow::anyhow!("expected key=value, got {s:?}"))?;
    let (key, value) = (key.trim(), value.trim());
    anyhow::ensure!(
        !key.is_empty() && !value.is_empty(),
        "expected key=value with both non-empty, got {s:?}"
    );
    Ok(Attribute {
        key: key.into(),
        value: value.into(),
    })
}

/// Attributes with distinct keys.
pub fn distinct_attributes(attrs: &[Attribute]) -> anyhow::Result<Vec<Attribute>> {
    let mut keys: Vec<&str> = attrs.iter().map(|a| a.key.as_str()).collect();
    keys.sort_unstable();
    if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
        anyhow::bail!("attribute {:?} is given twice", w[0]);
    }
    Ok(attrs.to_vec())
}

/// A decimal in (0, 1], such as `0.1`, kept as written.
pub fn rate(s: &str) -> anyhow::Result<String> {
    let ok = !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.matches('.').count() <= 1
        && !s.starts_with('.')
        && !s.ends_with('.')
        && s.parse::<f64>().is_ok_and(|r| r > 0.0 && r <= 1.0);
    anyhow::ensure!(ok, "expected a decimal in (0, 1] such as 0.1, got {s:?}");
    Ok(s.into())
}

/// Pagination flags of list queries.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct PageArgs {
    /// Start at this key (the `next_key` of the previous page, base64).
    #[arg(long)]
    pub page_key: Option<String>,
    /// Skip this many entries (instead of --page-key).
    #[arg(long, default_value_t = 0)]
    pub offset: u64,
    /// Most entries to return (0: the node's default, 100).
    #[arg(long, default_value_t = 0)]
    pub limit: u64,
    /// Also count every matching entry (pagination.total).
    #[arg(long)]
    pub count_total: bool,
    /// Newest first.
    #[arg(long)]
    pub reverse: bool,
}

impl PageArgs {
    pub fn request(&self) -> anyhow::Result<Option<PageRequest>> {
        use base64::Engine;
        let key = match &self.page_key {
            Some(k) => base64::engine::general_purpose::STANDARD
                .decode(k)
                .map_err(|_| anyhow::anyhow!("--page-key must be base64, got {k:?}"))?,
            None => Vec::new(),
        };
        anyhow::ensure!(
            key.is_empty() || self.offset == 0,
            "give --page-key or --offset, not both"
        );
        Ok(Some(PageRequest {
            key,
            offset: self.offset,
            limit: self.limit,
            count_total: self.count_total,
            reverse: self.reverse,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err<T: std::fmt::Debug>(r: anyhow::Result<T>) -> String {
        r.unwrap_err().to_string()
    }

    #[test]
    fn coins_and_addresses() {
        let c = coin("1000udeai").unwrap();
        assert_eq!((c.denom.as_str(), c.amount.as_str()), ("udeai", "1000"));
        assert!(err(coin("1udeai,2uatom")).contains("one positive coin"));
        assert!(coin("udeai").is_err() && coin("").is_err() && coin("-5udeai").is_err());
        let a = Address::from_bytes(&[7; 20]).unwrap().to_bech32();
        assert_eq!(address(&a).unwrap(), a);
        assert!(address("cosmos1xyz").is_err());
    }

    #[test]
    fn hashes() {
        let h = "ab".repeat(32);
        assert_eq!(hex32(&h).unwrap().0, vec![0xab; 32]);
        assert_eq!(
            hex32(&format!("0x{}", h.to_uppercase())).unwrap().0,
            vec![0xab; 32]
        );
        assert!(err(hex32("abcd")).contains("got 2 bytes"));
        assert!(err(hex32(&"zz".repeat(32))).contains("64 hex characters"));
        assert!(hex32("").is_err());
        assert_eq!(hex32_or_empty("").unwrap(), Hash(Vec::new()));
        assert!(hex32_or_empty("00").is_err());
    }

    #[test]
    fn attributes_and_rates() {
        let a = attribute("region=eu").unwrap();
        assert_eq!((a.key.as_str(), a.value.as_str()), ("region", "eu"));
        assert_eq!(attribute("url=a=b").unwrap().value, "a=b");
        for bad in ["region", "=eu", "region=", ""] {
            assert!(err(attribute(bad)).contains("key=value"), "{bad}");
        }
        let twice = [attribute("a=1").unwrap(), attribute("a=2").unwrap()];
        assert!(err(distinct_attributes(&twice)).contains("\"a\" is given twice"));
        assert_eq!(rate("0.1").unwrap(), "0.1");
        assert_eq!(rate("1").unwrap(), "1");
        for bad in ["0", "1.5", "1.", "-0.1", ".5", "0.1.2", "1e-1", "nan", ""] {
            assert!(rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn pages() {
        let p = PageArgs {
            page_key: Some("AAE=".into()),
            limit: 5,
            ..Default::default()
        };
        let r = p.request().unwrap().unwrap();
        assert_eq!((r.key, r.limit), (vec![0, 1], 5));
        let both = PageArgs {
            offset: 3,
            ..p.clone()
        };
        assert!(err(both.request()).contains("not both"));
        let bad = PageArgs {
            page_key: Some("!".into()),
            ..Default::default()
        };
        assert!(err(bad.request()).contains("base64"));
    }
}
