//! The `port` and `protocol` nodes of a jail.
//!
//! ```kdl
//! port 22 2222 "8000-8100"     // numbers, "a-b" ranges (or fail2ban's "a:b"), or "all"
//! protocol "tcp" "udp"         // one or both; default tcp
//! ```
//!
//! `port "all"` (the default) bans every kind of traffic; `protocol` then
//! has no effect. With listed ports, each protocol gets its own rule.
//! `protocol` alone, without `port`, bans every port of those protocols.

use kdl::{KdlEntry, KdlNode, KdlValue};

use super::settings::{args, single, string};
use crate::diagnostic::{KdlProblem, SourceFile};
use crate::nft::{PortRange, Ports, Protocol};

/// `port ...`: replaces the ports, keeps the protocols already set.
pub(super) fn set_ports(
    ports: &mut Ports,
    node: &KdlNode,
    file: &SourceFile,
) -> Result<(), KdlProblem> {
    let entries: Vec<&KdlEntry> = args(node).collect();
    if let [e] = entries.as_slice()
        && e.value().as_string() == Some("all")
    {
        *ports = Ports::All;
        return Ok(());
    }
    if entries.is_empty() {
        return Err(file.error(node.span(), "`port` needs port numbers, ranges or \"all\""));
    }
    let mut ranges = Vec::new();
    for e in entries {
        ranges.push(port_range(e, file)?);
    }
    *ports = Ports::listed(protocols_of(ports), ranges);
    Ok(())
}

/// `protocol ...`: replaces the protocols, keeps the listed ports.
pub(super) fn set_protocols(
    ports: &mut Ports,
    node: &KdlNode,
    file: &SourceFile,
) -> Result<(), KdlProblem> {
    if args(node).next().is_none() {
        single(node, file)?;
    }
    let mut protocols = Vec::new();
    for e in args(node) {
        protocols.push(match string(e, "protocol", file)? {
            "tcp" => Protocol::Tcp,
            "udp" => Protocol::Udp,
            other => {
                return Err(file.error(
                    e.span(),
                    format!("unknown protocol {other:?}: use \"tcp\", \"udp\" or both"),
                ));
            }
        });
    }
    let ranges = match ports {
        Ports::Listed { ranges, .. } => ranges.clone(),
        Ports::All => Vec::new(),
    };
    *ports = Ports::listed(protocols, ranges);
    Ok(())
}

fn protocols_of(ports: &Ports) -> Vec<Protocol> {
    match ports {
        Ports::Listed { protocols, .. } => protocols.clone(),
        Ports::All => vec![Protocol::Tcp],
    }
}

fn port_range(e: &KdlEntry, file: &SourceFile) -> Result<PortRange, KdlProblem> {
    match e.value() {
        KdlValue::Integer(n) if (1..=65535).contains(n) => Ok(PortRange::one(*n as u16)),
        KdlValue::String(s) => {
            PortRange::parse(s).map_err(|m| file.error(e.span(), format!("`port`: {m}")))
        }
        _ => Err(file.error(
            e.span(),
            "`port` takes port numbers from 1 to 65535, ranges such as \"8000-8100\", or \"all\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{ConfigError, load};
    use crate::nft::{PortRange, Ports, Protocol};

    fn ports_of(jail: &str) -> Result<Ports, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.kdl");
        std::fs::write(
            &path,
            format!("jail \"j\" {{\n    source \"/l\"\n    {jail}\n}}\n"),
        )
        .unwrap();
        match load(&path) {
            Ok(c) => Ok(c.jails[0].settings.ports.clone()),
            Err(ConfigError::Problems(p)) => Err(p.problems[0].message().to_string()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn r(first: u16, last: u16) -> PortRange {
        PortRange { first, last }
    }

    #[test]
    fn ports_take_numbers_and_ranges_and_both_protocols() {
        assert_eq!(
            ports_of(r#"port 22 "8000-8100" "9000:9010"; protocol "tcp" "udp""#),
            Ok(Ports::Listed {
                protocols: vec![Protocol::Tcp, Protocol::Udp],
                ranges: vec![r(22, 22), r(8000, 8100), r(9000, 9010)],
            })
        );
        // Order does not matter: protocol first keeps it for the ports.
        assert_eq!(
            ports_of(r#"protocol "udp"; port 53"#),
            Ok(Ports::udp(&[53]))
        );
        assert_eq!(
            ports_of(r#"port 53; protocol "udp""#),
            Ok(Ports::udp(&[53]))
        );
        assert_eq!(ports_of(r#"port "all""#), Ok(Ports::All));
        assert_eq!(
            ports_of(r#"protocol "udp""#),
            Ok(Ports::Listed {
                protocols: vec![Protocol::Udp],
                ranges: vec![],
            })
        );
    }

    #[test]
    fn bad_ports_and_protocols_are_named() {
        assert_eq!(
            ports_of(r#"port "8100-8000""#),
            Err("`port`: \"8100-8000\": the range ends before it starts".into())
        );
        assert_eq!(
            ports_of("port 0"),
            Err("`port` takes port numbers from 1 to 65535, ranges such as \"8000-8100\", or \"all\"".into())
        );
        assert_eq!(
            ports_of(r#"protocol "tcp" "sctp""#),
            Err("unknown protocol \"sctp\": use \"tcp\", \"udp\" or both".into())
        );
        assert_eq!(
            ports_of("protocol"),
            Err("`protocol` needs one value".into())
        );
    }
}
