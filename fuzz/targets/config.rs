//! Fuzz target `config`: the bytes are a configuration file.
//!
//! Checked: reading never panics, and every problem it reports points
//! inside the text read, with a file:line:column that miette can render.

use std::path::Path;

use portcullis::config::{self, ConfigError};

/// Where the text is said to come from: a directory that does not exist,
/// so relative includes fail to open instead of reading the machine's files.
pub const PATH: &str = "/nonexistent-portcullis-fuzz/portcullis.kdl";

pub fn run(data: &[u8]) {
    // The daemon reads its configuration with read_to_string: bytes that
    // are not UTF-8 never reach the reader.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Absolute includes would read the machine's own files, and a device
    // such as /dev/zero would never end: the fuzzer is kept away from them.
    if text.contains("include") && text.contains('/') {
        return;
    }
    match config::parse(Path::new(PATH), text.to_string()) {
        Ok(_) => {}
        Err(ConfigError::Problems(problems)) => {
            assert!(!problems.problems.is_empty(), "an error without a problem");
            for problem in &problems.problems {
                check_problem(text, problem);
            }
        }
        Err(e) => panic!("reading text gave a file error: {e}"),
    }
}

/// The problem's span lies inside `text`, and its rendering names the file,
/// the line and the column of the span's start.
pub fn check_problem(text: &str, problem: &portcullis::diagnostic::KdlProblem) {
    let (file, span) = problem.location();
    assert_eq!(file, PATH, "{}", problem.message());
    let (start, end) = (span.offset(), span.offset() + span.len());
    assert!(
        end <= text.len(),
        "problem `{}` at {start}..{end} outside the {} bytes read",
        problem.message(),
        text.len()
    );
    // Lines end at LF, CR LF or a lone CR, as in KDL and miette.
    let before = &text.as_bytes()[..start];
    let crlf = before.windows(2).filter(|w| w == b"\r\n").count();
    let breaks = before.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
    let line = 1 + breaks - crlf;
    let rendered = portcullis::diagnostic::KdlProblems::new("fuzz", vec![problem.clone()]).render();
    let at = format!("[{PATH}:{line}:");
    assert!(
        rendered.contains(&at),
        "problem `{}` at byte {start}: no {at} in\n{rendered}",
        problem.message()
    );
}
