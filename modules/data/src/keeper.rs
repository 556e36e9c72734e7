//! The data keeper, as extension traits on any state. Records are only written here, and
//! each record's secondary indexes only by its `put_*`/`remove_*` function.

use deai_framework::records;
use deai_framework::{Address, StateRead, StateWrite, TxError};
use deai_proto::data::v1 as pb;
use prost::Message;

use crate::params::{Params, MAX_POOL_VALIDATORS_CAP};
use crate::{state_key, MODULE_NAME};

pub(crate) use deai_framework::records::stored_addr;

pub(crate) fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, TxError> {
    records::decode(MODULE_NAME, bytes)
}

/// The height whose `end_block` deletes a grant: its expiry, or its delivery deadline if
/// later, so that a grant is never deleted before its refund is due.
pub(crate) fn prune_height(g: &pb::Grant) -> u64 {
    g.expires_at_height.max(g.delivery_deadline)
}

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

    fn get_pool(&self, id: u64) -> Result<Option<pb::Pool>, TxError> {
        records::get(MODULE_NAME, self, &state_key::pool(id))
    }

    fn get_pool_validator(
        &self,
        pool: u64,
        validator: &Address,
    ) -> Result<Option<pb::PoolValidator>, TxError> {
        records::get(
            MODULE_NAME,
            self,
            &state_key::pool_validator(pool, validator),
        )
    }

    fn get_contribution(&self, id: u64) -> Result<Option<pb::Contribution>, TxError> {
        records::get(MODULE_NAME, self, &state_key::contribution(id))
    }

    /// The contribution holding `sha256`, in any pool.
    fn content_owner(&self, sha256: &[u8]) -> Result<Option<u64>, TxError> {
        self.get(&state_key::content(sha256))?
            .map(|b| records::u64_value(&b, "content index"))
            .transpose()
    }

    fn get_score(
        &self,
        contribution: u64,
        validator: &Address,
    ) -> Result<Option<pb::Score>, TxError> {
        records::get(
            MODULE_NAME,
            self,
            &state_key::score(contribution, validator),
        )
    }

    /// A contribution's scores (one per named validator: at most MAX_POOL_VALIDATORS_CAP).
    fn scores_of(&self, contribution: u64) -> Result<Vec<pb::Score>, TxError> {
        records::all_under(
            MODULE_NAME,
            self,
            &state_key::scores_of(contribution),
            MAX_POOL_VALIDATORS_CAP as usize,
        )
    }

    /// A pool's validator bonds (at most MAX_POOL_VALIDATORS_CAP).
    fn pool_validators_of(&self, pool: u64) -> Result<Vec<pb::PoolValidator>, TxError> {
        records::all_under(
            MODULE_NAME,
            self,
            &state_key::pool_validators_of(pool),
            MAX_POOL_VALIDATORS_CAP as usize,
        )
    }

    /// Contributions made in a pool's current epoch.
    fn epoch_count(&self, pool: u64) -> Result<u64, TxError> {
        self.get(&state_key::epoch_count(pool))?
            .map_or(Ok(0), |b| records::u64_value(&b, "epoch count"))
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

    /// Writes a grant; its grantee, dataset and expiry indexes on first write (their keys
    /// never change), and its delivery deadline entry while an encrypted grant awaits its key.
    fn put_grant(&mut self, g: &pb::Grant) -> Result<(), TxError> {
        let grantee = stored_addr(&g.grantee)?;
        self.put(state_key::grant_by_grantee(&grantee, g.id), Vec::new())?;
        self.put(state_key::grant_by_dataset(g.dataset_id, g.id), Vec::new())?;
        self.put(state_key::grant_expiry(prune_height(g), g.id), Vec::new())?;
        let due = state_key::delivery_due(g.delivery_deadline, g.id);
        if g.delivery_deadline > 0 && g.delivered_at == 0 && !g.refunded {
            self.put(due, Vec::new())?;
        } else {
            self.delete(due)?;
        }
        self.put(state_key::grant(g.id), g.encode_to_vec())
    }

    /// Deletes a grant with every index entry `put_grant` wrote.
    fn remove_grant(&mut self, g: &pb::Grant) -> Result<(), TxError> {
        let grantee = stored_addr(&g.grantee)?;
        self.delete(state_key::grant_by_grantee(&grantee, g.id))?;
        self.delete(state_key::grant_by_dataset(g.dataset_id, g.id))?;
        self.delete(state_key::grant_expiry(prune_height(g), g.id))?;
        self.delete(state_key::delivery_due(g.delivery_deadline, g.id))?;
        self.delete(state_key::grant(g.id))
    }

    fn put_pool(&mut self, p: &pb::Pool) -> Result<(), TxError> {
        self.put(state_key::pool(p.id), p.encode_to_vec())
    }

    /// Schedules `pool`'s settlement at the end of block `height`.
    fn schedule_pool(&mut self, height: u64, pool: u64) -> Result<(), TxError> {
        self.put(state_key::pool_due(height, pool), Vec::new())
    }

    fn put_pool_validator(&mut self, v: &pb::PoolValidator) -> Result<(), TxError> {
        let addr = stored_addr(&v.address)?;
        self.put(
            state_key::pool_validator(v.pool_id, &addr),
            v.encode_to_vec(),
        )
    }

    /// Writes a contribution with its epoch and content indexes.
    fn put_contribution(&mut self, c: &pb::Contribution) -> Result<(), TxError> {
        self.put(
            state_key::contribution_by_epoch(c.pool_id, c.epoch, c.id),
            Vec::new(),
        )?;
        self.put(
            state_key::content(&c.content_sha256),
            c.id.to_be_bytes().to_vec(),
        )?;
        self.put(state_key::contribution(c.id), c.encode_to_vec())
    }

    fn put_score(&mut self, sc: &pb::Score) -> Result<(), TxError> {
        let addr = stored_addr(&sc.validator)?;
        self.put(
            state_key::score(sc.contribution_id, &addr),
            sc.encode_to_vec(),
        )
    }

    fn set_epoch_count(&mut self, pool: u64, n: u64) -> Result<(), TxError> {
        self.put(state_key::epoch_count(pool), n.to_be_bytes().to_vec())
    }

    fn put_dataset(&mut self, d: &pb::Dataset) -> Result<(), TxError> {
        let publisher = stored_addr(&d.publisher)?;
        self.put(
            state_key::dataset_by_publisher(&publisher, d.id),
            Vec::new(),
        )?;
        self.put(state_key::dataset(d.id), d.encode_to_vec())
    }

    /// Sets counter `name` (genesis import).
    fn set_sequence(&mut self, name: &str, next: u64) -> Result<(), TxError> {
        self.put(state_key::sequence(name), next.to_be_bytes().to_vec())
    }
}

impl<T: StateWrite + ?Sized> DataWrite for T {}
