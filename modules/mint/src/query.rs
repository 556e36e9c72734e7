//! mint's queries: the SDK's at `/cosmos.mint.v1beta1.Query/{Params,Inflation,
//! AnnualProvisions}` (decimals as `LegacyDec` wire bytes, as cosmjs reads them), and deai's
//! at `/deai.mint.v1.Query/{EmissionSplit,MarketIndex}`.

use cosmos_sdk_proto::cosmos::mint::v1beta1 as pb;

use deai_framework::{Router, StateRead, TxError};
use deai_proto::mint::v1 as dpb;

use crate::error::MintError;
use crate::keeper::MintRead;
use crate::params::dec_to_wire;

const Q: &str = "/cosmos.mint.v1beta1.Query/";
const DQ: &str = "/deai.mint.v1.Query/";

fn params(
    s: &dyn StateRead,
    _: pb::QueryParamsRequest,
) -> Result<pb::QueryParamsResponse, TxError> {
    Ok(pb::QueryParamsResponse {
        params: Some(s.mint_params()?.to_proto()),
    })
}

fn inflation(
    s: &dyn StateRead,
    _: pb::QueryInflationRequest,
) -> Result<pb::QueryInflationResponse, TxError> {
    Ok(pb::QueryInflationResponse {
        inflation: dec_to_wire(s.minter()?.inflation).into_bytes(),
    })
}

fn annual_provisions(
    s: &dyn StateRead,
    _: pb::QueryAnnualProvisionsRequest,
) -> Result<pb::QueryAnnualProvisionsResponse, TxError> {
    Ok(pb::QueryAnnualProvisionsResponse {
        annual_provisions: dec_to_wire(s.minter()?.annual_provisions).into_bytes(),
    })
}

fn emission_split(
    s: &dyn StateRead,
    _: dpb::QueryEmissionSplitRequest,
) -> Result<dpb::QueryEmissionSplitResponse, TxError> {
    Ok(dpb::QueryEmissionSplitResponse {
        split: Some(s.emission_split()?.to_proto()),
    })
}

fn market_index(
    s: &dyn StateRead,
    r: dpb::QueryMarketIndexRequest,
) -> Result<dpb::QueryMarketIndexResponse, TxError> {
    if !crate::MARKETS.contains(&r.market.as_str()) {
        return Err(MintError::UnknownMarket(r.market).into());
    }
    let st = s
        .market_state(&r.market)?
        .unwrap_or_else(|| crate::index::MarketState::new(&r.market, ""));
    Ok(dpb::QueryMarketIndexResponse {
        index: Some(st.to_proto()),
    })
}

pub fn register(router: &mut Router) {
    router.add_query(&format!("{Q}Params"), params);
    router.add_query(&format!("{Q}Inflation"), inflation);
    router.add_query(&format!("{Q}AnnualProvisions"), annual_provisions);
    router.add_query(&format!("{DQ}EmissionSplit"), emission_split);
    router.add_query(&format!("{DQ}MarketIndex"), market_index);
}
