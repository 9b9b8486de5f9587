//! The fuzz corpora (`fuzz/corpus/<target>/`, grown by `cargo fuzz run`)
//! replayed through the real binary, where each parser meets its input: an
//! input that once crashed a parser, or reached new code, stays a test.

use std::fs;
use std::path::Path;

use crate::support::{Repo, Run};

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut out: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| fs::read(e.path()).unwrap())
        .collect();
    out.sort();
    out
}

/// Runs `each` over the corpus on a few threads, each with its own repository.
fn replay(target: &str, each: impl Fn(&Repo, &[u8]) -> Run + Sync) {
    let inputs = corpus(target);
    assert!(!inputs.is_empty(), "{target}: empty corpus");
    let chunk = inputs.len().div_ceil(4);
    std::thread::scope(|s| {
        for part in inputs.chunks(chunk) {
            let each = &each;
            s.spawn(move || {
                let repo = Repo::new();
                for input in part {
                    let run = each(&repo, input);
                    let shown = String::from_utf8_lossy(input);
                    assert!(
                        !run.stderr.contains("panicked") && run.code != 101,
                        "{target}: {shown:?}\n{}",
                        run.stderr
                    );
                }
            });
        }
    });
}

#[test]
fn pointer_corpus_is_answered_without_a_panic() {
    replay("pointer", |repo, input| {
        repo.write("x.kiln", input);
        repo.kiln(["status"])
    });
}

#[test]
fn tree_corpus_is_answered_without_a_panic() {
    replay("tree", |repo, input| {
        let id = blake3::Hasher::new_derive_key("kiln 2026-11 tree v1")
            .update(input)
            .finalize()
            .to_hex()
            .to_string();
        let path = repo.object_path(&id);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let _ = fs::remove_file(&path);
        fs::write(&path, input).unwrap();
        repo.write(
            "t.kiln",
            format!("kiln: 1\nkind: dir\nid: {id}\nsize: 1\nfiles: 1\n"),
        );
        repo.kiln(["checkout", "t"])
    });
}

#[test]
fn schema_corpus_is_answered_without_a_panic() {
    replay("schema", |repo, input| {
        repo.write("d.csv", "a,b\n1,x\n");
        repo.write("s.yaml", input);
        repo.kiln(["check", "d.csv", "--schema", "s.yaml", "--no-cache"])
    });
}

#[test]
fn config_corpus_is_answered_without_a_panic() {
    replay("config", |repo, input| {
        let (main, local) = match input.iter().position(|b| *b == 0) {
            Some(i) => (&input[..i], Some(&input[i + 1..])),
            None => (input, None),
        };
        repo.write(".kiln/config.toml", main);
        match local {
            Some(l) => repo.write(".kiln/config.local.toml", l),
            None => {
                let _ = fs::remove_file(repo.path(".kiln/config.local.toml"));
            }
        }
        repo.kiln(["remote", "list"])
    });
}

#[test]
fn run_record_corpus_is_answered_without_a_panic() {
    replay("run_record", |repo, input| {
        repo.write(
            ".kiln/runs/01912d6e-7c4a-7000-8000-000000000000.json",
            input,
        );
        repo.kiln(["repro", "--dry-run"])
    });
}
