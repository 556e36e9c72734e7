//! The data keeper, as extension traits on any state. Records are only written here, and
//! each record's secondary indexes only by its `put_*`/`remove_*` function.

use deai_framework::records;
use deai_framework::{Address, StateRead, StateWrite, TxError};
use deai_proto::data::v1 as pb;
use prost::Message;

use crate::params::Params;
use crate::{state_key, MODULE_NAME};

pub(crate) use deai_framework::records::stored_addr;

pub trait DataRead: StateRead {
    fn data_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    /// Counter `name`: the next id it hands out (0 when never used; ids start at 1).
    fn sequence(&self, name: &str) -> Result<u64, TxError> {
        records::sequence(MODULE_NAME, self, &state_key::sequence(name))
    }

    /// Dispenser tokens `to` has had of `dataset`.
    fn dispensed(&self, dataset: u64, to: &Address) -> Result<u64, TxError> {
        let r: Option<pb::Dispensed> =
            records::get(MODULE_NAME, self, &state_key::dispensed(dataset, to))?;
        Ok(r.map_or(0, |r| r.count))
    }

    fn get_grant(&self, id: u64) -> Result<Option<pb::Grant>, TxError> {
        records::get(MODULE_NAME, self, &state_key::grant(id))
    }

    fn get_dataset(&self, id: u64) -> Result<Option<pb::Dataset>, TxError> {
        records::get(MODULE_NAME, self, &state_key::dataset(id))
    }
}

impl<T: StateRead + ?Sized> DataRead for T {}

pub trait DataWrite: StateWrite {
    fn set_data_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    /// Hands out the next id of counter `name`.
    fn next_id(&mut self, name: &str) -> Result<u64, TxError> {
        records::next_id(MODULE_NAME, self, state_key::sequence(name), name)
    }

    fn set_dispensed(&mut self, dataset: u64, to: &Address, n: u64) -> Result<(), TxError> {
        let r = pb::Dispensed {
            dataset_id: dataset,
            address: to.to_bech32(),
            count: n,
        };
        self.put(state_key::dispensed(dataset, to), r.encode_to_vec())
    }

    /// Writes a grant; its grantee and dataset indexes on first write, and its delivery
    /// deadline entry while an encrypted grant awaits its key.
    fn put_grant(&mut self, g: &pb::Grant) -> Result<(), TxError> {
        let grantee = stored_addr(&g.grantee)?;
        self.put(state_key::grant_by_grantee(&grantee, g.id), Vec::new())?;
        self.put(state_key::grant_by_dataset(g.dataset_id, g.id), Vec::new())?;
        let due = state_key::delivery_due(g.delivery_deadline, g.id);
        if g.delivery_deadline > 0 && g.delivered_at == 0 && !g.refunded {
            self.put(due, Vec::new())?;
        } else {
            self.delete(due)?;
        }
        self.put(state_key::grant(g.id), g.encode_to_vec())
    }

    fn put_dataset(&mut self, d: &pb::Dataset) -> Result<(), TxError> {
        self.put(state_key::dataset(d.id), d.encode_to_vec())
    }

    /// Sets counter `name` (genesis import).
    fn set_sequence(&mut self, name: &str, next: u64) -> Result<(), TxError> {
        self.put(state_key::sequence(name), next.to_be_bytes().to_vec())
    }
}

impl<T: StateWrite + ?Sized> DataWrite for T {}
