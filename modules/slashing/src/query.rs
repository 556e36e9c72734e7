//! slashing's queries at the SDK's gRPC paths (`/cosmos.slashing.v1beta1.Query/...`).

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;

use deai_framework::pagination::paginate;
use deai_framework::{records, sdk, Router, StateRead, TxError};

use crate::error::SlashingError;
use crate::keeper::{cons_from_bech32, SlashingRead};
use crate::{state_key, MODULE_NAME};

const Q: &str = "/cosmos.slashing.v1beta1.Query/";

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.slashing_params()?.to_proto()),
    })
}

fn signing_info(
    s: &dyn StateRead,
    r: pb::QuerySigningInfoRequest,
) -> Result<pb::QuerySigningInfoResponse, TxError> {
    if r.cons_address.is_empty() {
        return Err(sdk::invalid_request("invalid request"));
    }
    let cons = cons_from_bech32(&r.cons_address)?;
    let info = s
        .signing_info(&cons)?
        .ok_or(SlashingError::NoSigningInfoFound)
        .map_err(|e| {
            let mut e: TxError = e.into();
            e.log = format!("{}: {}", r.cons_address, e.log);
            e
        })?;
    Ok(pb::QuerySigningInfoResponse {
        val_signing_info: Some(info),
    })
}

fn signing_infos(
    s: &dyn StateRead,
    r: pb::QuerySigningInfosRequest,
) -> Result<pb::QuerySigningInfosResponse, TxError> {
    let (page, pagination) = paginate(s, &state_key::signing_infos(), r.pagination)?;
    let info = page
        .iter()
        .map(|(_, v)| records::decode(MODULE_NAME, v))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pb::QuerySigningInfosResponse {
        info,
        pagination: Some(pagination),
    })
}

pub fn register(router: &mut Router) {
    router.add_query(&format!("{Q}Params"), params);
    router.add_query(&format!("{Q}SigningInfo"), signing_info);
    router.add_query(&format!("{Q}SigningInfos"), signing_infos);
}
