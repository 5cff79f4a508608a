//! AFL entry point of the `fail2ban` target; the checks are in
//! targets/fail2ban.rs (and targets/filter.rs for the lines).

#[path = "../targets/filter.rs"]
#[allow(dead_code)]
mod filter;

#[path = "../targets/fail2ban.rs"]
mod fail2ban;

fn main() {
    afl::fuzz!(|data: &[u8]| {
        fail2ban::run(data);
    });
}
