//! data's gRPC queries, registered by their method paths.

use deai_framework::{Router, StateRead, TxError};
use deai_proto::data::v1 as pb;

use crate::keeper::DataRead;
use crate::state_key;

pub fn register(router: &mut Router) {
    router.add_query("/deai.data.v1.Query/Params", params);
}

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.data_params()?.to_proto()),
        authority: deai_framework::authority::get(s, &state_key::authority())?.to_bech32(),
    })
}
