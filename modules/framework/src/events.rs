//! ABCI events, built by modules and converted to CometBFT's type by the app, and typed
//! events: a proto message emitted as an event, as the Cosmos SDK's `EmitTypedEvent` does.

use prost_reflect::{DynamicMessage, Kind, ReflectMessage, SerializeOptions};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            attributes: Vec::new(),
        }
    }

    pub fn attr(mut self, key: impl Into<String>, value: impl ToString) -> Self {
        self.attributes.push((key.into(), value.to_string()));
        self
    }
}

/// The ABCI event of a typed event, as the Cosmos SDK's `EmitTypedEvent` builds it: its type
/// is the message's proto full name (`deai.compute.v1.EventOrderCreated`) and it has one
/// attribute per field, keys sorted, each value the field's proto3 JSON (proto field
/// names, defaults included and an unset message as `null`, as jsonpb's `EmitDefaults`
/// writes them; 64-bit integers as strings, bytes as base64, enums by name; a string value
/// keeps its quotes, so `"deai1..."`).
///
/// deai-proto's generated messages implement [`ReflectMessage`]. Converting can only fail
/// for an `Any` whose type is unknown to the message's descriptor pool, which no event
/// holds; such a message still yields a deterministic event, with one `error` attribute.
pub fn typed_event<M: ReflectMessage>(msg: &M) -> Event {
    let dynamic = msg.transcode_to_dynamic();
    let mut event = Event::new(dynamic.descriptor().full_name());
    let options = SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false);
    match dynamic.serialize_with_options(serde_json::value::Serializer, &options) {
        Ok(serde_json::Value::Object(mut fields)) => {
            // jsonpb's EmitDefaults writes an unset message field as null (not in a oneof).
            for f in dynamic.descriptor().fields() {
                let unset_message = matches!(f.kind(), Kind::Message(_))
                    && !f.is_list()
                    && !f.is_map()
                    && f.containing_oneof().is_none();
                if unset_message && !fields.contains_key(f.name()) {
                    fields.insert(f.name().to_string(), serde_json::Value::Null);
                }
            }
            let mut fields: Vec<_> = fields.into_iter().collect();
            fields.sort_by(|a, b| a.0.cmp(&b.0));
            for (key, value) in fields {
                event.attributes.push((key, value.to_string()));
            }
        }
        Ok(other) => event.attributes.push(("error".into(), other.to_string())),
        Err(e) => event.attributes.push((
            "error".into(),
            serde_json::Value::String(e.to_string()).to_string(),
        )),
    }
    event
}

/// Reads a typed event back (the SDK's `ParseTypedEvent`): checks its type and decodes its
/// JSON attributes into `M`.
pub fn parse_typed_event<M: ReflectMessage + Default>(event: &Event) -> Result<M, String> {
    let descriptor = M::default().descriptor();
    if event.kind != descriptor.full_name() {
        return Err(format!(
            "event {} is not a {}",
            event.kind,
            descriptor.full_name()
        ));
    }
    let mut fields = serde_json::Map::new();
    for (key, value) in &event.attributes {
        let v: serde_json::Value = serde_json::from_str(value)
            .map_err(|e| format!("attribute {key} of {} is not JSON: {e}", event.kind))?;
        fields.insert(key.clone(), v);
    }
    let dynamic = DynamicMessage::deserialize(descriptor, serde_json::Value::Object(fields))
        .map_err(|e| format!("invalid {}: {e}", event.kind))?;
    dynamic
        .transcode_to::<M>()
        .map_err(|e| format!("invalid {}: {e}", event.kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmos_sdk_proto::cosmos::base::v1beta1::Coin;
    use deai_proto::compute::v1 as compute;

    fn order_created() -> compute::EventOrderCreated {
        compute::EventOrderCreated {
            order_id: 7,
            owner: "deai1owner".into(),
            spec_sha256: vec![0xab; 4],
            max_price_per_block: Some(Coin {
                denom: "udeai".into(),
                amount: "3".into(),
            }),
            deposit: None,
            redundancy: 2,
            verification: compute::VerificationMode::Redundant as i32,
            bid_deadline: 0,
        }
    }

    #[test]
    fn a_typed_event_is_the_sdks_emit_typed_event() {
        let e = typed_event(&order_created());
        assert_eq!(e.kind, "deai.compute.v1.EventOrderCreated");
        let attrs: Vec<(&str, &str)> = e
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            attrs,
            vec![
                ("bid_deadline", r#""0""#),
                ("deposit", "null"),
                ("max_price_per_block", r#"{"amount":"3","denom":"udeai"}"#),
                ("order_id", r#""7""#),
                ("owner", r#""deai1owner""#),
                ("redundancy", "2"),
                ("spec_sha256", r#""q6urqw==""#),
                ("verification", r#""VERIFICATION_MODE_REDUNDANT""#),
            ]
        );
    }

    #[test]
    fn a_typed_event_parses_back_and_a_wrong_type_is_refused() {
        let m = order_created();
        let e = typed_event(&m);
        assert_eq!(parse_typed_event::<compute::EventOrderCreated>(&e), Ok(m));
        assert!(parse_typed_event::<compute::EventOrderClosed>(&e).is_err());
        let repeated = compute::EventOrderLeased {
            order_id: 1,
            lease_ids: vec![4, 5],
            automatic: true,
        };
        let e = typed_event(&repeated);
        assert!(e
            .attributes
            .contains(&("lease_ids".into(), r#"["4","5"]"#.into())));
        assert_eq!(parse_typed_event(&e), Ok(repeated));
    }
}
