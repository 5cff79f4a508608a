//! AFL entry point of the `filter` target; the checks are in targets/filter.rs.

#[path = "../targets/filter.rs"]
mod filter;

fn main() {
    afl::fuzz!(|data: &[u8]| filter::run(data));
}
