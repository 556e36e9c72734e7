//! Command lines of `deaid tx task …` (and `deaid query task …`'s state filter) parsed by
//! clap and turned into messages, no node.

use clap::Parser;
use prost::Message;
use sha2::{Digest, Sha256};

use super::*;
use crate::cli::query_cmd::QueryCommand;
use crate::cli::tx_cmd::TxCommand;
use crate::cli::{Cli, Command};
use deai_client::txbuilder::to_any;

fn signer() -> String {
    deai_framework::Address::from_bytes(&[7; 20])
        .unwrap()
        .to_bech32()
}

/// `deaid tx task <args>`, the args split at spaces.
fn parse(args: &str) -> Result<TaskTx, clap::Error> {
    let argv = ["deaid", "tx", "task"]
        .into_iter()
        .chain(args.split_whitespace());
    match Cli::try_parse_from(argv)?.command {
        Command::Tx(tx) => match *tx {
            TxCommand::Task(c) => Ok(c),
            _ => unreachable!("not a task tx"),
        },
        _ => unreachable!("not a tx"),
    }
}

const SPEC: &[u8] = br#"{"version":1,"kind":"train","dataset":{"sha256":"abababababababababababababababababababababababababababababababab"}}"#;
const EVAL: &[u8] = br#"{"version":1,"kind":"eval"}"#;

const BASE: &str = "--title MNIST --eval-spec eval.json --metric accuracy \
     --target 0.9 --spec job.json --dataset-uri https://d.example/data.csv \
     --tempo 100 --reveal-window 10 --aggregate-window 20 --max-neurons 64 \
     --pool 100000000udeai --emission-per-tempo 1000000udeai \
     --min-trainer-stake 1000udeai --min-validator-stake 5000udeai";

/// propose with the flags of `extra` replacing (or adding to) the base set.
fn propose_args(extra: &str) -> Result<Propose, clap::Error> {
    let given: Vec<&str> = extra.split_whitespace().collect();
    let mut args = vec!["propose", "alice"];
    let mut base = BASE.split_whitespace();
    while let (Some(flag), Some(value)) = (base.next(), base.next()) {
        if !given.contains(&flag) {
            args.extend([flag, value]);
        }
    }
    args.extend(given);
    match parse(&args.join(" "))? {
        TaskTx::Propose(s) => {
            assert_eq!(s.from, "alice");
            Ok(s.msg)
        }
        _ => unreachable!(),
    }
}

fn propose(extra: &str, eval: &[u8]) -> anyhow::Result<deai_proto::task::v1::MsgProposeTask> {
    let a = propose_args(extra).unwrap();
    build_propose(
        &a,
        &signer(),
        SPEC.to_vec(),
        eval.to_vec(),
        a.description.clone(),
    )
}

#[test]
fn propose_builds_the_training_spec_and_the_evaluation() {
    let m = propose("--deposit 10000000udeai --description a-small-mlp", EVAL).unwrap();
    assert_eq!(m.proposer, signer());
    assert_eq!(
        (m.title.as_str(), m.description.as_str()),
        ("MNIST", "a-small-mlp")
    );
    let s = m.spec.unwrap();
    assert_eq!(s.base_spec, SPEC);
    assert_eq!(s.base_spec_sha256, Sha256::digest(SPEC).to_vec());
    assert_eq!(s.dataset_sha256, vec![0xab; 32]);
    assert_eq!((s.tempo, s.max_neurons), (100, 64));
    assert_eq!(m.reward_pool, Some(deai_client::coin("udeai", 100_000_000)));
    assert_eq!(
        m.initial_deposit,
        vec![deai_client::coin("udeai", 10_000_000)]
    );
    let e = m.evaluation.unwrap();
    assert_eq!(
        (e.spec.as_slice(), e.metric.as_str(), e.target.as_str()),
        (EVAL, "accuracy", "0.9")
    );
    // Without --deposit: none.
    assert!(propose("", EVAL).unwrap().initial_deposit.is_empty());
    let any = to_any(&propose("", EVAL).unwrap());
    assert_eq!(any.type_url, "/deai.task.v1.MsgProposeTask");
}

