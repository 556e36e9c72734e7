//! Vote extensions in process: a proposal's injected extended commit is accepted only when
//! it matches the last commit and every extension signature verifies, with more than 2/3
//! of the power signed; forged, under-powered, misplaced or mis-powered ones are rejected.

use std::sync::Arc;

use base64::Engine as _;
use prost::bytes::Bytes;
use prost::Message as _;
use tendermint_proto::v0_38::abci as pb;
use tendermint_proto::v0_38::types::BlockIdFlag;

use deai_attest::extension::{encode_extension, encode_injected, extension_sign_bytes};

use super::tests::{key, params};
use super::*;
use crate::store::{SledKv, StorageConfig};
use deai_client::txbuilder::{sign_tx, to_any};

const CHAIN: &str = "deai-test";

struct Val {
    sk: ed25519_consensus::SigningKey,
    address: Vec<u8>,
}

fn vals() -> Vec<Val> {
    (1..=3u8)
        .map(|i| {
            let sk = ed25519_consensus::SigningKey::from([i + 40; 32]);
            let address = deai_staking::keeper::consensus_address(sk.verification_key().as_bytes());
            Val { sk, address }
        })
        .collect()
}

/// A chain with three genesis validators of 10 power each (gentxs), vote extensions on
/// from height `enable`, and block 1 committed.
fn chain(enable: i64) -> App {
    let storage = Storage::open(
        Arc::new(SledKv::temporary().unwrap()),
        StorageConfig::default(),
    )
    .unwrap();
    let app = App::new(storage, NodeSettings::default()).unwrap();
    let vals = vals();
    let mut accounts = Vec::new();
    let mut balances = Vec::new();
    let mut gentxs = Vec::new();
    for (i, v) in vals.iter().enumerate() {
        let k = key(i as u8 + 1);
        accounts.push(
            serde_json::json!({"@type": "/cosmos.auth.v1beta1.BaseAccount",
            "address": k.address().to_bech32(), "pub_key": null,
            "account_number": i.to_string(), "sequence": "0"}),
        );
        balances.push(serde_json::json!({"address": k.address().to_bech32(),
            "coins": [{"denom": "udeai", "amount": "100000000"}]}));
        #[allow(deprecated)]
        let msg = cosmos_sdk_proto::cosmos::staking::v1beta1::MsgCreateValidator {
            description: Some(cosmos_sdk_proto::cosmos::staking::v1beta1::Description {
                moniker: format!("v{i}"),
                ..Default::default()
            }),
            commission: Some(
                cosmos_sdk_proto::cosmos::staking::v1beta1::CommissionRates {
                    rate: "100000000000000000".into(),
                    max_rate: "200000000000000000".into(),
                    max_change_rate: "10000000000000000".into(),
                },
            ),
            min_self_delegation: "1".into(),
            delegator_address: String::new(),
            validator_address: deai_staking::address::val_to_bech32(&k.address()),
            pubkey: Some(cosmos_sdk_proto::Any {
                type_url: "/cosmos.crypto.ed25519.PubKey".into(),
                value: cosmos_sdk_proto::cosmos::crypto::ed25519::PubKey {
                    key: v.sk.verification_key().as_bytes().to_vec(),
                }
                .encode_to_vec(),
            }),
            value: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                denom: "udeai".into(),
                amount: "10000000".into(),
            }),
        };
        let mut p = params(0, 0);
        p.fee = deai_framework::Coins::empty();
        p.gas_limit = 1_000_000;
        gentxs.push(base64::engine::general_purpose::STANDARD.encode(sign_tx(
            &k,
            vec![to_any(&msg)],
            &p,
        )));
    }
    let app_state = serde_json::json!({"auth": {"accounts": accounts}, "bank": {"balances": balances},
        "genutil": {"gen_txs": gentxs}});
    let r = app.init_chain(pb::RequestInitChain {
        chain_id: CHAIN.into(),
        app_state_bytes: Bytes::from(serde_json::to_vec(&app_state).unwrap()),
        consensus_params: Some(tendermint_proto::v0_38::types::ConsensusParams {
            block: Some(tendermint_proto::v0_38::types::BlockParams {
                max_bytes: 1 << 20,
                max_gas: 10_000_000,
            }),
            abci: Some(tendermint_proto::v0_38::types::AbciParams {
                vote_extensions_enable_height: enable,
            }),
            ..Default::default()
        }),
        ..Default::default()
    });
    assert_eq!(r.validators.len(), 3);
    app.finalize_block(pb::RequestFinalizeBlock {
        height: 1,
        ..Default::default()
    });
    app.commit();
    app
}

fn validator(v: &Val, power: i64) -> Option<pb::Validator> {
    Some(pb::Validator {
        address: Bytes::from(v.address.clone()),
        power,
    })
}

