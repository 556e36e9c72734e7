//! The inference server and the requester against an in-memory chain that verifies
//! submissions as the inference module does (deai-zk's verifier, the statement built from
//! the request), with a real model directory (a small MLP, real Groth16 keys): answers,
//! restarts that resume without submitting twice, and chain input that is refused without
//! stopping the daemon.

mod fake_chain;
mod fake_ledger;
mod fixtures;
mod optimistic;
mod watchdog;
mod zk_answers;
