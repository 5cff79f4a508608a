//! nftables over netlink (issue 3).
