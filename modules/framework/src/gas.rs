//! Gas metering on the Cosmos SDK pattern: flat plus per-byte costs for reads and writes,
//! a cost per iterated entry, per tx byte and per signature.

use std::cell::Cell;

use crate::error::{sdk, TxError};

/// Costs, with the Cosmos SDK's defaults (store/types/gas.go, x/auth params).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GasConfig {
    pub has_cost: u64,
    pub delete_cost: u64,
    pub read_cost_flat: u64,
    pub read_cost_per_byte: u64,
    pub write_cost_flat: u64,
    pub write_cost_per_byte: u64,
    pub iter_next_cost_flat: u64,
}

impl Default for GasConfig {
    fn default() -> Self {
        Self {
            has_cost: 1000,
            delete_cost: 1000,
            read_cost_flat: 1000,
            read_cost_per_byte: 3,
            write_cost_flat: 2000,
            write_cost_per_byte: 30,
            iter_next_cost_flat: 30,
        }
    }
}

/// Counts gas against a limit. Interior mutability lets reads through `&self` be charged.
#[derive(Debug)]
pub struct GasMeter {
    limit: u64,
    consumed: Cell<u64>,
}

impl GasMeter {
    pub fn new(limit: u64) -> Self {
        Self {
            limit,
            consumed: Cell::new(0),
        }
    }

    /// For genesis and block hooks, which the chain itself runs and which have no payer.
    pub fn infinite() -> Self {
        Self::new(u64::MAX)
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    pub fn consumed(&self) -> u64 {
        self.consumed.get()
    }

    /// Charges `amount`; past the limit the meter stays at the limit and the call fails.
    pub fn consume(&self, amount: u64, descriptor: &str) -> Result<(), TxError> {
        let next = self.consumed.get().saturating_add(amount);
        if next > self.limit {
            self.consumed.set(self.limit);
            return Err(sdk::out_of_gas(format!(
                "out of gas in location: {descriptor}; gasWanted: {}, gasUsed: {next}",
                self.limit
            )));
        }
        self.consumed.set(next);
        Ok(())
    }
}

/// Bytes as gas units, saturating (a length never exceeds u64 on supported targets).
pub fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_gas_is_an_error_and_pins_at_limit() {
        let m = GasMeter::new(100);
        m.consume(60, "a").unwrap();
        let err = m.consume(50, "b").unwrap_err();
        assert_eq!(err.code, sdk::OUT_OF_GAS);
        assert_eq!(m.consumed(), 100);
    }
}
