//! AFL entry point of the `dump` target; the checks are in targets/dump.rs.

#[path = "../targets/dump.rs"]
mod dump;

fn main() {
    afl::fuzz!(|data: &[u8]| dump::run(data));
}
