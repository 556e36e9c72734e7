//! An independent in-process replay: a fresh app on a temporary store gets the localnet's
//! genesis as CometBFT gives it (InitChain from genesis.json) and then every committed block
//! as CometBFT gives it (FinalizeBlock + Commit), and must reach the network's app hash and
//! tx results at every height.

use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::Digest;
use tendermint::block::CommitSig;
use tendermint_proto::google::protobuf::{Duration as PbDuration, Timestamp};
use tendermint_proto::v0_38::abci;
use tendermint_proto::v0_38::types as pbt;

use super::check::Chain;

fn num(v: &Value, what: &str) -> i64 {
    match v {
        Value::String(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("genesis {what}: {s:?}")),
        Value::Number(n) => n.as_i64().unwrap_or_else(|| panic!("genesis {what}: {n}")),
        other => panic!("genesis {what}: {other}"),
    }
}

fn timestamp(t: tendermint::Time) -> Timestamp {
    t.into()
}

/// genesis.json's consensus params as CometBFT's InitChain carries them.
fn consensus_params(p: &Value) -> pbt::ConsensusParams {
    let ns = num(&p["evidence"]["max_age_duration"], "max_age_duration");
    pbt::ConsensusParams {
        block: Some(pbt::BlockParams {
            max_bytes: num(&p["block"]["max_bytes"], "max_bytes"),
            max_gas: num(&p["block"]["max_gas"], "max_gas"),
        }),
        evidence: Some(pbt::EvidenceParams {
            max_age_num_blocks: num(&p["evidence"]["max_age_num_blocks"], "max_age_num_blocks"),
            max_age_duration: Some(PbDuration {
                seconds: ns / 1_000_000_000,
                nanos: (ns % 1_000_000_000) as i32,
            }),
            max_bytes: num(&p["evidence"]["max_bytes"], "evidence max_bytes"),
        }),
        validator: Some(pbt::ValidatorParams {
            pub_key_types: p["validator"]["pub_key_types"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|t| t.as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default(),
        }),
        version: Some(pbt::VersionParams {
            app: p["version"]["app"]
                .as_str()
                .map_or(0, |s| s.parse().unwrap_or(0)),
        }),
        abci: Some(pbt::AbciParams {
            vote_extensions_enable_height: p["abci"]["vote_extensions_enable_height"]
                .as_str()
                .map_or(0, |s| s.parse().unwrap_or(0)),
        }),
    }
}

/// The RequestInitChain CometBFT builds from `genesis` (genesis.json).
pub fn init_chain_request(genesis: &Value) -> abci::RequestInitChain {
    let vals = genesis["validators"].as_array().map_or(0, Vec::len);
    // The localnet's validators come from gentxs (staking's InitChain answer).
    assert_eq!(
        vals, 0,
        "genesis.json lists validators: not supported by this replay"
    );
    let time = genesis["genesis_time"].as_str().expect("genesis_time");
    abci::RequestInitChain {
        time: Some(timestamp(
            tendermint::Time::parse_from_rfc3339(time).expect("an RFC 3339 genesis_time"),
        )),
        chain_id: genesis["chain_id"].as_str().expect("chain_id").into(),
        consensus_params: Some(consensus_params(&genesis["consensus_params"])),
        validators: Vec::new(),
        app_state_bytes: serde_json::to_vec(&genesis["app_state"])
            .expect("JSON")
            .into(),
        initial_height: num(&genesis["initial_height"], "initial_height"),
    }
}

/// The RequestFinalizeBlock CometBFT builds for block `i` of `chain` (height `i + 1`).
pub fn finalize_request(chain: &Chain, i: usize) -> abci::RequestFinalizeBlock {
    let block = &chain.blocks[i];
    let h = block.header.height.value();
    // CometBFT's decided_last_commit: one vote per validator of the previous height, in the
    // set's order, which is also the order of the commit's signatures; empty at height 1.
    let decided_last_commit = match (&block.last_commit, i) {
        (Some(commit), 1..) => {
            let vals = &chain.validators[i - 1];
            assert_eq!(
                vals.len(),
                commit.signatures.len(),
                "height {h}: the last commit and the validator set differ in size"
            );
            abci::CommitInfo {
                round: commit.round.value() as i32,
                votes: vals
                    .iter()
                    .zip(&commit.signatures)
                    .map(|(v, sig)| abci::VoteInfo {
                        validator: Some(abci::Validator {
                            address: v.address.as_bytes().to_vec().into(),
                            power: v.power.value() as i64,
                        }),
                        block_id_flag: match sig {
                            CommitSig::BlockIdFlagAbsent => pbt::BlockIdFlag::Absent,
                            CommitSig::BlockIdFlagCommit { .. } => pbt::BlockIdFlag::Commit,
                            CommitSig::BlockIdFlagNil { .. } => pbt::BlockIdFlag::Nil,
                        } as i32,
                    })
                    .collect(),
            }
        }
        _ => abci::CommitInfo::default(),
    };
    let misbehavior = block
        .evidence
        .iter()
        .map(|e| match e {
            tendermint::evidence::Evidence::DuplicateVote(d) => abci::Misbehavior {
                r#type: abci::MisbehaviorType::DuplicateVote as i32,
                validator: Some(abci::Validator {
                    address: d.vote_a.validator_address.as_bytes().to_vec().into(),
                    power: d.validator_power.value() as i64,
                }),
                height: d.vote_a.height.value() as i64,
                time: Some(timestamp(d.timestamp)),
                total_voting_power: d.total_voting_power.value() as i64,
            },
            other => panic!("height {h}: evidence {other:?} is not replayed"),
        })
        .collect();
    abci::RequestFinalizeBlock {
        txs: block.data.iter().map(|t| t.clone().into()).collect(),
        decided_last_commit: Some(decided_last_commit),
        misbehavior,
        hash: chain.hashes[i].as_bytes().to_vec().into(),
        height: h as i64,
        time: Some(timestamp(block.header.time)),
        next_validators_hash: block.header.next_validators_hash.as_bytes().to_vec().into(),
        proposer_address: block.header.proposer_address.as_bytes().to_vec().into(),
    }
}

/// Replays `chain` on a fresh app from `genesis`; asserts, at each height but the last
/// (whose app hash is in no fetched header), that the app hash equals the next header's and
/// that every tx result equals the network's. Returns the replayed heights and the time.
pub fn replay(genesis: &Value, chain: &Chain, seed: u64) -> (u64, Duration) {
    use deaid::node::{App, NodeSettings};
    use deaid::store::{SledKv, Storage, StorageConfig};
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("deai-replay-")
        .tempdir()
        .expect("a temporary directory");
    let kv = SledKv::open(&dir.path().join("state")).expect("a sled store");
    let storage = Storage::open(std::sync::Arc::new(kv), StorageConfig::default()).expect("store");
    let app = App::new(storage, NodeSettings::default()).expect("a fresh app");
    let init = app.init_chain(init_chain_request(genesis));
    assert_eq!(
        hex::encode_upper(&init.app_hash),
        chain.blocks[0].header.app_hash.to_string(),
        "seed {seed}: the replay's genesis app hash differs from block 1's header"
    );
    let last = chain.blocks.len() - 1;
    for i in 0..last {
        let h = i + 1;
        let resp = app.finalize_block(finalize_request(chain, i));
        let network = chain.results[i].txs_results.as_deref().unwrap_or_default();
        assert_eq!(
            resp.tx_results.len(),
            network.len(),
            "seed {seed}: height {h}: tx count"
        );
        for (k, (mine, theirs)) in resp.tx_results.iter().zip(network).enumerate() {
            // tendermint-rpc keeps `data` as the base64 text of the JSON answer.
            let their_data =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &theirs.data)
                    .unwrap_or_else(|_| theirs.data.to_vec());
            let digest = |d: &[u8]| hex::encode(&sha2::Sha256::digest(d)[..8]);
            let mine = (
                mine.code,
                mine.gas_wanted,
                mine.gas_used,
                digest(&mine.data),
            );
            let theirs = (
                theirs.code.value(),
                theirs.gas_wanted,
                theirs.gas_used,
                digest(&their_data),
            );
            assert_eq!(
                mine, theirs,
                "seed {seed}: height {h} tx {k}: the replay's result (code, gas wanted, \
                 gas used, sha256 of data) differs from the network's"
            );
        }
        app.commit();
        assert_eq!(
            hex::encode_upper(&resp.app_hash),
            chain.blocks[i + 1].header.app_hash.to_string(),
            "seed {seed}: the replay's app hash after height {h} differs from the network's"
        );
    }
    (last as u64, started.elapsed())
}
