//! What every module's genesis shares: its `app_state.<module>` section is the proto3 JSON
//! of the module's `GenesisState` message (as the Cosmos SDK writes it), and an escrowing
//! module checks at import that its module account holds exactly the sum of its records.

use std::collections::BTreeMap;

use prost_reflect::{DynamicMessage, ReflectMessage, SerializeOptions};

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use crate::{sdk, Coin, TxError};

/// Parses a module's `app_state` section (`{}` or null: the default); `invalid` makes the
/// module's own invalid-genesis error.
pub fn from_json<M: ReflectMessage + Default>(
    json: &serde_json::Value,
    invalid: impl Fn(String) -> TxError,
) -> Result<M, TxError> {
    if json.is_null() {
        return Ok(M::default());
    }
    let desc = M::default().descriptor();
    let dynamic = DynamicMessage::deserialize(desc, json.clone())
        .map_err(|e| invalid(format!("cannot parse: {e}")))?;
    dynamic
        .transcode_to::<M>()
        .map_err(|e| invalid(format!("cannot decode: {e}")))
}

/// The proto3 JSON of a genesis state, with proto field names and default fields written.
pub fn to_json<M: ReflectMessage>(m: &M) -> Result<serde_json::Value, TxError> {
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false);
    m.transcode_to_dynamic()
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|e| sdk::internal(format!("cannot write genesis: {e}")))
}

/// A module's genesis params: validated by `from_proto`, the defaults when absent.
pub fn params<P, T: Default, E: Into<TxError>>(
    p: &Option<P>,
    from_proto: impl FnOnce(&P) -> Result<T, E>,
) -> Result<T, TxError> {
    match p {
        Some(p) => from_proto(p).map_err(Into::into),
        None => Ok(T::default()),
    }
}

/// A coin field a genesis record must have (`what` names it in the error `invalid` makes).
pub fn required_coin(
    c: &Option<ProtoCoin>,
    what: &str,
    invalid: impl Fn(String) -> TxError,
) -> Result<Coin, TxError> {
    Coin::from_proto(
        c.as_ref()
            .ok_or_else(|| invalid(format!("{what} is required")))?,
    )
}

/// Per-denom sums of what a module's records say its module account holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Held(BTreeMap<String, u128>);

impl Held {
    pub fn add(&mut self, c: &Coin) -> Result<(), TxError> {
        let s = self.0.entry(c.denom.clone()).or_insert(0);
        *s = s
            .checked_add(c.amount)
            .ok_or_else(|| sdk::overflow("escrowed total overflows"))?;
        Ok(())
    }

    /// Whether `balances` (the module account's) is exactly these sums (zero sums ignored).
    pub fn matches(&self, balances: &[Coin]) -> bool {
        let mut want = self.0.clone();
        want.retain(|_, v| *v > 0);
        let have: BTreeMap<String, u128> = balances
            .iter()
            .filter(|c| c.amount > 0)
            .map(|c| (c.denom.clone(), c.amount))
            .collect();
        have == want
    }

    pub fn sums(&self) -> &BTreeMap<String, u128> {
        &self.0
    }
}