/// Height 1's commit with `flags`, and its extended form with signed `extension`s.
fn commits(flags: &[BlockIdFlag], extension: &[u8]) -> (pb::CommitInfo, pb::ExtendedCommitInfo) {
    let vals = vals();
    let last = pb::CommitInfo {
        round: 0,
        votes: vals
            .iter()
            .zip(flags)
            .map(|(v, f)| pb::VoteInfo {
                validator: validator(v, 10),
                block_id_flag: *f as i32,
            })
            .collect(),
    };
    let ext = pb::ExtendedCommitInfo {
        round: 0,
        votes: vals
            .iter()
            .zip(flags)
            .map(|(v, f)| {
                let commit = *f == BlockIdFlag::Commit;
                let e = if commit { extension.to_vec() } else { vec![] };
                let sig = if commit {
                    v.sk.sign(&extension_sign_bytes(&e, 1, 0, CHAIN))
                        .to_bytes()
                        .to_vec()
                } else {
                    vec![]
                };
                pb::ExtendedVoteInfo {
                    validator: validator(v, 10),
                    vote_extension: Bytes::from(e),
                    extension_signature: Bytes::from(sig),
                    block_id_flag: *f as i32,
                }
            })
            .collect(),
    };
    (last, ext)
}

fn process(app: &App, txs: Vec<Vec<u8>>, last: pb::CommitInfo) -> bool {
    let r = app.process_proposal(pb::RequestProcessProposal {
        txs: txs.into_iter().map(Bytes::from).collect(),
        proposed_last_commit: Some(last),
        height: 2,
        ..Default::default()
    });
    r.status == pb::response_process_proposal::ProposalStatus::Accept as i32
}

const ALL: [BlockIdFlag; 3] = [BlockIdFlag::Commit; 3];

#[test]
fn a_valid_extended_commit_is_injected_and_accepted() {
    let app = chain(1);
    let (last, ext) = commits(&ALL, &encode_extension(&[(1, [7; 32])]));
    let prepared = app.prepare_proposal(pb::RequestPrepareProposal {
        max_tx_bytes: 1 << 20,
        local_last_commit: Some(ext.clone()),
        height: 2,
        ..Default::default()
    });
    assert_eq!(prepared.txs, vec![Bytes::from(encode_injected(&ext))]);
    assert!(process(&app, vec![encode_injected(&ext)], last.clone()));
    // Two of three committed (20 of 30 is not above 2/3): refused; the third absent with no
    // extension is fine as long as the power holds.
    let flags = [
        BlockIdFlag::Commit,
        BlockIdFlag::Commit,
        BlockIdFlag::Absent,
    ];
    let (last2, ext2) = commits(&flags, &[]);
    assert!(!process(&app, vec![encode_injected(&ext2)], last2));
    // No injected commit at all is accepted (attestation waits a block).
    assert!(process(&app, vec![], last.clone()));
    // FinalizeBlock reports it as the block's first result, with code 0.
    let r = app.finalize_block(pb::RequestFinalizeBlock {
        txs: vec![Bytes::from(encode_injected(&ext))],
        height: 2,
        ..Default::default()
    });
    assert_eq!(r.tx_results.len(), 1);
    assert_eq!(r.tx_results[0].code, 0);
}

#[test]
fn forged_misplaced_or_mispowered_commits_are_rejected() {
    let app = chain(1);
    let (last, ext) = commits(&ALL, &encode_extension(&[(1, [7; 32])]));
    // A forged signature (validator 0 signs another extension).
    let mut forged = ext.clone();
    forged.votes[0].vote_extension = Bytes::from(encode_extension(&[(1, [8; 32])]));
    assert!(!process(&app, vec![encode_injected(&forged)], last.clone()));
    // A signature by the wrong key.
    let mut wrong = ext.clone();
    wrong.votes[0].extension_signature = ext.votes[1].extension_signature.clone();
    assert!(!process(&app, vec![encode_injected(&wrong)], last.clone()));
    // More power than the last commit says.
    let mut heavy = ext.clone();
    heavy.votes[2].validator = validator(&vals()[2], 100);
    assert!(!process(&app, vec![encode_injected(&heavy)], last.clone()));
    // A validator dropped (the proposer hiding an extension).
    let mut short = ext.clone();
    short.votes.pop();
    assert!(!process(&app, vec![encode_injected(&short)], last.clone()));
    // A malformed extension, even well signed.
    let bad = vec![0xff, 0x01];
    let (last_b, ext_b) = commits(&ALL, &bad);
    assert!(!process(&app, vec![encode_injected(&ext_b)], last_b));
    // Anywhere but first.
    assert!(!process(
        &app,
        vec![encode_injected(&ext), encode_injected(&ext)],
        last.clone()
    ));
    // The honest one still passes.
    assert!(process(&app, vec![encode_injected(&ext)], last));
}

#[test]
fn without_vote_extensions_nothing_is_injected_or_accepted() {
    let app = chain(0);
    let (last, ext) = commits(&ALL, &[]);
    let prepared = app.prepare_proposal(pb::RequestPrepareProposal {
        max_tx_bytes: 1 << 20,
        local_last_commit: Some(ext.clone()),
        height: 2,
        ..Default::default()
    });
    assert!(prepared.txs.is_empty());
    assert!(!process(&app, vec![encode_injected(&ext)], last));
    let r = app.verify_vote_extension(pb::RequestVerifyVoteExtension {
        vote_extension: Bytes::from(vec![0xff]),
        height: 2,
        ..Default::default()
    });
    assert_eq!(
        r.status,
        pb::response_verify_vote_extension::VerifyStatus::Reject as i32
    );
    // No sidecar: an empty extension.
    let r = app.extend_vote(pb::RequestExtendVote {
        height: 2,
        ..Default::default()
    });
    assert!(r.vote_extension.is_empty());
}
