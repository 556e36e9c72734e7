//! The wasm keeper, as extension traits on any state. Records are only written here, and
//! each record's secondary indexes only by its `put_*` function.

use cosmos_sdk_proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, CodeInfo, ContractCodeHistoryEntry, ContractInfo, Params,
};
use deai_framework::keys::prefix_end;
use deai_framework::records::{self, stored_addr};
use deai_framework::{sdk, Address, StateRead, StateWrite, TxError};
use prost::Message;

use crate::state_key::{self, position_bytes};
use crate::{params, MODULE_NAME};

/// Most history entries a contract keeps that `contract_history` reads at once (each
/// migration adds one; genesis and the query page through them).
pub const MAX_HISTORY_READ: usize = 10_000;

pub(crate) fn decode<M: Message + Default>(bytes: &[u8]) -> Result<M, TxError> {
    records::decode(MODULE_NAME, bytes)
}

pub trait WasmRead: StateRead {
    /// The params as stored, or wasmd's defaults.
    fn wasm_params(&self) -> Result<Params, TxError> {
        Ok(records::get(MODULE_NAME, self, &state_key::params())?
            .unwrap_or_else(params::default_params))
    }

    /// Sequence `name`: the next id it hands out (0 when never used; ids start at 1).
    fn wasm_sequence(&self, name: &str) -> Result<u64, TxError> {
        records::sequence(MODULE_NAME, self, &state_key::sequence(name))
    }

    fn get_code_info(&self, id: u64) -> Result<Option<CodeInfo>, TxError> {
        records::get(MODULE_NAME, self, &state_key::code(id))
    }

    fn get_code_bytes(&self, checksum: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        self.get(&state_key::code_bytes(checksum))
    }

    fn is_pinned(&self, id: u64) -> Result<bool, TxError> {
        self.has(&state_key::pinned(id))
    }

    fn get_contract_info(&self, addr: &Address) -> Result<Option<ContractInfo>, TxError> {
        records::get(MODULE_NAME, self, &state_key::contract(addr))
    }

    /// A contract's code history, oldest first (at most [`MAX_HISTORY_READ`] entries).
    fn contract_history(&self, addr: &Address) -> Result<Vec<ContractCodeHistoryEntry>, TxError> {
        records::all_under(
            MODULE_NAME,
            self,
            &state_key::history_of(addr),
            MAX_HISTORY_READ,
        )
    }

    /// The position of a contract's last history entry (0: none).
    fn last_history_position(&self, addr: &Address) -> Result<u64, TxError> {
        let prefix = state_key::history_of(addr);
        let end = prefix_end(&prefix);
        let last = self.scan(&prefix, end.as_deref(), true, 1)?;
        match last.first() {
            Some((k, _)) => {
                state_key::trailing_id(k).ok_or_else(|| sdk::internal("corrupt wasm history key"))
            }
            None => Ok(0),
        }
    }

    /// One key of a contract's own storage.
    fn contract_state_get(&self, addr: &Address, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        self.get(&state_key::contract_state(addr, key))
    }
}

impl<T: StateRead + ?Sized> WasmRead for T {}

pub trait WasmWrite: StateWrite {
    fn set_wasm_params(&mut self, p: &Params) -> Result<(), TxError> {
        self.put(state_key::params(), p.encode_to_vec())
    }

    /// Hands out the next id of sequence `name`.
    fn next_wasm_id(&mut self, name: &str) -> Result<u64, TxError> {
        records::next_id(MODULE_NAME, self, state_key::sequence(name), name)
    }

    /// Sets sequence `name` (genesis import).
    fn set_wasm_sequence(&mut self, name: &str, next: u64) -> Result<(), TxError> {
        self.put(state_key::sequence(name), next.to_be_bytes().to_vec())
    }

    /// Writes code bytes under their checksum, once (equal codes share them).
    fn put_code_bytes(&mut self, checksum: &[u8], wasm: &[u8]) -> Result<(), TxError> {
        let key = state_key::code_bytes(checksum);
        if !self.has(&key)? {
            self.put(key, wasm.to_vec())?;
        }
        Ok(())
    }

    fn put_code_info(&mut self, id: u64, info: &CodeInfo) -> Result<(), TxError> {
        self.put(state_key::code(id), info.encode_to_vec())
    }

    fn set_pinned(&mut self, id: u64, pinned: bool) -> Result<(), TxError> {
        if pinned {
            // One byte, as wasmd stores it.
            self.put(state_key::pinned(id), vec![1])
        } else {
            self.delete(state_key::pinned(id))
        }
    }

    /// Writes a new contract's info with its by-creator index at `created` (its creation:
    /// the first history entry's position; a creator and creation never change). The
    /// by-code index follows the history: [`Self::index_by_code`].
    fn create_contract_info(
        &mut self,
        addr: &Address,
        info: &ContractInfo,
        created: Option<&AbsoluteTxPosition>,
    ) -> Result<(), TxError> {
        let creator = stored_addr(&info.creator)?;
        let created = position_bytes(created);
        self.put(state_key::by_creator(&creator, &created, addr), Vec::new())?;
        self.put_contract_info(addr, info)
    }

    /// Rewrites an existing contract's info (admin, label, code id).
    fn put_contract_info(&mut self, addr: &Address, info: &ContractInfo) -> Result<(), TxError> {
        self.put(state_key::contract(addr), info.encode_to_vec())
    }

    /// Appends entries to a contract's code history, at the positions after its last.
    fn append_history(
        &mut self,
        addr: &Address,
        entries: &[ContractCodeHistoryEntry],
    ) -> Result<(), TxError> {
        let mut pos = self.last_history_position(addr)?;
        for e in entries {
            pos = pos
                .checked_add(1)
                .ok_or_else(|| sdk::overflow("history positions exhausted"))?;
            self.put(state_key::history(addr, pos), e.encode_to_vec())?;
        }
        Ok(())
    }

    /// Indexes a contract under its code at the position of its latest history entry
    /// (wasmd's `addToContractCodeSecondaryIndex`).
    fn index_by_code(
        &mut self,
        addr: &Address,
        entry: &ContractCodeHistoryEntry,
    ) -> Result<(), TxError> {
        let pos = position_bytes(entry.updated.as_ref());
        self.put(state_key::by_code(entry.code_id, &pos, addr), Vec::new())
    }

    /// Removes the by-code index entry [`Self::index_by_code`] wrote (on migration).
    fn unindex_by_code(
        &mut self,
        addr: &Address,
        entry: &ContractCodeHistoryEntry,
    ) -> Result<(), TxError> {
        let pos = position_bytes(entry.updated.as_ref());
        self.delete(state_key::by_code(entry.code_id, &pos, addr))
    }

    fn contract_state_set(
        &mut self,
        addr: &Address,
        key: &[u8],
        value: Vec<u8>,
    ) -> Result<(), TxError> {
        self.put(state_key::contract_state(addr, key), value)
    }

    fn contract_state_remove(&mut self, addr: &Address, key: &[u8]) -> Result<(), TxError> {
        self.delete(state_key::contract_state(addr, key))
    }
}

impl<T: StateWrite + ?Sized> WasmWrite for T {}
