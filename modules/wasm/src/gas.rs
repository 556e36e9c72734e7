//! Gas, with wasmd's defaults (x/wasm/types/gas_register.go, `DefaultGasRegisterConfig`).
//! All costs are SDK gas unless named "vm gas". docs/wasm.md lists them with their source.

/// CosmWasm (vm) gas per SDK gas: wasmd's `DefaultGasMultiplier` since CosmWasm 2.0, which
/// deai's cosmwasm-vm 2.3 is. (It was 140_000_000 before CosmWasm 2.0 divided vm gas by
/// 1000; using that with a 2.x vm would make contract execution 1000x too cheap.)
pub const GAS_MULTIPLIER: u64 = 140_000;
/// Charged every time a contract instance is loaded (`DefaultInstanceCost`).
pub const INSTANCE_COST: u64 = 60_000;
/// Charged instead of [`INSTANCE_COST`] when the code is pinned in the vm's memory cache,
/// or for a reply to a contract that already ran (`DefaultInstanceCostDiscount`).
pub const INSTANCE_COST_DISCOUNT: u64 = 2_000;
/// Per byte of wasm stored (`DefaultCompileCost`). wasmvm ≥ 2.2 meters compilation itself;
/// until the vm is in, `MsgStoreCode` charges this per byte of (uncompressed) code.
pub const COMPILE_COST_PER_BYTE: u64 = 3;
/// Per byte of gzip input, as numerator/denominator (`DefaultPerByteUncompressCost`, 0.15).
pub const UNCOMPRESS_COST_PER_BYTE: (u64, u64) = (15, 100);
/// Per byte of event attribute data, above the free tier (`DefaultEventAttributeDataCost`).
pub const EVENT_ATTRIBUTE_DATA_COST: u64 = 1;
/// Bytes of attribute data per response that are free (`DefaultEventAttributeDataFreeTier`).
pub const EVENT_ATTRIBUTE_DATA_FREE_TIER: u64 = 100;
/// Per attribute (`DefaultPerAttributeCost`).
pub const PER_ATTRIBUTE_COST: u64 = 10;
/// Per custom event (`DefaultPerCustomEventCost`).
pub const PER_CUSTOM_EVENT_COST: u64 = 20;
/// Per byte of message sent to a contract (`DefaultContractMessageDataCost`).
pub const CONTRACT_MESSAGE_DATA_COST: u64 = 0;
/// To pin a code in the vm's memory cache (`DefaultPinCodeCost`).
pub const PIN_CODE_COST: u64 = 500_000;
/// To unpin a code (`DefaultUnpinCodeCost`).
pub const UNPIN_CODE_COST: u64 = 500_000;

fn len_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// wasmd's `UncompressCosts`: floor(0.15 × input length).
pub fn uncompress_cost(input_len: usize) -> u64 {
    let (num, den) = UNCOMPRESS_COST_PER_BYTE;
    len_u64(input_len).saturating_mul(num) / den
}

/// The per-byte cost of storing `code_len` bytes of wasm.
pub fn compile_cost(code_len: usize) -> u64 {
    len_u64(code_len).saturating_mul(COMPILE_COST_PER_BYTE)
}

/// wasmd's `SetupContractCost`: loading an instance, plus the message's bytes.
pub fn setup_contract_cost(discount: bool, msg_len: usize) -> u64 {
    let base = if discount {
        INSTANCE_COST_DISCOUNT
    } else {
        INSTANCE_COST
    };
    base.saturating_add(len_u64(msg_len).saturating_mul(CONTRACT_MESSAGE_DATA_COST))
}

/// wasmd's `ToWasmVMGas`: SDK gas as vm gas, saturating (wasmd caps at u64::MAX too).
pub fn to_vm_gas(sdk_gas: u64) -> u64 {
    sdk_gas.saturating_mul(GAS_MULTIPLIER)
}

/// wasmd's `FromWasmVMGas`: vm gas as SDK gas, rounded down.
pub fn from_vm_gas(vm_gas: u64) -> u64 {
    vm_gas / GAS_MULTIPLIER
}

/// wasmd's `EventCosts` for one set of attributes: per attribute, plus per byte of key and
/// value beyond the free tier that is left; returns the gas and the free tier still left.
pub fn attribute_costs<'a>(
    attrs: impl IntoIterator<Item = (&'a str, &'a str)>,
    free_tier: u64,
) -> (u64, u64) {
    let mut count = 0u64;
    let mut bytes = 0u64;
    for (k, v) in attrs {
        count = count.saturating_add(1);
        bytes = bytes.saturating_add(len_u64(k.len()).saturating_add(len_u64(v.len())));
    }
    if count == 0 {
        return (0, free_tier);
    }
    let (charged, left) = if bytes <= free_tier {
        (0, free_tier - bytes)
    } else {
        (bytes - free_tier, 0)
    };
    let gas = EVENT_ATTRIBUTE_DATA_COST
        .saturating_mul(charged)
        .saturating_add(PER_ATTRIBUTE_COST.saturating_mul(count));
    (gas, left)
}
