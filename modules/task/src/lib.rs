//! task: decentralized task proposing. See README.md.
