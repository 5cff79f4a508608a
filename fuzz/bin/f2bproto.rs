//! AFL entry point of the `f2bproto` target; the checks are in targets/f2bproto.rs.

#[path = "../targets/f2bproto.rs"]
mod f2bproto;

fn main() {
    afl::fuzz!(|data: &[u8]| f2bproto::run(data));
}
