//! The randomized determinism run: random txs of every module against a 4-validator localnet,
//! and an independent in-process replay of the same blocks.
