use serde::{Deserialize, Serialize};

/// bank params. Per-denom switches live in their own table (`send_enabled` in genesis),
/// as in SDK v0.50; the deprecated list inside params must be empty.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    #[serde(default)]
    pub send_enabled: Vec<serde_json::Value>,
    pub default_send_enabled: bool,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            send_enabled: Vec::new(),
            default_send_enabled: true,
        }
    }
}
