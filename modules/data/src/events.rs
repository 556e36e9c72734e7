//! data's typed events (`deai.data.v1.Event*`).

use deai_framework::{typed_event, Event};
use deai_proto::data::v1 as pb;

use crate::params::Params;

pub fn params_updated(params: &Params) -> Event {
    typed_event(&pb::EventParamsUpdated {
        params: Some(params.to_proto()),
    })
}

pub fn dataset_published(d: &pb::Dataset) -> Event {
    typed_event(&pb::EventDatasetPublished {
        dataset_id: d.id,
        publisher: d.publisher.clone(),
        denom: d.denom.clone(),
        access: d.access,
        price: d.price.clone(),
    })
}

pub fn dataset_updated(id: u64) -> Event {
    typed_event(&pb::EventDatasetUpdated { dataset_id: id })
}
