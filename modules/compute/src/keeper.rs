//! The compute keeper, as extension traits on any state. Records are only written here; an
//! order's secondary indexes (by owner, by state, by owner and state, and the bid-deadline
//! index of open orders) only by `put_order`; a bid's only by `put_bid`; a lease's only by
//! `put_lease`.

use deai_framework::keys::prefix_end;
use deai_framework::records;
use deai_framework::{sdk, Address, StateRead, StateWrite, TxError};
use deai_proto::compute::v1 as pb;
use prost::Message;

use crate::params::{Params, MAX_ORDER_BIDS, MAX_REDUNDANCY};
use crate::{state_key, MODULE_NAME};

/// Most auditors whose signatures one provider may hold (bounds deletion and queries).
pub const MAX_AUDITORS_PER_PROVIDER: usize = 32;
/// Most audits one order can go through (assignments, reassignments after an expiry); after
/// that the dispute is abandoned (see `audits`).
pub const MAX_AUDITS_PER_ORDER: u32 = 5;
/// The attribute a provider sets (to `true`) to be drawn as an audit referee.
pub const VERIFIER_ATTRIBUTE: &str = "verifier";

/// Whether `p` may be drawn as a referee: it offers audits and is not jailed (its stake is
/// checked against the audit deposit at the draw).
pub(crate) fn offers_audits(p: &pb::Provider) -> bool {
    !p.jailed
        && p.attributes
            .iter()
            .any(|a| a.key == VERIFIER_ATTRIBUTE && a.value == "true")
}

pub(crate) fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, TxError> {
    records::decode(MODULE_NAME, bytes)
}

fn get<M: Message + Default, S: StateRead + ?Sized>(
    s: &S,
    key: &[u8],
) -> Result<Option<M>, TxError> {
    records::get(MODULE_NAME, s, key)
}

pub(crate) use deai_framework::records::stored_addr;

pub trait ComputeRead: StateRead {
    fn compute_params(&self) -> Result<Params, TxError> {
        records::params(MODULE_NAME, self, &state_key::params(), Params::from_proto)
    }

    fn get_provider(&self, owner: &Address) -> Result<Option<pb::Provider>, TxError> {
        get(self, &state_key::provider(owner))
    }

    fn get_signed_attributes(
        &self,
        provider: &Address,
        auditor: &Address,
    ) -> Result<Option<pb::SignedAttributes>, TxError> {
        get(self, &state_key::signed_attributes(provider, auditor))
    }

    /// The auditor signatures of a provider, by auditor address (at most
    /// [`MAX_AUDITORS_PER_PROVIDER`]).
    fn signed_attributes_of(
        &self,
        provider: &Address,
    ) -> Result<Vec<pb::SignedAttributes>, TxError> {
        let prefix = state_key::signed_attributes_of(provider);
        records::all_under(MODULE_NAME, self, &prefix, MAX_AUDITORS_PER_PROVIDER)
    }

    /// An order without its spec (`spec` empty), as the module's logic needs it.
    fn get_order(&self, id: u64) -> Result<Option<pb::Order>, TxError> {
        get(self, &state_key::order(id))
    }

    /// An order with its spec, as queries and genesis export show it.
    fn get_order_with_spec(&self, id: u64) -> Result<Option<pb::Order>, TxError> {
        self.get_order(id)?.map(|o| self.with_spec(o)).transpose()
    }

    /// Fills in the spec of an order read without it.
    fn with_spec(&self, mut order: pb::Order) -> Result<pb::Order, TxError> {
        order.spec = self
            .get(&state_key::order_spec(order.id))?
            .ok_or_else(|| sdk::internal(format!("order {} has no spec", order.id)))?;
        Ok(order)
    }

    fn get_escrow(&self, order_id: u64) -> Result<Option<pb::EscrowAccount>, TxError> {
        get(self, &state_key::escrow(order_id))
    }

    fn get_bid(&self, id: u64) -> Result<Option<pb::Bid>, TxError> {
        get(self, &state_key::bid(id))
    }

    /// The id of `provider`'s open bid on `order_id`, if any.
    fn open_bid_of(&self, order_id: u64, provider: &Address) -> Result<Option<u64>, TxError> {
        match self.get(&state_key::open_bid(order_id, provider))? {
            None => Ok(None),
            Some(b) => {
                let arr: [u8; 8] = b
                    .as_slice()
                    .try_into()
                    .map_err(|_| sdk::internal("corrupt open bid index"))?;
                Ok(Some(u64::from_be_bytes(arr)))
            }
        }
    }

    /// Every bid of an order, by id. An order never holds more than [`MAX_ORDER_BIDS`] bids
    /// (closed ones included), so this is bounded.
    fn bids_of_order(&self, order_id: u64) -> Result<Vec<pb::Bid>, TxError> {
        records::indexed(
            self,
            &state_key::bids_by_order(order_id),
            MAX_ORDER_BIDS as usize,
            |id| self.get_bid(id),
            "corrupt bid index",
            |id| format!("bid index names missing bid {id}"),
        )
    }

