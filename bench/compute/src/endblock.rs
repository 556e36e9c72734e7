//! compute's `end_block` on a state with L active leases and a fixed amount of due work.
//!
//! Due work (built with messages, on top of the scenario's end state): at block
//! [`END_BLOCK_HEIGHT`] order C (redundancy 2, three bids) reaches its bid deadline and is
//! leased, and the scenario's audit of order A expires unanswered (its referee's deposit is
//! forfeited and a new referee drawn).
//!
//! The fleet (written in bulk through compute's `ComputeWrite` keeper): L leased orders
//! (redundancy 1, the same ~2 KiB spec), each with its escrow account, one active bid and one
//! active, unsettled lease; 100 leases per fleet provider. The module account is funded from
//! the whale's balance with exactly the stakes, escrow balances and bid deposits written, and
//! the whole state is checked by a genesis round trip (compute's import checks that
//! invariant and every provider's `active_leases`/`in_use`).

use deai_bank::BankWrite;
use deai_compute::{ComputeRead, ComputeWrite, LEASE_SEQ, MODULE_ACCOUNT};
use deai_framework::keys::prefix_end;
use deai_framework::{Coin, Coins, MemStore, StateRead};
use deai_proto::compute::v1 as pb;

use crate::builders::{self, BID_DEPOSIT, MAX_PRICE, ORDER_DEPOSIT, STAKE};
use crate::scenario::AUDIT_DEADLINE;
use crate::world::{self, account, apply, coin, Actors};

/// The block whose `end_block` is timed: order C's bid deadline and the audit's deadline.
pub const END_BLOCK_HEIGHT: u64 = AUDIT_DEADLINE;
/// Fleet leases per fleet provider.
pub const LEASES_PER_PROVIDER: u32 = 100;
const FLEET_PROVIDER: u8 = 0xF0;
const FLEET_OWNER: u8 = 0xF1;
const FLEET_OWNERS: u32 = 100;
/// When the fleet's orders were created and leased.
const FLEET_CREATED: u64 = 120;
const FLEET_LEASED: u64 = 125;

/// The scenario's disputed state plus order C, open with three bids, its deadline at
/// [`END_BLOCK_HEIGHT`].
pub fn due_work(mut disputed: MemStore) -> MemStore {
    let window = 10;
    let created = END_BLOCK_HEIGHT - window;
    let c = disputed.sequence("order").expect("sequence").max(1);
    apply(&mut disputed, created, &builders::create_order(2, window));
    for (n, price) in [(1, 800), (2, 850), (3, 870)] {
        apply(
            &mut disputed,
            created + 2,
            &builders::create_bid(&Actors::provider(n), c, price),
        );
    }
    disputed
}

fn times(r: &pb::Resources, n: u32) -> pb::Resources {
    let n64 = u64::from(n);
    pb::Resources {
        cpu_millis: r.cpu_millis * n64,
        memory_bytes: r.memory_bytes * n64,
        gpus: r.gpus * n,
        storage_bytes: r.storage_bytes * n64,
    }
}

/// Writes `leases` leased orders with one active lease each (see the module docs).
pub fn add_fleet(s: &mut MemStore, leases: u32) {
    let first_order = s.sequence("order").expect("sequence").max(1);
    let first_bid = s.sequence("bid").expect("sequence").max(1);
    let first_lease = s.sequence(LEASE_SEQ).expect("sequence").max(1);
    let providers = leases.div_ceil(LEASES_PER_PROVIDER).max(1);
    let template = builders::create_order(1, 1);
    let resources = builders::resources();
    let mut count = vec![0u32; providers as usize];
    let mut held: u128 = 0;
    for i in 0..leases {
        let (order_id, bid_id, lease_id) = (
            first_order + u64::from(i),
            first_bid + u64::from(i),
            first_lease + u64::from(i),
        );
        let k = i % providers;
        count[k as usize] += 1;
        let provider = account(FLEET_PROVIDER, k).to_bech32();
        let owner = account(FLEET_OWNER, i % FLEET_OWNERS).to_bech32();
        let price = coin(MAX_PRICE - 100);
        let order = pb::Order {
            id: order_id,
            owner: owner.clone(),
            spec: template.spec.clone(),
            spec_sha256: template.spec_sha256.clone(),
            required_attributes: template.required_attributes.clone(),
            auditors: template.auditors.clone(),
            resources: Some(resources),
            max_price_per_block: Some(coin(MAX_PRICE)),
            redundancy: 1,
            verification: Some(pb::Verification::default()),
            bid_window: 5,
            max_blocks: builders::MAX_BLOCKS,
            state: pb::OrderState::Leased as i32,
            created_at: FLEET_CREATED,
            bid_deadline: FLEET_LEASED,
            bid_count: 1,
            result_hash: Vec::new(),
            ..Default::default()
        };
        s.put_order(&order).expect("put order");
        s.put_escrow(&pb::EscrowAccount {
            order_id,
            owner,
            balance: Some(coin(ORDER_DEPOSIT)),
            transferred: Some(coin(0)),
            settled_at: FLEET_CREATED,
            state: pb::EscrowState::Open as i32,
        })
        .expect("put escrow");
        s.put_bid(&pb::Bid {
            id: bid_id,
            order_id,
            provider: provider.clone(),
            price: Some(price.clone()),
            deposit: Some(coin(BID_DEPOSIT)),
            state: pb::BidState::Active as i32,
            created_at: FLEET_CREATED + 1,
        })
        .expect("put bid");
        s.put_lease(&pb::Lease {
            id: lease_id,
            order_id,
            bid_id,
            provider,
            price: Some(price),
            state: pb::LeaseState::Active as i32,
            created_at: FLEET_LEASED,
            settled_at: FLEET_LEASED,
            closed_at: 0,
            unwithdrawn: Some(coin(0)),
            withdrawn: Some(coin(0)),
        })
        .expect("put lease");
        held += ORDER_DEPOSIT + BID_DEPOSIT;
    }
    for (k, n) in count.into_iter().enumerate() {
        let owner = account(FLEET_PROVIDER, k as u32);
        let mut p = builders::create_provider(&owner, false);
        p.attributes.sort_by(|a, b| a.key.cmp(&b.key));
        s.put_provider(
            &owner,
            &pb::Provider {
                owner: owner.to_bech32(),
                host_uri: p.host_uri,
                attributes: p.attributes,
                capacity: Some(times(&resources, LEASES_PER_PROVIDER)),
                in_use: Some(times(&resources, n)),
                stake: Some(coin(STAKE)),
                jailed: false,
                active_leases: n,
            },
        )
        .expect("put provider");
        held += STAKE;
    }
    let n = u64::from(leases);
    s.set_sequence("order", first_order + n).expect("sequence");
    s.set_sequence("bid", first_bid + n).expect("sequence");
    s.set_sequence(LEASE_SEQ, first_lease + n)
        .expect("sequence");
    let backing = Coins::new(vec![Coin::new(world::DENOM, held).expect("coin")]).expect("coins");
    s.send_to_module(&Actors::whale(), MODULE_ACCOUNT, &backing)
        .expect("whale backs the fleet");
}

