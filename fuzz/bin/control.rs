//! AFL entry point of the `control` target; the checks are in targets/control.rs.

#[path = "../targets/control.rs"]
mod control;

fn main() {
    afl::fuzz!(|data: &[u8]| control::run(data));
}