#[test]
fn propose_refuses_bad_values() {
    let e = propose_args("--target -1").unwrap_err().to_string();
    assert!(e.contains("--target"), "{e}");
    let e = propose_args("--target abc").unwrap_err().to_string();
    assert!(e.contains("expected e.g. 0.9"), "{e}");
    let e = propose_args("--deposit 0udeai").unwrap_err().to_string();
    assert!(e.contains("deposit"), "{e}");
    let e = propose_args("--description x --description-file d.txt")
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot be used with"), "{e}");
    let e = propose("", b"[1]").unwrap_err().to_string();
    assert!(e.contains("--eval-spec must be a JSON object"), "{e}");
    let e = propose("", b"nope").unwrap_err().to_string();
    assert!(e.contains("--eval-spec is not JSON"), "{e}");
    // The training spec is checked as create-task checks it.
    let e = propose("--tempo 5", EVAL).unwrap_err().to_string();
    assert!(e.contains("--tempo must exceed"), "{e}");
    let e = parse("propose alice --title x").unwrap_err().to_string();
    assert!(e.contains("required"), "{e}");
}

#[test]
fn deposit_and_vote() {
    let TaskTx::Deposit(s) = parse("deposit bob 3 5000udeai --fees 10udeai").unwrap() else {
        panic!()
    };
    assert_eq!(s.from, "bob");
    let m = s.msg.build(&signer()).unwrap();
    assert_eq!((m.task_id, m.depositor.clone()), (3, signer()));
    assert_eq!(m.amount, vec![deai_client::coin("udeai", 5000)]);
    assert_eq!(s.tx.fees.as_deref(), Some("10udeai"));
    for (word, o) in [("yes", 1), ("abstain", 2), ("no", 3), ("no_with_veto", 4)] {
        let TaskTx::Vote(s) = parse(&format!("vote bob 3 {word}")).unwrap() else {
            panic!()
        };
        let m = s.msg.build(&signer()).unwrap();
        assert_eq!((m.task_id, m.option, m.voter), (3, o, signer()));
        let any = to_any(&s.msg.build(&signer()).unwrap());
        let back = deai_proto::task::v1::MsgVoteTask::decode(any.value.as_slice()).unwrap();
        assert_eq!(back.option, o);
    }
    assert!(parse("vote bob 3 maybe").is_err());
    assert!(parse("deposit bob 3 nothing").is_err());
}

#[test]
fn query_task_parses_states_and_pages() {
    let q = |args: &str| {
        let argv = ["deaid", "query", "task"]
            .into_iter()
            .chain(args.split_whitespace());
        Cli::try_parse_from(argv).map(|c| match c.command {
            Command::Query(QueryCommand::Task(t)) => t,
            _ => unreachable!("not a task query"),
        })
    };
    use crate::cli::task_query::TaskQuery;
    let TaskQuery::Tasks { state, page, .. } = q("tasks --state verifying --limit 5").unwrap()
    else {
        panic!()
    };
    assert_eq!(
        state,
        Some(deai_proto::task::v1::TaskState::Verifying as i32)
    );
    assert_eq!(page.limit, 5);
    let TaskQuery::Tasks { state, .. } = q("tasks --state TASK_STATE_LAUNCHED").unwrap() else {
        panic!()
    };
    assert_eq!(state, Some(3));
    assert!(q("tasks --state unspecified").is_err());
    assert!(matches!(
        q("attestations 4").unwrap(),
        TaskQuery::Attestations { task_id: 4, .. }
    ));
    assert!(matches!(
        q("votes 4").unwrap(),
        TaskQuery::Votes { task_id: 4, .. }
    ));
    assert!(matches!(
        q("task 4").unwrap(),
        TaskQuery::Task { id: 4, .. }
    ));
    assert!(matches!(q("params").unwrap(), TaskQuery::Params { .. }));
}
