//! The fuzz targets' checks (`fuzz/targets/`), compiled into the test
//! binary: every seed of the committed corpus and every input a fuzzing
//! run found crashing or hanging (`fuzz/regressions/<target>/`) is replayed
//! here by `cargo test`, so a fixed bug stays fixed. The property tests
//! (`props_*`) feed generated inputs through the same checks.

use std::path::{Path, PathBuf};

#[path = "../fuzz/targets/config.rs"]
pub mod config;
#[path = "../fuzz/targets/control.rs"]
pub mod control;
#[path = "../fuzz/targets/dump.rs"]
pub mod dump;
#[path = "../fuzz/targets/f2bproto.rs"]
pub mod f2bproto;
#[path = "../fuzz/targets/fail2ban.rs"]
pub mod fail2ban;
#[path = "../fuzz/targets/filter.rs"]
pub mod filter;

/// The files of `fuzz/<kind>/<target>/`, sorted.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    files.retain(|f| f.is_file() && !f.ends_with("README.md"));
    files.sort();
    files
}

/// Runs `target` on every corpus seed and regression input; a panic names
/// the file. Returns how many inputs ran.
fn replay(target: &str, run: fn(&[u8])) -> usize {
    let seeds = inputs("corpus", target);
    assert!(!seeds.is_empty(), "fuzz/corpus/{target} has no seed");
    let files: Vec<PathBuf> = seeds
        .into_iter()
        .chain(inputs("regressions", target))
        .collect();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(|| run(&data));
        if let Err(panic) = outcome {
            let text = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!("{}: {text}", file.display());
        }
    }
    files.len()
}

#[test]
fn fuzz_replay_config() {
    replay("config", config::run);
}

#[test]
fn fuzz_replay_control() {
    replay("control", control::run);
}

#[test]
fn fuzz_replay_dump() {
    replay("dump", dump::run);
}

#[test]
fn fuzz_replay_f2bproto() {
    replay("f2bproto", f2bproto::run);
}

#[test]
fn fuzz_replay_fail2ban() {
    replay("fail2ban", |data| {
        fail2ban::run(data);
    });
}

#[test]
fn fuzz_replay_filter() {
    replay("filter", filter::run);
}
