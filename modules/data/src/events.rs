//! data's typed events (`deai.data.v1.Event*`).

use deai_framework::{typed_event, Event};
use deai_proto::data::v1 as pb;

use crate::params::Params;

pub fn params_updated(params: &Params) -> Event {
    typed_event(&pb::EventParamsUpdated {
        params: Some(params.to_proto()),
    })
}
