//! The nft module's errors against the real kernel, each test in its own
//! network namespace: what failed, on which object, and why, as operators
//! read it (and the missing table the daemon rebuilds, typed).

use portcullis::nft::Nft;

use crate::common::NetNs;
use crate::nft::{ban, sshd_only};

#[test]
fn errors_name_the_address_the_set_and_the_cause() {
    let Some(ns) = NetNs::new("errors") else {
        return;
    };
    ns.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.attach(&sshd_only());
        let err = nft.ban(&[ban("sshd", "203.0.113.7", Some(60))]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add 203.0.113.7 to set sshd-v4 in table inet portcullis: no such table (was the ruleset flushed?)"
        );
        // What makes the daemon rebuild the table, typed from the ack.
        assert!(err.is_missing_table());
        nft.setup(&sshd_only()).unwrap();
        let err = nft
            .ban(&[ban("sshd", "203.0.113.8", Some(60)), ban("ghost", "203.0.113.7", Some(60))])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add 203.0.113.7 to set ghost-v4 in table inet portcullis: no such set (was the ruleset flushed?)"
        );
        assert!(!err.is_missing_table());
        // The transaction is atomic: the valid ban did not go in either.
        assert!(nft.list("portcullis", None).unwrap().unwrap().is_empty());
        assert_eq!(nft.list("absent", None).unwrap(), None);
    });
}

/// Drops CAP_NET_ADMIN from this thread's effective set (capabilities are
/// per thread; the thread ends with the test).
fn drop_cap_net_admin() {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    const CAP_NET_ADMIN: u32 = 12;
    let mut header = Header {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut data = [Data::default(); 2];
    // SAFETY: capget/capset with a v3 header and two data structs.
    unsafe {
        assert_eq!(
            libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()),
            0
        );
        data[0].effective &= !(1 << CAP_NET_ADMIN);
        assert_eq!(
            libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()),
            0
        );
    }
}

#[test]
fn without_cap_net_admin_errors_say_it_is_needed() {
    let Some(ns) = NetNs::new("no-cap") else {
        return;
    };
    ns.run(|| {
        drop_cap_net_admin();
        let mut nft = Nft::open().expect("opening the socket needs no privilege");
        let err = nft.setup(&sshd_only()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot set up table inet portcullis: operation not permitted (CAP_NET_ADMIN is needed)"
        );
        let err = nft
            .ban(&[ban("sshd", "203.0.113.7", Some(60))])
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot add 203.0.113.7 to set sshd-v4 in table inet portcullis: \
             operation not permitted (CAP_NET_ADMIN is needed)"
        );
        assert!(err.is_permission());
    });
}
