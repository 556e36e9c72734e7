//! Command lines of `deaid tx training …` parsed by clap and turned into messages, no node.

use clap::Parser;
use prost::Message;

use super::*;
use crate::cli::tx_cmd::{TxArgs, TxCommand};
use crate::cli::{Cli, Command};
use deai_client::txbuilder::to_any;

/// The signer: a real address, since commits bind its bytes.
fn signer() -> String {
    addr(7)
}

fn addr(b: u8) -> String {
    deai_framework::Address::from_bytes(&[b; 20])
        .unwrap()
        .to_bech32()
}

fn hex(b: u8) -> String {
    hex::encode([b; 32])
}

fn udeai(n: u64) -> Option<ProtoCoin> {
    Some(deai_client::coin("udeai", n.into()))
}

/// `deaid tx training <args>`, the args split at spaces.
fn parse(args: &str) -> Result<TrainingTx, clap::Error> {
    let argv = ["deaid", "tx", "training"]
        .into_iter()
        .chain(args.split_whitespace());
    match Cli::try_parse_from(argv)?.command {
        Command::Tx(tx) => match *tx {
            TxCommand::Training(c) => Ok(c),
            _ => unreachable!("not a training tx"),
        },
        _ => unreachable!("not a tx"),
    }
}

fn error(args: &str) -> String {
    parse(args).unwrap_err().to_string()
}

/// The message a command line makes (or the error building it), as an Any, with the key and
/// flags it signs with.
fn try_any(args: &str) -> anyhow::Result<(cosmos_sdk_proto::Any, String, TxArgs)> {
    fn b<T: clap::Args + BuildMsg>(
        s: Signed<T>,
    ) -> anyhow::Result<(cosmos_sdk_proto::Any, String, TxArgs)> {
        Ok((to_any(&s.msg.build(&signer())?), s.from, s.tx))
    }
    match parse(args).unwrap_or_else(|e| panic!("{args}: {e}")) {
        TrainingTx::CreateTask(_) => unreachable!("reads a file; see build_create_task"),
        TrainingTx::Register(s) => b(s),
        TrainingTx::AddStake(s) => b(s),
        TrainingTx::RemoveStake(s) => b(s),
        TrainingTx::CommitUpdate(s) => b(s),
        TrainingTx::RevealUpdate(s) => b(s),
        TrainingTx::CommitWeights(s) => b(s),
        TrainingTx::RevealWeights(s) => b(s),
        TrainingTx::SubmitAggregate(s) => b(s),
        TrainingTx::OpenAudit(s) => b(s),
        TrainingTx::SubmitAudit(s) => b(s),
    }
}

fn msg<M: Message + prost::Name + Default>(args: &str) -> M {
    let (any, _, _) = try_any(args).unwrap_or_else(|e| panic!("{args}: {e}"));
    assert_eq!(any.type_url, M::type_url());
    M::decode(any.value.as_slice()).unwrap()
}

fn build_error(args: &str) -> String {
    try_any(args).unwrap_err().to_string()
}

const SPEC: &[u8] = br#"{"version":1,"kind":"train","dataset":{"sha256":"abababababababababababababababababababababababababababababababab"}}"#;

