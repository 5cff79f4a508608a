//! Bans really stop traffic: two namespaces joined by a veth pair, a TCP
//! listener in one, connections from the other, IPv4 and IPv6. Only the
//! documentation prefixes 192.0.2.0/24 and 2001:db8::/32 are used, inside
//! the namespaces.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use portcullis::nft::{Ban, BanVerdict, JailSpec, Nft, NftConfig, Unban};

use crate::common::NetNs;

const PORT: u16 = 2222;

/// `server` has 192.0.2.1 and 2001:db8::1, `client` .2 and ::2.
pub(crate) fn link(server: &NetNs, client: &NetNs) {
    server.sh(&[
        "ip",
        "link",
        "add",
        "pcx0",
        "type",
        "veth",
        "peer",
        "name",
        "pcx1",
        "netns",
        &client.name,
    ]);
    for (ns, dev, host) in [(server, "pcx0", "1"), (client, "pcx1", "2")] {
        ns.sh(&[
            "ip",
            "addr",
            "add",
            &format!("192.0.2.{host}/24"),
            "dev",
            dev,
        ]);
        ns.sh(&[
            "ip",
            "addr",
            "add",
            &format!("2001:db8::{host}/64"),
            "dev",
            dev,
            "nodad",
        ]);
        ns.sh(&["ip", "link", "set", dev, "up"]);
    }
}

pub(crate) fn connects(client: &NetNs, to: SocketAddr, wait: Duration) -> std::io::Result<()> {
    client.run(|| TcpStream::connect_timeout(&to, wait).map(drop))
}

fn check(verdict: BanVerdict) {
    let (Some(server), Some(client)) = (NetNs::new("traffic"), NetNs::new("traffic")) else {
        return;
    };
    link(&server, &client);
    let v4: SocketAddr = format!("192.0.2.1:{PORT}").parse().unwrap();
    let v6: SocketAddr = format!("[2001:db8::1]:{PORT}").parse().unwrap();
    // Listening sockets keep their namespace after the thread ends.
    let _listeners = server.run(|| {
        (
            TcpListener::bind(v4).unwrap(),
            TcpListener::bind(v6).unwrap(),
        )
    });
    let mut jail = JailSpec::tcp("sshd", &[PORT]);
    jail.verdict = verdict;
    let config = NftConfig {
        jails: vec![jail],
        ..NftConfig::default()
    };
    let mut nft = server.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config).unwrap();
        nft
    });
    let wait = Duration::from_secs(5);
    connects(&client, v4, wait).expect("IPv4 connects before the ban");
    connects(&client, v6, wait).expect("IPv6 connects before the ban");

    // The socket stays in the namespace it was opened in.
    let ban = |a: &str| Ban {
        jail: "sshd".into(),
        addr: a.parse().unwrap(),
        timeout: Some(Duration::from_secs(600)),
        comment: None,
    };
    nft.ban(&[ban("192.0.2.2"), ban("2001:db8::2")]).unwrap();
    for to in [v4, v6] {
        let err = connects(&client, to, Duration::from_millis(700)).expect_err("banned");
        let expected = match verdict {
            BanVerdict::Drop => std::io::ErrorKind::TimedOut,
            BanVerdict::Reject => std::io::ErrorKind::ConnectionRefused,
        };
        assert_eq!(err.kind(), expected, "{to}: {err}");
    }

    let unban = |a: &str| Unban {
        jail: "sshd".into(),
        addr: a.parse().unwrap(),
    };
    nft.unban(&[unban("192.0.2.2"), unban("2001:db8::2")])
        .unwrap();
    connects(&client, v4, wait).expect("IPv4 connects after the unban");
    connects(&client, v6, wait).expect("IPv6 connects after the unban");
}

#[test]
fn a_drop_ban_stops_tcp_over_ipv4_and_ipv6() {
    check(BanVerdict::Drop);
}

#[test]
fn a_reject_ban_refuses_tcp_over_ipv4_and_ipv6() {
    check(BanVerdict::Reject);
}

#[test]
fn an_ipv6_prefix_ban_stops_the_whole_network() {
    let (Some(server), Some(client)) = (NetNs::new("traffic-prefix"), NetNs::new("traffic-prefix"))
    else {
        return;
    };
    link(&server, &client);
    let v6: SocketAddr = format!("[2001:db8::1]:{PORT}").parse().unwrap();
    let _listener = server.run(|| TcpListener::bind(v6).unwrap());
    let mut jail = JailSpec::tcp("sshd", &[PORT]);
    jail.v6_prefix = Some(64);
    let config = NftConfig {
        jails: vec![jail],
        ..NftConfig::default()
    };
    let mut nft = server.run(|| {
        let mut nft = Nft::open().unwrap();
        nft.setup(&config).unwrap();
        nft
    });
    connects(&client, v6, Duration::from_secs(5)).expect("connects before the ban");
    // Another address of the client's /64 (2001:db8::2) is banned.
    let ban = Ban {
        jail: "sshd".into(),
        addr: "2001:db8::99".parse().unwrap(),
        timeout: Some(Duration::from_secs(600)),
        comment: None,
    };
    nft.ban(&[ban]).unwrap();
    let err = connects(&client, v6, Duration::from_millis(700)).expect_err("the /64 is banned");
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut, "{err}");
}
