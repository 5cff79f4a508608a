//! Errors of the nft module, written for operators: what failed, on which
//! object, what the kernel's errno means here and what to do about it.

use std::fmt;
use std::io;

/// What we were doing when the kernel (or the socket) said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Building or replacing the table.
    Setup { table: String },
    /// Deleting the table.
    Teardown { table: String },
    /// Adding elements; `what` names them ("203.0.113.7", "203.0.113.7 and 9 more").
    Add {
        table: String,
        set: String,
        what: String,
    },
    /// Removing elements.
    Remove {
        table: String,
        set: String,
        what: String,
    },
    /// Reading the sets of a table, or one set's elements.
    List { table: String, set: Option<String> },
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operation::Setup { table } => write!(f, "cannot set up table inet {table}"),
            Operation::Teardown { table } => write!(f, "cannot delete table inet {table}"),
            Operation::Add { table, set, what } => {
                write!(f, "cannot add {what} to set {set} in table inet {table}")
            }
            Operation::Remove { table, set, what } => {
                write!(
                    f,
                    "cannot remove {what} from set {set} in table inet {table}"
                )
            }
            Operation::List {
                table,
                set: Some(set),
            } => {
                write!(f, "cannot list set {set} in table inet {table}")
            }
            Operation::List { table, set: None } => {
                write!(f, "cannot list the sets of table inet {table}")
            }
        }
    }
}