/// create-task with the flags of `extra` replacing (or adding to) a base set.
fn task_args(extra: &str) -> Result<CreateTask, clap::Error> {
    let base = "--spec job.json --dataset-uri https://d.example/data.csv \
         --tempo 100 --reveal-window 10 --aggregate-window 20 --max-neurons 64 \
         --pool 100000000udeai --emission-per-tempo 1000000udeai \
         --min-trainer-stake 1000udeai --min-validator-stake 5000udeai";
    let given: Vec<&str> = extra.split_whitespace().collect();
    let mut args = vec!["create-task", "alice"];
    let mut base = base.split_whitespace();
    while let (Some(flag), Some(value)) = (base.next(), base.next()) {
        if !given.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend(given);
    match parse(&args.join(" "))? {
        TrainingTx::CreateTask(s) => Ok(s.msg),
        _ => unreachable!(),
    }
}

fn task(extra: &str, spec: &[u8]) -> anyhow::Result<pb::MsgCreateTask> {
    build_create_task(&task_args(extra).unwrap(), &signer(), spec.to_vec())
}

#[test]
fn create_task() {
    let m = task("--shard-count 4", SPEC).unwrap();
    assert_eq!(m.creator, signer());
    assert_eq!(m.reward_pool, udeai(100_000_000));
    let s = m.spec.unwrap();
    assert_eq!(s.base_spec, SPEC);
    assert_eq!(s.base_spec_sha256, Sha256::digest(SPEC).to_vec());
    assert_eq!(s.dataset_sha256, vec![0xab; 32], "from the spec");
    assert_eq!(s.dataset_uri, "https://d.example/data.csv");
    let shape = (s.tempo, s.reveal_window, s.aggregate_window);
    assert_eq!(shape, (100, 10, 20));
    assert_eq!((s.max_neurons, s.shard_count), (64, 4));
    assert_eq!(s.emission_per_tempo, udeai(1_000_000));
    assert_eq!(s.min_trainer_stake, udeai(1000));
    assert_eq!(s.min_validator_stake, udeai(5000));
    let defaults = pb::YumaParams {
        kappa_u16: 32767,
        bonds_moving_average: 900_000,
        bonds_penalty_u16: 65535,
        yuma3: false,
        liquid_alpha: false,
        alpha_low_u16: 45875,
        alpha_high_u16: 58982,
        alpha_sigmoid_steepness: 1000,
        max_allowed_validators: 128,
    };
    assert_eq!(s.yuma, Some(defaults), "subtensor's defaults");

    let y = task(
        "--yuma3 --liquid-alpha --kappa-u16 40000 --bonds-moving-average 0 \
         --bonds-penalty-u16 0 --alpha-low-u16 1 --alpha-high-u16 2 \
         --alpha-sigmoid-steepness -5 --max-allowed-validators 8",
        SPEC,
    )
    .unwrap()
    .spec
    .unwrap()
    .yuma
    .unwrap();
    assert!(y.yuma3 && y.liquid_alpha);
    assert_eq!((y.kappa_u16, y.bonds_moving_average), (40000, 0));
    assert_eq!((y.alpha_low_u16, y.alpha_high_u16), (1, 2));
    assert_eq!(
        (y.alpha_sigmoid_steepness, y.max_allowed_validators),
        (-5, 8)
    );

    // The dataset hash: the flag, which must agree with the spec's when it names one.
    let bare = br#"{"kind":"train"}"#;
    let m = task(&format!("--dataset-sha256 {}", hex(1)), bare).unwrap();
    assert_eq!(m.spec.unwrap().dataset_sha256, vec![1; 32]);
    let e = task("", bare).unwrap_err().to_string();
    assert!(e.contains("give --dataset-sha256"), "{e}");
    let e = task(&format!("--dataset-sha256 {}", hex(1)), SPEC)
        .unwrap_err()
        .to_string();
    assert!(e.contains("differs from the spec's dataset.sha256"), "{e}");
    assert!(task(&format!("--dataset-sha256 {}", hex(0xab)), SPEC).is_ok());
}

#[test]
fn create_task_refusals() {
    let e = |extra: &str, spec: &[u8]| task(extra, spec).unwrap_err().to_string();
    assert!(e("", b"{").contains("--spec is not JSON"));
    assert!(e("", b"[1]").contains("JSON object"));
    assert!(e("", br#"{"kind":"infer"}"#).contains("\"kind\": \"train\""));
    assert!(e("--reveal-window 0", SPEC).contains("--reveal-window must be at least 1"));
    // tempo must exceed A + 3W + 1 = 20 + 30 + 1 = 51.
    assert!(e("--tempo 51", SPEC).contains("= 51, got 51"));
    assert!(task("--tempo 52", SPEC).is_ok());
    assert!(e("--max-neurons 1", SPEC).contains("--max-neurons must be at least 2"));
    assert!(e("--aggregate-window 0", SPEC).contains("--aggregate-window must be at least 1"));
    assert!(e("--shard-count 0", SPEC).contains("--shard-count"));
    assert!(e("--emission-per-tempo 5uatom", SPEC).contains("its denom udeai"));
    assert!(e("--min-validator-stake 5uatom", SPEC).contains("--min-validator-stake"));
    assert!(e("--bonds-moving-average 1000001", SPEC).contains("at most 1000000"));
    assert!(e("--alpha-low-u16 9 --alpha-high-u16 8", SPEC).contains("must not exceed"));
    assert!(e("--max-allowed-validators 0", SPEC).contains("positive"));
    let parse_err = |extra: &str| task_args(extra).unwrap_err().to_string();
    assert!(parse_err("--kappa-u16 65536").contains("--kappa-u16"));
    assert!(parse_err("--max-neurons 70000").contains("--max-neurons"));
    assert!(parse_err("--pool 0udeai").contains("--pool"));
    assert!(parse_err("--dataset-sha256 abcd").contains("got 2 bytes"));
    assert!(parse_err("--dataset-uri a\x01b").contains("printable ASCII"));
    assert!(task_args(&format!("--dataset-uri {}", "a".repeat(513))).is_err());
    let e = error("create-task alice --spec job.json");
    assert!(e.contains("--dataset-uri"), "{e}");
}

#[test]
fn neurons_and_stake() {
    let (any, from, tx) =
        try_any("register bob --task 3 --role validator --stake 5000udeai -y").unwrap();
    assert_eq!((from.as_str(), tx.yes), ("bob", true));
    let m = pb::MsgRegisterNeuron::decode(any.value.as_slice()).unwrap();
    assert_eq!((m.owner, m.task_id), (signer(), 3));
    assert_eq!(m.role, pb::Role::Validator as i32);
    assert_eq!(m.stake, udeai(5000));
    let m: pb::MsgRegisterNeuron = msg("register bob --task 3 --role trainer --stake 1udeai");
    assert_eq!(m.role, pb::Role::Trainer as i32);
    assert!(error("register bob --task 3 --role miner --stake 1udeai").contains("--role"));
    assert!(error("register bob --task 3 --role trainer --stake 1").contains("--stake"));
    assert!(error("register bob --role trainer --stake 1udeai").contains("--task"));

    let m: pb::MsgAddStake = msg("add-stake bob --task 3 --amount 70udeai");
    assert_eq!((m.owner, m.task_id, m.amount), (signer(), 3, udeai(70)));
    let m: pb::MsgRemoveStake = msg("remove-stake bob --task 3 --amount 70udeai");
    assert_eq!((m.owner, m.task_id, m.amount), (signer(), 3, udeai(70)));
    assert!(error("remove-stake bob --task 3 --amount x").contains("--amount"));
}

/// docs/training.md's update commit, written out independently of deai-training.
fn expected_update_commit(update: &[u8], salt: &[u8], owner: &str) -> Vec<u8> {
    let owner = deai_framework::Address::from_bech32(owner).unwrap();
    Sha256::new()
        .chain_update(update)
        .chain_update(salt)
        .chain_update(owner.as_bytes())
        .finalize()
        .to_vec()
}

#[test]
fn updates() {
    let salt = "11".repeat(16);
    let m: pb::MsgCommitUpdate = msg(&format!(
        "commit-update t --task 2 --round 5 --update-hash {} --salt {salt}",
        hex(3)
    ));
    assert_eq!((m.owner.clone(), m.task_id, m.round), (signer(), 2, 5));
    let want = expected_update_commit(&[3; 32], &[0x11; 16], &signer());
    assert_eq!(m.commit_hash, want);
    let m: pb::MsgCommitUpdate = msg(&format!(
        "commit-update t --task 2 --round 5 --commit-hash {}",
        hex(9)
    ));
    assert_eq!(m.commit_hash, vec![9; 32]);
    let e = error(&format!(
        "commit-update t --task 2 --round 5 --commit-hash {} --salt {salt}",
        hex(9)
    ));
    assert!(e.contains("cannot be used with"), "{e}");
    let e = error("commit-update t --task 2 --round 5");
    assert!(e.contains("--update-hash") && e.contains("--salt"), "{e}");
    let e = error(&format!(
        "commit-update t --task 2 --round 5 --update-hash {} --salt abcd",
        hex(3)
    ));
    assert!(
        e.contains("16 to 64 bytes") && e.contains("got 2 bytes"),
        "{e}"
    );
    let e = error(&format!(
        "commit-update t --task 2 --round 5 --update-hash {} --salt {}",
        hex(3),
        "00".repeat(65)
    ));
    assert!(e.contains("got 65 bytes"), "{e}");
    assert!(
        error("commit-update t --task 2 --round 5 --update-hash 00 --salt xyz")
            .contains("--update-hash")
    );

    let m: pb::MsgRevealUpdate = msg(&format!(
        "reveal-update t --task 2 --round 5 --update-hash {} --salt 0x{salt} \
         --uri http://127.0.0.1:8080/blobs/u --checkpoints {},{}",
        hex(3),
        hex(4),
        hex(5)
    ));
    assert_eq!((m.owner, m.task_id, m.round), (signer(), 2, 5));
    assert_eq!((m.update_hash, m.salt), (vec![3; 32], vec![0x11; 16]));
    assert_eq!(m.uri, "http://127.0.0.1:8080/blobs/u");
    assert_eq!(m.checkpoint_hashes, vec![vec![4; 32], vec![5; 32]]);
    let one = format!(
        "reveal-update t --task 2 --round 5 --update-hash {} --salt {salt} --uri http://h \
         --checkpoints {}",
        hex(3),
        hex(4)
    );
    assert!(build_error(&one).contains("at least 2 hashes, got 1"));
    let e = error(&one.replace("http://h", &"h".repeat(513)));
    assert!(e.contains("--uri") && e.contains("1..=512 bytes"), "{e}");
    assert!(error(&one.replace(&hex(4), "zz")).contains("--checkpoints"));
}

/// docs/training.md's weights commit, written out independently of deai-training.
fn expected_weights_commit(owner: &str, task: u64, round: u64, row: &[(u16, u16)]) -> Vec<u8> {
    let owner = deai_framework::Address::from_bech32(owner).unwrap();
    let mut h = Sha256::new();
    h.update(b"deai/training/weights");
    h.update(owner.as_bytes());
    h.update(task.to_be_bytes());
    h.update(round.to_be_bytes());
    h.update((row.len() as u32).to_be_bytes());
    row.iter().for_each(|(u, _)| h.update(u.to_be_bytes()));
    row.iter().for_each(|(_, v)| h.update(v.to_be_bytes()));
    h.update([0x22; 20]);
    h.update(7u64.to_be_bytes());
    h.finalize().to_vec()
}

#[test]
fn weights() {
    let row = format!(
        "--task 4 --round 1 --uids 0,1,2 --values 65535,100,0 --salt {} --version 7",
        "22".repeat(20)
    );
    let m: pb::MsgCommitWeights = msg(&format!("commit-weights v {row}"));
    assert_eq!((m.owner, m.task_id, m.round), (signer(), 4, 1));
    let want = expected_weights_commit(&signer(), 4, 1, &[(0, 65535), (1, 100), (2, 0)]);
    assert_eq!(m.commit_hash, want);
    let m: pb::MsgRevealWeights = msg(&format!("reveal-weights v {row}"));
    assert_eq!(
        (m.owner, m.task_id, m.round, m.version),
        (signer(), 4, 1, 7)
    );
    assert_eq!((m.uids, m.values), (vec![0, 1, 2], vec![65535, 100, 0]));
    assert_eq!(m.salt, vec![0x22; 20]);
    let m: pb::MsgRevealWeights = msg(&row
        .replace(" --version 7", "")
        .replace("--task", "reveal-weights v --task"));
    assert_eq!(m.version, 0, "--version defaults to 0");

    for cmd in ["commit-weights", "reveal-weights"] {
        let e = build_error(&format!("{cmd} v {}", row.replace("0,1,2", "0,1")));
        assert!(e.contains("--uids has 2 entries but --values has 3"), "{e}");
        let e = build_error(&format!("{cmd} v {}", row.replace("0,1,2", "0,1,0")));
        assert!(e.contains("uid 0 is given twice"), "{e}");
        assert!(
            error(&format!("{cmd} v {}", row.replace("0,1,2", "0,1,65536"))).contains("--uids")
        );
        assert!(error(&format!(
            "{cmd} v {}",
            row.replace("65535,100", "65536,100")
        ))
        .contains("--values"));
        assert!(error(&format!(
            "{cmd} v --task 4 --round 1 --values 1 --salt {}",
            "22".repeat(20)
        ))
        .contains("--uids"));
    }
}

#[test]
fn aggregates_and_audits() {
    let m: pb::MsgSubmitAggregate = msg(&format!(
        "submit-aggregate a --task 1 --round 2 --aggregate-hash {} --uri https://a.example/agg",
        hex(6)
    ));
    assert_eq!((m.aggregator, m.task_id, m.round), (signer(), 1, 2));
    assert_eq!(
        (m.aggregate_hash, m.uri.as_str()),
        (vec![6; 32], "https://a.example/agg")
    );

    let m: pb::MsgOpenAudit = msg("open-audit v --task 1 --round 2 --target update --uid 5");
    assert_eq!((m.auditor, m.task_id, m.round), (signer(), 1, 2));
    assert_eq!(
        (m.target, m.accused_uid),
        (pb::AuditTarget::Update as i32, 5)
    );
    let m: pb::MsgOpenAudit = msg("open-audit v --task 1 --round 2 --target aggregate");
    assert_eq!(
        (m.target, m.accused_uid),
        (pb::AuditTarget::Aggregate as i32, 0)
    );
    let e = build_error("open-audit v --task 1 --round 2 --target update");
    assert!(e.contains("needs --uid"), "{e}");
    let e = build_error("open-audit v --task 1 --round 2 --target aggregate --uid 3");
    assert!(e.contains("only for --target update"), "{e}");
    assert!(error("open-audit v --task 1 --round 2 --target lease").contains("--target"));

    let m: pb::MsgSubmitAudit = msg(&format!("submit-audit r --audit 9 --answer {}", hex(8)));
    assert_eq!(
        (m.referee, m.audit_id, m.answer),
        (signer(), 9, vec![8; 32])
    );
    let m: pb::MsgSubmitAudit = msg("submit-audit r --audit 9 --answer none");
    assert!(m.answer.is_empty());
    let e = error("submit-audit r --audit 9 --answer abcd");
    assert!(e.contains("or none"), "{e}");
}
