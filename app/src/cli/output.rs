//! Printing results as JSON (`--output json`) or as YAML-like text, the way Cosmos CLIs do.

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// The proto3 JSON of a deai message, as the REST API and typed events write it: proto field
/// names, default values included, 64-bit integers as strings, bytes as base64, enums by name.
pub fn proto_json<M: prost_reflect::ReflectMessage>(msg: &M) -> anyhow::Result<Value> {
    let options = prost_reflect::SerializeOptions::new()
        .use_proto_field_name(true)
        .skip_default_fields(false);
    msg.transcode_to_dynamic()
        .serialize_with_options(serde_json::value::Serializer, &options)
        .map_err(|e| anyhow::anyhow!("cannot write {} as JSON: {e}", msg.descriptor().full_name()))
}

pub fn print(value: &Value, format: OutputFormat) {
    match format {
        OutputFormat::Json => println!("{value}"),
        OutputFormat::Text => {
            let mut s = String::new();
            yaml(value, 0, &mut s);
            print!("{s}");
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn yaml(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(m) if !m.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml(v, indent + 2, out);
                    }
                    Value::Array(a) if !a.is_empty() => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        yaml(v, indent, out);
                    }
                    Value::Array(_) => out.push_str(&format!("{pad}{k}: []\n")),
                    Value::Object(_) => out.push_str(&format!("{pad}{k}: {{}}\n")),
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                let mut inner = String::new();
                yaml(item, indent + 2, &mut inner);
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        let trimmed = inner.trim_start();
                        out.push_str(&format!("{pad}- {trimmed}"));
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar(item))),
                }
            }
        }
        _ => out.push_str(&format!("{pad}{}\n", scalar(v))),
    }
}
