//! Input an attacker controls: no panic, ranges on char boundaries.

use super::*;

#[test]
fn hostile_lines_do_not_panic() {
    let mut p = parser(DatePattern::Auto);
    let long = "9".repeat(1 << 20);
    assert_eq!(p.find(&long), None);
    let long_spaces = format!("{} Jan 23 21:59:59", " 1".repeat(100_000));
    assert_eq!(
        find_with(&mut p, &long_spaces).unwrap().1,
        "Jan 23 21:59:59"
    );
    for line in [
        "\0\0\0Jan 23 21:59:59\0",
        "ééé 2005-01-23T21:59:59Z ééé",
        "Jan 23 21:59:5é",
        "2005-01-23T21:59:59é",
        "日本 [23/Jan/2005:21:59:59 +0100] 語",
        "Jan",
        "Jan 2",
        "2005-01-23T21:59:59+",
        "2005-01-23T21:59:59+0",
        "@",
        "@40000000",
        "[",
        "9999-12-31T23:59:59-2559",
        "0000-01-01T00:00:00+2559",
        "1 2 3 4 5 6 7 8 9 0 11/22/33 44:55:66 12345678901 2005-13-45",
        "𝒥an 23 21:59:59",
    ] {
        if let Some((_, range)) = p.find(line) {
            assert!(line.is_char_boundary(range.start) && line.is_char_boundary(range.end));
        }
    }
}

#[test]
fn random_bytes_do_not_panic() {
    // xorshift64*: deterministic, no dependency.
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    // Bytes biased towards what dates are made of.
    let alphabet = b"0123456789 :-/.,+TZ@[]JanFebDecSunPMamx\xc3\xa9\xe6\x97\xa5\0";
    let patterns = ["auto", "epoch", "tai64n", "%d.%m.%Y %H:%M:%S", "^%b %e %T"];
    let mut parsers: Vec<_> = patterns
        .iter()
        .map(|s| parser(DatePattern::parse(s).unwrap()))
        .collect();
    for _ in 0..20_000 {
        let len = (next() % 64) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 4 == 0 {
                    (r >> 8) as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                }
            })
            .collect();
        let line = String::from_utf8_lossy(&bytes);
        for p in &mut parsers {
            if let Some((_, range)) = p.find(&line) {
                assert!(line.is_char_boundary(range.start) && line.is_char_boundary(range.end));
                assert!(range.start < range.end && range.end <= line.len());
            }
        }
    }
}
