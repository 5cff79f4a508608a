//! The exit codes of `portcullis`, one per outcome a script tells apart,
//! and their description for `--help` and the man page.

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done (for `ping`: the daemon answers).
    Done = 0,
    /// Refused or failed; the error is printed.
    Failed = 1,
    /// The command line is wrong.
    Usage = 2,
    /// No daemon answers on the control socket.
    NoDaemon = 3,
    /// Not allowed: the control socket is root's (mode 0600), or the
    /// daemon lets only root change bans, settings and reading.
    PermissionDenied = 4,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// The exit codes, as `--help` and portcullis(1) list them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  done (ping: the daemon answers)
  1  refused or failed; the error is printed
  2  usage error
  3  no daemon answers on the control socket
  4  permission denied: the control socket is root's, or only root may make that change";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_exit_code_is_listed_with_its_number() {
        for (exit, code) in [
            (Exit::Done, 0),
            (Exit::Failed, 1),
            (Exit::Usage, 2),
            (Exit::NoDaemon, 3),
            (Exit::PermissionDenied, 4),
        ] {
            assert_eq!(exit as u8, code);
            assert!(EXIT_CODES.contains(&format!("\n  {code}  ")), "{code}");
        }
    }
}
