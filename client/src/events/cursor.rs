//! Resume bookkeeping: which events have been delivered, so that a reconnect or a switch
//! between websocket and polling neither misses nor repeats one.

use std::collections::BTreeSet;

use super::{ChainEvent, Source};

/// Every event below `height` has been delivered; at `height`, those in `seen`.
///
/// Events arrive in chain order from either source (a websocket subscription delivers a
/// block's events before the next block's), so an event at a greater height closes every
/// height before it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    height: u64,
    seen: BTreeSet<EventKey>,
}

/// What tells two events of one height apart.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum EventKey {
    Block,
    Tx(u32),
}

impl Cursor {
    /// Nothing delivered yet; the first event wanted is at `height` (at least 1).
    pub fn starting_at(height: u64) -> Self {
        Self {
            height: height.max(1),
            seen: BTreeSet::new(),
        }
    }

    /// The lowest height that may still hold undelivered events: where polling resumes.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Records `ev` as delivered, or returns false if it was already (or belongs to a height
    /// that is closed), in which case it must be dropped.
    pub fn admit(&mut self, ev: &ChainEvent) -> bool {
        let key = match &ev.source {
            Source::NewBlock => EventKey::Block,
            Source::Tx { index, .. } => EventKey::Tx(*index),
        };
        if ev.height < self.height {
            return false;
        }
        if ev.height > self.height {
            self.height = ev.height;
            self.seen.clear();
        }
        self.seen.insert(key)
    }

    /// Every event at `height` (and below) has been delivered.
    pub fn complete(&mut self, height: u64) {
        if height >= self.height {
            self.height = height + 1;
            self.seen.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(height: u64, index: u32) -> ChainEvent {
        ChainEvent {
            height,
            source: Source::Tx {
                hash: format!("{height:032X}{index:032X}"),
                index,
            },
            events: vec![],
        }
    }

    fn block(height: u64) -> ChainEvent {
        ChainEvent {
            height,
            source: Source::NewBlock,
            events: vec![],
        }
    }

    #[test]
    fn each_event_is_admitted_once() {
        let mut c = Cursor::starting_at(10);
        assert!(c.admit(&tx(10, 0)));
        assert!(c.admit(&tx(10, 1)));
        assert!(!c.admit(&tx(10, 0)));
        assert!(c.admit(&tx(12, 0)));
        assert!(!c.admit(&tx(10, 2)), "height 10 closed by an event at 12");
        assert!(!c.admit(&tx(11, 0)));
        assert!(!c.admit(&tx(12, 0)));
        assert_eq!(c.height(), 12);
    }

    #[test]
    fn events_before_the_start_are_dropped() {
        let mut c = Cursor::starting_at(5);
        assert!(!c.admit(&tx(4, 0)));
        assert!(!c.admit(&block(4)));
        assert!(c.admit(&block(5)));
        assert!(!c.admit(&block(5)));
        assert_eq!(Cursor::starting_at(0).height(), 1);
    }

    /// A websocket delivered part of height 7 and dropped; polling height 7 again delivers
    /// only the rest, and closes it; the websocket's late copies are then dropped.
    #[test]
    fn resume_after_a_partial_height() {
        let mut c = Cursor::starting_at(1);
        assert!(c.admit(&tx(7, 0)));
        assert_eq!(c.height(), 7, "polling resumes at the partial height");
        let polled: Vec<bool> = (0..3).map(|i| c.admit(&tx(7, i))).collect();
        assert_eq!(polled, vec![false, true, true]);
        c.complete(7);
        assert_eq!(c.height(), 8);
        c.complete(8);
        c.complete(3);
        assert_eq!(c.height(), 9, "completing an old height changes nothing");
        assert!(!c.admit(&tx(7, 2)));
        assert!(!c.admit(&tx(8, 0)));
        assert!(c.admit(&tx(9, 0)));
    }
}