/// The state with the due work and `leases` active leases: the due work's two leases of
/// order A plus `leases - 2` fleet leases (at least 0). Panics if it does not survive a
/// genesis export and import.
pub fn state_with(due: &MemStore, leases: u32) -> MemStore {
    let mut s = due.clone();
    add_fleet(&mut s, leases.saturating_sub(2));
    let active = count_active_leases(&s);
    assert_eq!(active, leases.max(2) as usize, "active leases");
    let exported = world::export_all(&s).expect("export");
    world::init_all(&exported)
        .unwrap_or_else(|e| panic!("the {leases}-lease state is inconsistent: {e:?}"));
    s
}

/// Active leases in `s` (a full scan of the lease records: for the check only).
pub fn count_active_leases(s: &dyn StateRead) -> usize {
    let prefix = deai_compute::state_key::leases();
    let end = prefix_end(&prefix);
    s.scan(&prefix, end.as_deref(), false, usize::MAX)
        .expect("scan leases")
        .iter()
        .filter(|(_, v)| {
            <pb::Lease as prost::Message>::decode(v.as_slice())
                .is_ok_and(|l| l.state == pb::LeaseState::Active as i32)
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{scenario, world};

    fn after_end_block(s: &MemStore) -> (world::Run, MemStore) {
        let run = world::run_end_block(s, END_BLOCK_HEIGHT).expect("end_block");
        let mut next = s.clone();
        next.apply(run.writes.clone());
        (run, next)
    }

    /// Lazy accounting, checked by gas rather than time: the fleet adds nothing to do.
    #[test]
    fn end_block_does_the_same_work_whatever_the_lease_count() {
        let due = due_work(scenario::build().disputed);
        let (small, small_after) = after_end_block(&state_with(&due, 10));
        let (large, large_after) = after_end_block(&state_with(&due, 600));
        assert_eq!(
            (small.writes.len(), small.events),
            (large.writes.len(), large.events)
        );
        // Only the ids of the two new leases and their bids' ids grow (one varint byte each).
        assert!(
            large.gas.abs_diff(small.gas) <= 300,
            "{} vs {}",
            small.gas,
            large.gas
        );
        for after in [&small_after, &large_after] {
            // Order C (id 2, after the scenario's order A) was leased, and the audit of
            // order A expired and was redrawn.
            let c = after.get_order(2).unwrap().unwrap();
            assert_eq!(c.state, pb::OrderState::Leased as i32);
            assert_eq!(after.leases_of_order(2).unwrap().len(), 2);
            let first = after.get_audit(1).unwrap().unwrap();
            assert_eq!(first.state, pb::AuditState::Expired as i32);
            let redrawn = after.get_audit(2).unwrap().unwrap();
            assert_eq!(redrawn.state, pb::AuditState::Pending as i32);
            assert!(!redrawn.verifier.is_empty() && redrawn.verifier != first.verifier);
        }
    }

    #[test]
    fn the_fleet_state_is_consistent_and_counts_its_leases() {
        let due = due_work(scenario::build().disputed);
        // state_with checks the genesis round trip (module account, providers' use).
        let s = state_with(&due, 250);
        assert_eq!(count_active_leases(&s), 250);
        let p = s
            .get_provider(&account(FLEET_PROVIDER, 2))
            .unwrap()
            .unwrap();
        assert_eq!(p.active_leases, 82);
    }
}