    fn get_lease(&self, id: u64) -> Result<Option<pb::Lease>, TxError> {
        get(self, &state_key::lease(id))
    }

    /// Every lease of an order, by id (at most [`MAX_REDUNDANCY`]).
    fn leases_of_order(&self, order_id: u64) -> Result<Vec<pb::Lease>, TxError> {
        records::indexed(
            self,
            &state_key::leases_by_order(order_id),
            MAX_REDUNDANCY as usize,
            |id| self.get_lease(id),
            "corrupt lease index",
            |id| format!("lease index names missing lease {id}"),
        )
    }

    fn get_result(&self, order_id: u64, lease_id: u64) -> Result<Option<pb::Result>, TxError> {
        get(self, &state_key::result(order_id, lease_id))
    }

    /// Every result of an order, by lease id (at most [`MAX_REDUNDANCY`]).
    fn results_of_order(&self, order_id: u64) -> Result<Vec<pb::Result>, TxError> {
        let prefix = state_key::results_of_order(order_id);
        records::all_under(MODULE_NAME, self, &prefix, MAX_REDUNDANCY as usize)
    }

    fn get_audit(&self, id: u64) -> Result<Option<pb::Audit>, TxError> {
        get(self, &state_key::audit(id))
    }

    /// Every audit of an order, by id (at most [`MAX_AUDITS_PER_ORDER`]).
    fn audits_of_order(&self, order_id: u64) -> Result<Vec<pb::Audit>, TxError> {
        records::indexed(
            self,
            &state_key::audits_by_order(order_id),
            MAX_AUDITS_PER_ORDER as usize,
            |id| self.get_audit(id),
            "corrupt audit index",
            |id| format!("audit index names missing audit {id}"),
        )
    }

    /// Whether `verifier` referees a pending audit.
    fn referees_pending_audit(&self, verifier: &Address) -> Result<bool, TxError> {
        let prefix = state_key::pending_audits_of(verifier);
        let end = prefix_end(&prefix);
        Ok(!self.scan(&prefix, end.as_deref(), false, 1)?.is_empty())
    }

    /// The counter `name` as stored (0 if never set).
    fn sequence(&self, name: &str) -> Result<u64, TxError> {
        records::sequence(MODULE_NAME, self, &state_key::sequence(name))
    }
}

impl<T: StateRead + ?Sized> ComputeRead for T {}

