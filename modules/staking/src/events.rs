//! staking's event types, the SDK's (x/staking/types/events.go), so indexers and clients
//! that know the SDK find them. The attributes are the SDK's too (`validator`, `delegator`,
//! `amount`, `completion_time`, …); the messages and `end_blocker` emit them.

pub const CREATE_VALIDATOR: &str = "create_validator";
pub const EDIT_VALIDATOR: &str = "edit_validator";
pub const DELEGATE: &str = "delegate";
pub const UNBOND: &str = "unbond";
pub const REDELEGATE: &str = "redelegate";
pub const CANCEL_UNBONDING_DELEGATION: &str = "cancel_unbonding_delegation";
pub const COMPLETE_UNBONDING: &str = "complete_unbonding";
pub const COMPLETE_REDELEGATION: &str = "complete_redelegation";
pub const UPDATE_PARAMS: &str = "update_params";
