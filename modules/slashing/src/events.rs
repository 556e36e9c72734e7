//! slashing's events, with the SDK's types and attribute keys.

use deai_framework::Event;

/// `liveness`: a bonded validator missed a block.
pub fn liveness(cons: &str, missed_blocks: i64, height: u64) -> Event {
    Event::new("liveness")
        .attr("address", cons)
        .attr("missed_blocks", missed_blocks)
        .attr("height", height)
}

/// `slash`: downtime (`missing_signature`, with `jailed`) or a double sign (`double_sign`).
pub fn slash(cons: &str, power: i64, reason: &str, burned: u128, jailed: bool) -> Event {
    let e = Event::new("slash")
        .attr("address", cons)
        .attr("power", power)
        .attr("reason", reason)
        .attr("burned_coins", burned);
    if jailed {
        e.attr("jailed", cons)
    } else {
        e
    }
}

pub fn unjail(operator: &str) -> Event {
    Event::new("message")
        .attr("module", crate::MODULE_NAME)
        .attr("sender", operator)
}
