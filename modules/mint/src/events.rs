//! mint's events: the SDK's `mint` event (x/mint/types/events.go) and deai's typed
//! `deai.mint.v1.EventEmission` / `EventEmissionClaimed` (built where they happen).

use deai_framework::dec::Dec;
use deai_framework::Event;

/// The SDK's `mint` event of every begin block.
pub fn mint(bonded_ratio: Dec, inflation: Dec, annual_provisions: Dec, amount: u128) -> Event {
    Event::new("mint")
        .attr("bonded_ratio", bonded_ratio)
        .attr("inflation", inflation)
        .attr("annual_provisions", annual_provisions)
        .attr("amount", amount)
}

pub fn update_params() -> Event {
    Event::new("update_params").attr("module", crate::MODULE_NAME)
}

pub fn update_emission_split() -> Event {
    Event::new("update_emission_split").attr("module", crate::MODULE_NAME)
}
