//! AFL entry point of the `config` target; the checks are in targets/config.rs.

#[path = "../targets/config.rs"]
mod config;

fn main() {
    afl::fuzz!(|data: &[u8]| config::run(data));
}