pub trait ComputeWrite: StateWrite {
    fn set_compute_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.to_proto().encode_to_vec())
    }

    /// Writes a provider and keeps the verifier index in step.
    fn put_provider(&mut self, owner: &Address, p: &pb::Provider) -> Result<(), TxError> {
        if offers_audits(p) {
            self.put(state_key::verifier(owner), owner.as_bytes().to_vec())?;
        } else {
            self.delete(state_key::verifier(owner))?;
        }
        self.put(state_key::provider(owner), p.encode_to_vec())
    }

    /// Removes a provider and every auditor signature of it.
    fn remove_provider(&mut self, owner: &Address) -> Result<(), TxError> {
        let prefix = state_key::signed_attributes_of(owner);
        let end = prefix_end(&prefix);
        // Signing is capped per provider, so this scan sees every signature.
        for (k, _) in self.scan(&prefix, end.as_deref(), false, MAX_AUDITORS_PER_PROVIDER)? {
            self.delete(k)?;
        }
        self.delete(state_key::verifier(owner))?;
        self.delete(state_key::provider(owner))
    }

    fn put_signed_attributes(
        &mut self,
        provider: &Address,
        auditor: &Address,
        s: &pb::SignedAttributes,
    ) -> Result<(), TxError> {
        self.put(
            state_key::signed_attributes(provider, auditor),
            s.encode_to_vec(),
        )
    }

    fn remove_signed_attributes(
        &mut self,
        provider: &Address,
        auditor: &Address,
    ) -> Result<(), TxError> {
        self.delete(state_key::signed_attributes(provider, auditor))
    }

    /// Writes an order and keeps its indexes (by owner, by state, by owner and state) in step.
    /// A non-empty `spec` is written to its own key (once, at creation or genesis); the record
    /// itself is stored without it.
    fn put_order(&mut self, order: &pb::Order) -> Result<(), TxError> {
        if !order.spec.is_empty() {
            self.put(state_key::order_spec(order.id), order.spec.clone())?;
        }
        let owner = stored_addr(&order.owner)?;
        if let Some(old) = self.get_order(order.id)? {
            let old_owner = stored_addr(&old.owner)?;
            self.delete(state_key::order_by_owner(&old_owner, old.id))?;
            self.delete(state_key::order_by_state(old.state, old.id))?;
            self.delete(state_key::order_by_owner_state(
                &old_owner, old.state, old.id,
            ))?;
            self.delete(state_key::deadline(old.bid_deadline, old.id))?;
        }
        if order.state == pb::OrderState::Open as i32 {
            self.put(
                state_key::deadline(order.bid_deadline, order.id),
                Vec::new(),
            )?;
        }
        self.put(state_key::order_by_owner(&owner, order.id), Vec::new())?;
        self.put(state_key::order_by_state(order.state, order.id), Vec::new())?;
        self.put(
            state_key::order_by_owner_state(&owner, order.state, order.id),
            Vec::new(),
        )?;
        let record = pb::Order {
            spec: Vec::new(),
            ..order.clone()
        };
        self.put(state_key::order(order.id), record.encode_to_vec())
    }

    /// Writes a bid and keeps its indexes (by order, by provider, and the open bid of a
    /// provider on an order) in step.
    fn put_bid(&mut self, bid: &pb::Bid) -> Result<(), TxError> {
        let provider = stored_addr(&bid.provider)?;
        self.put(state_key::bid_by_order(bid.order_id, bid.id), Vec::new())?;
        self.put(state_key::bid_by_provider(&provider, bid.id), Vec::new())?;
        let open_key = state_key::open_bid(bid.order_id, &provider);
        if bid.state == pb::BidState::Open as i32 {
            self.put(open_key, bid.id.to_be_bytes().to_vec())?;
        } else if self.open_bid_of(bid.order_id, &provider)? == Some(bid.id) {
            self.delete(open_key)?;
        }
        self.put(state_key::bid(bid.id), bid.encode_to_vec())
    }

    /// Writes a lease and keeps its indexes (by order, by provider, by provider and state)
    /// in step.
    fn put_lease(&mut self, lease: &pb::Lease) -> Result<(), TxError> {
        let provider = stored_addr(&lease.provider)?;
        if let Some(old) = self.get_lease(lease.id)? {
            self.delete(state_key::lease_by_provider_state(
                &provider, old.state, old.id,
            ))?;
        }
        self.put(
            state_key::lease_by_order(lease.order_id, lease.id),
            Vec::new(),
        )?;
        self.put(
            state_key::lease_by_provider(&provider, lease.id),
            Vec::new(),
        )?;
        self.put(
            state_key::lease_by_provider_state(&provider, lease.state, lease.id),
            Vec::new(),
        )?;
        self.put(state_key::lease(lease.id), lease.encode_to_vec())
    }

    fn put_result(&mut self, r: &pb::Result) -> Result<(), TxError> {
        self.put(state_key::result(r.order_id, r.lease_id), r.encode_to_vec())
    }

    /// Writes an audit and keeps its indexes (by order, by verifier, and the deadline index
    /// of pending audits) in step.
    fn put_audit(&mut self, a: &pb::Audit) -> Result<(), TxError> {
        if let Some(old) = self.get_audit(a.id)? {
            self.delete(state_key::audit_deadline(old.deadline, old.id))?;
            if !old.verifier.is_empty() {
                let v = stored_addr(&old.verifier)?;
                self.delete(state_key::pending_audit_of(&v, old.id))?;
                if old.verifier != a.verifier {
                    self.delete(state_key::audit_by_verifier(&v, old.id))?;
                }
            }
        }
        let pending = a.state == pb::AuditState::Pending as i32;
        if pending {
            self.put(state_key::audit_deadline(a.deadline, a.id), Vec::new())?;
        }
        if pending && !a.verifier.is_empty() {
            let v = stored_addr(&a.verifier)?;
            self.put(state_key::pending_audit_of(&v, a.id), Vec::new())?;
        }
        if !a.verifier.is_empty() {
            self.put(
                state_key::audit_by_verifier(&stored_addr(&a.verifier)?, a.id),
                Vec::new(),
            )?;
        }
        self.put(state_key::audit_by_order(a.order_id, a.id), Vec::new())?;
        self.put(state_key::audit(a.id), a.encode_to_vec())
    }

    fn put_escrow(&mut self, e: &pb::EscrowAccount) -> Result<(), TxError> {
        self.put(state_key::escrow(e.order_id), e.encode_to_vec())
    }

    fn set_sequence(&mut self, name: &str, v: u64) -> Result<(), TxError> {
        self.put(state_key::sequence(name), v.to_be_bytes().to_vec())
    }

    /// Hands out the next id of counter `name` (ids start at 1).
    fn next_id(&mut self, name: &str) -> Result<u64, TxError> {
        records::next_id(MODULE_NAME, self, state_key::sequence(name), name)
    }
}

impl<T: StateWrite + ?Sized> ComputeWrite for T {}
