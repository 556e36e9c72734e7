//! deaid's `App` as the backend of the gRPC and REST servers (crate deai-api). Every call
//! lands on the same functions that answer ABCI queries, so there is one implementation.

use deai_framework::{sdk, TxError};

use super::query::MAX_QUERY_BYTES;
use super::App;

impl deai_api::Backend for App {
    fn query(&self, path: &str, data: &[u8], height: u64) -> Result<Vec<u8>, TxError> {
        if data.len() > MAX_QUERY_BYTES {
            return Err(sdk::invalid_request("query data too large"));
        }
        if path == super::SIMULATE_PATH {
            return App::simulate(self, data);
        }
        self.query_grpc(path, data, height)
    }

    fn simulate(&self, request: &[u8]) -> Result<Vec<u8>, TxError> {
        if request.len() > MAX_QUERY_BYTES {
            return Err(sdk::tx_too_large("simulate request too large"));
        }
        App::simulate(self, request)
    }

    fn latest_height(&self) -> u64 {
        self.storage().latest_version().unwrap_or(0)
    }

    fn chain_id(&self) -> String {
        App::chain_id(self)
    }

    fn minimum_gas_price(&self) -> String {
        self.inner.settings.min_gas_price.to_string()
    }

    /// The lowest positive height a query can still read (height 0 means "latest").
    fn earliest_height(&self) -> u64 {
        self.storage().earliest_version().unwrap_or(0).max(1)
    }

    fn tx_encode_amino(&self, amino_json: &str) -> Result<Vec<u8>, TxError> {
        crate::tx::amino_binary::tx_encode_amino(amino_json)
    }

    fn tx_decode_amino(&self, amino_binary: &[u8]) -> Result<String, TxError> {
        crate::tx::amino_binary::tx_decode_amino(amino_binary)
    }

    fn node_config(&self) -> deai_api::NodeConfig {
        let keep = self.storage().config().keep_recent;
        deai_api::NodeConfig {
            pruning_keep_recent: keep.to_string(),
            // Pruning runs at every commit when it is on.
            pruning_interval: if keep > 0 { "1" } else { "0" }.into(),
            // deaid has no halt-height setting.
            halt_height: 0,
        }
    }
}