/// Which object a "no such file or directory" is about, when the kernel's
/// extended ack points at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Table,
    Set,
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum NftError {
    #[error("cannot open a netfilter netlink socket: {}", errno_meaning(.0.raw_os_error().unwrap_or(0)))]
    Open(#[source] io::Error),

    #[error("{op}: {reason}")]
    Kernel {
        op: Operation,
        /// The errno the kernel returned (positive).
        errno: i32,
        /// With ENOENT: which object is missing, as far as known.
        missing: Missing,
        reason: String,
        #[source]
        source: io::Error,
    },

    #[error("{op}: the netlink socket failed")]
    Socket {
        op: Operation,
        #[source]
        source: io::Error,
    },

    #[error("{op}: the kernel did not acknowledge the transaction")]
    NoAck { op: Operation },

    #[error("invalid nftables layout: {reason}")]
    InvalidConfig { reason: String },
}

impl NftError {
    /// The error for `errno` returned by the kernel while doing `op`.
    pub fn kernel(op: Operation, errno: i32, missing: Missing) -> Self {
        let missing = missing.given(&op);
        let reason = reason(&op, errno, missing);
        NftError::Kernel {
            op,
            errno,
            missing,
            reason,
            source: io::Error::from_raw_os_error(errno),
        }
    }

    /// True when the kernel said our table does not exist.
    pub fn is_missing_table(&self) -> bool {
        matches!(
            self,
            NftError::Kernel {
                errno: libc::ENOENT,
                missing: Missing::Table,
                ..
            }
        )
    }

    /// True when the kernel refused for lack of privilege.
    pub fn is_permission(&self) -> bool {
        match self {
            NftError::Kernel { errno, .. } => *errno == libc::EPERM || *errno == libc::EACCES,
            NftError::Open(e) | NftError::Socket { source: e, .. } => {
                e.kind() == io::ErrorKind::PermissionDenied
            }
            _ => false,
        }
    }
}

impl Missing {
    /// What is missing when the kernel's ack did not say: the table for a
    /// listing of the table's sets, the set for one set's listing or
    /// elements.
    fn given(self, op: &Operation) -> Missing {
        match (self, op) {
            (Missing::Unknown, Operation::List { set: None, .. }) => Missing::Table,
            (
                Missing::Unknown,
                Operation::List { .. } | Operation::Add { .. } | Operation::Remove { .. },
            ) => Missing::Set,
            (known, _) => known,
        }
    }
}

fn reason(op: &Operation, errno: i32, missing: Missing) -> String {
    let flushed = matches!(op, Operation::Add { .. } | Operation::Remove { .. });
    match errno {
        libc::ENOENT => {
            let what = match missing {
                Missing::Table => "no such table",
                Missing::Set => "no such set",
                Missing::Unknown => "no such object",
            };
            if flushed {
                format!("{what} (was the ruleset flushed?)")
            } else {
                what.to_string()
            }
        }
        // Every set is an interval set: an element that is not there
        // exactly overlaps one that is.
        libc::EEXIST if matches!(op, Operation::Add { .. }) => {
            "it overlaps an element of the set (an address inside a banned network, or a network holding a banned address)".to_string()
        }
        _ => errno_meaning(errno),
    }
}

/// The errno's meaning, in the words of nftables rather than of files.
pub fn errno_meaning(errno: i32) -> String {
    match errno {
        libc::EPERM | libc::EACCES => {
            "operation not permitted (CAP_NET_ADMIN is needed)".to_string()
        }
        libc::ENOENT => "no such object".to_string(),
        libc::EEXIST => "it already exists".to_string(),
        libc::ENOSPC => "the set is full".to_string(),
        libc::EOPNOTSUPP => "not supported by this kernel".to_string(),
        libc::EINVAL => "invalid argument (the kernel rejected the request)".to_string(),
        libc::EBUSY => "the object is in use".to_string(),
        libc::ENOMEM | libc::ENOBUFS => "out of memory".to_string(),
        libc::EMSGSIZE => "message too long for the socket".to_string(),
        libc::EPROTONOSUPPORT => "nf_tables is not available in this kernel".to_string(),
        other => io::Error::from_raw_os_error(other).to_string(),
    }
}

/// `nft add element inet portcullis sshd-v4 { 203.0.113.7 }`, for tests
/// of errors that name an operation.
#[cfg(test)]
pub(crate) fn sample_add() -> Operation {
    Operation::Add {
        table: "portcullis".into(),
        set: "sshd-v4".into(),
        what: "203.0.113.7".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add() -> Operation {
        sample_add()
    }

    #[test]
    fn missing_set_on_add_hints_at_a_flush() {
        let e = NftError::kernel(add(), libc::ENOENT, Missing::Set);
        assert_eq!(
            e.to_string(),
            "cannot add 203.0.113.7 to set sshd-v4 in table inet portcullis: \
             no such set (was the ruleset flushed?)"
        );
    }

    #[test]
    fn missing_table_on_add_names_the_table() {
        let e = NftError::kernel(add(), libc::ENOENT, Missing::Table);
        assert_eq!(
            e.to_string(),
            "cannot add 203.0.113.7 to set sshd-v4 in table inet portcullis: \
             no such table (was the ruleset flushed?)"
        );
        assert!(e.is_missing_table());
    }

    #[test]
    fn permission_says_which_capability() {
        let e = NftError::kernel(
            Operation::Setup {
                table: "portcullis".into(),
            },
            libc::EPERM,
            Missing::Unknown,
        );
        assert_eq!(
            e.to_string(),
            "cannot set up table inet portcullis: operation not permitted (CAP_NET_ADMIN is needed)"
        );
        assert!(e.is_permission());
    }

    #[test]
    fn listing_a_missing_table() {
        let op = Operation::List {
            table: "portcullis".into(),
            set: None,
        };
        let e = NftError::kernel(op, libc::ENOENT, Missing::Unknown);
        assert_eq!(
            e.to_string(),
            "cannot list the sets of table inet portcullis: no such table"
        );
        assert!(e.is_missing_table());
    }

    #[test]
    fn only_a_missing_table_is_a_missing_table() {
        let set = Operation::List {
            table: "portcullis".into(),
            set: Some("sshd-v4".into()),
        };
        let e = NftError::kernel(set, libc::ENOENT, Missing::Unknown);
        assert_eq!(
            e.to_string(),
            "cannot list set sshd-v4 in table inet portcullis: no such set"
        );
        assert!(!e.is_missing_table());
        assert!(!NftError::kernel(add(), libc::ENOENT, Missing::Set).is_missing_table());
        let setup = Operation::Setup {
            table: "portcullis".into(),
        };
        let e = NftError::kernel(setup, libc::ENOENT, Missing::Unknown);
        assert_eq!(
            e.to_string(),
            "cannot set up table inet portcullis: no such object"
        );
        assert!(!e.is_missing_table());
        // Another errno with the table named is not a missing table.
        assert!(!NftError::kernel(add(), libc::EBUSY, Missing::Table).is_missing_table());
    }
}
