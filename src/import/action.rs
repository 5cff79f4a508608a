//! A jail's fail2ban `action` list in portcullis's terms: firewall actions
//! become the jail's own set ban (their ports and protocols), mail actions
//! a commented `notify` sketch, anything else a note.

use super::values::{Services, Spec, parse_spec, resolve_ports, split_specs};
use crate::nft::{PortRange, Ports, Protocol};

/// Action families that ban in a firewall: portcullis's own nftables sets
/// do their job.
const FIREWALLS: &[&str] = &[
    "iptables",
    "ip6tables",
    "nftables",
    "firewallcmd",
    "ufw",
    "shorewall",
    "route",
    "pf",
    "ipfw",
    "bsd-ipfw",
    "npf",
    "apf",
];
/// Families that ban every port whatever their options.
const ALL_PORTS: &[&str] = &["shorewall", "route", "apf"];
/// Families that send mail.
const MAILERS: &[&str] = &["sendmail", "mail", "smtp", "complain"];

/// What the actions come to.
#[derive(Debug, Clone, PartialEq)]
pub struct Actions {
    pub ports: Ports,
    /// Commented `notify` sketch lines.
    pub notify: Vec<String>,
    pub notes: Vec<String>,
}

/// Classifies `action` (interpolated); `port` and `protocol` are the
/// jail's, for actions that do not set their own.
pub fn classify(action: &str, port: &str, protocol: &str, services: &Services) -> Actions {
    let mut out = Actions {
        ports: Ports::All,
        notify: Vec::new(),
        notes: Vec::new(),
    };
    let mut bans = Bans::default();
    for text in split_specs(action) {
        let spec = match parse_spec(&text) {
            Ok(s) => s,
            Err(why) => {
                out.notes.push(format!("action {why}; not mapped"));
                continue;
            }
        };
        let family = family(&spec.name);
        if FIREWALLS.contains(&family) {
            bans.add(&spec, family, port, protocol, services, &mut out.notes);
        } else if MAILERS.contains(&family) {
            out.notify.extend(mail_sketch(&spec));
        } else {
            out.notes.push(format!(
                "action {}: no counterpart in portcullis (it bans in nftables sets and can run programs with `notify`); not mapped",
                spec.name
            ));
        }
    }
    if bans.count == 0 {
        out.notes
            .push("no firewall action: fail2ban did not ban, portcullis bans on every port".into());
    }
    out.ports = bans.ports();
    out
}

/// `iptables-multiport` -> `iptables`; `sendmail-whois-lines` -> `sendmail`.
fn family(name: &str) -> &str {
    let name = name.strip_suffix(".local").unwrap_or(name);
    let name = name.strip_suffix(".conf").unwrap_or(name);
    ["bsd-ipfw"]
        .into_iter()
        .find(|f| name.starts_with(f))
        .unwrap_or_else(|| name.split(['-', '_']).next().unwrap_or(name))
}

/// The union of the firewall actions' ports and protocols.
#[derive(Default)]
struct Bans {
    count: usize,
    all_ports: bool,
    ranges: Vec<PortRange>,
    protocols: Vec<Protocol>,
}

impl Bans {
    fn add(
        &mut self,
        spec: &Spec,
        family: &str,
        port: &str,
        protocol: &str,
        services: &Services,
        notes: &mut Vec<String>,
    ) {
        self.count += 1;
        let allports = spec.name.contains("allports")
            || spec.option("type") == Some("allports")
            || ALL_PORTS.contains(&family);
        let protocol = spec.option("protocol").unwrap_or(protocol);
        for p in protocol.split([',', ' ']).filter(|p| !p.is_empty()) {
            match p {
                "tcp" => self.protocols.push(Protocol::Tcp),
                "udp" => self.protocols.push(Protocol::Udp),
                "all" => self.all_ports = true,
                other => notes.push(format!("protocol {other} of action {}: only tcp and udp have ports; banned on every port", spec.name)),
            }
        }
        if allports {
            self.all_ports = true;
            return;
        }
        let (ranges, unknown) = resolve_ports(spec.option("port").unwrap_or(port), services);
        for name in unknown {
            notes.push(format!("port {name} of action {}: not a number, range or service in /etc/services; left out", spec.name));
        }
        match ranges {
            Some(r) => self.ranges.extend(r),
            None => self.all_ports = true,
        }
    }

    fn ports(self) -> Ports {
        if self.all_ports || self.count == 0 || self.ranges.is_empty() {
            return Ports::All;
        }
        let protocols = if self.protocols.is_empty() {
            vec![Protocol::Tcp]
        } else {
            self.protocols
        };
        Ports::listed(protocols, self.ranges)
    }
}

/// A commented `notify` for a fail2ban mail action: portcullis runs a
/// program per ban, which the operator writes (no mail is sent for them).
fn mail_sketch(spec: &Spec) -> Vec<String> {
    let dest = spec.option("dest").unwrap_or("root@localhost");
    vec![
        format!(
            "fail2ban's {} mailed {dest} on each ban; portcullis runs a program instead, for example:",
            spec.name
        ),
        format!("notify \"mail\" {{"),
        format!(
            "    exec \"/bin/sh\" \"-c\" \"echo \\\"Banned $1 in jail $2\\\" | mail -s \\\"[portcullis] $2: banned $1\\\" {dest}\" \"sh\" \"{{ip}}\" \"{{jail}}\""
        ),
        "    on \"ban\"".to_string(),
        "}".to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> Services {
        Services::parse("ssh 22/tcp\nsmtp 25/tcp\nsubmission 587/tcp\n")
    }

    #[test]
    fn firewall_actions_become_the_set_ban_with_their_ports() {
        let a = classify(
            "iptables-multiport[port=\"ssh,2222\", protocol=\"tcp\", chain=\"<known/chain>\"]",
            "",
            "tcp",
            &services(),
        );
        assert_eq!(a.ports, Ports::tcp(&[22, 2222]));
        assert!(a.notes.is_empty(), "{:?}", a.notes);
        let a = classify(
            "nftables-multiport[name=x-tcp, port=\"5060:5061\", protocol=\"tcp\"]\nnftables-multiport[name=x-udp, port=\"5060:5061\", protocol=\"udp\"]",
            "",
            "tcp",
            &services(),
        );
        assert_eq!(
            a.ports,
            Ports::listed(
                vec![Protocol::Tcp, Protocol::Udp],
                vec![PortRange {
                    first: 5060,
                    last: 5061
                }]
            )
        );
        assert_eq!(
            classify("iptables-allports", "ssh", "tcp", &services()).ports,
            Ports::All
        );
        assert_eq!(
            classify("nftables[type=allports]", "ssh", "tcp", &services()).ports,
            Ports::All
        );
        assert_eq!(
            classify("iptables[port=\"0:65535\"]", "", "tcp", &services()).ports,
            Ports::All
        );
        // The jail's port when the action does not name one.
        assert_eq!(
            classify("firewallcmd-ipset", "smtp,submission", "tcp", &services()).ports,
            Ports::tcp(&[25, 587])
        );
    }

    #[test]
    fn mail_becomes_a_sketch_and_others_notes() {
        let a = classify(
            "iptables-multiport[port=\"ssh\"]\n sendmail-whois-lines[sender=\"f2b@x\", dest=\"admin@example.org\", logpath=\"/var/log/auth.log\"]\n abuseipdb[apikey=\"k\"]",
            "",
            "tcp",
            &services(),
        );
        assert_eq!(a.ports, Ports::tcp(&[22]));
        assert!(
            a.notify[0].contains("sendmail-whois-lines mailed admin@example.org"),
            "{:?}",
            a.notify
        );
        assert_eq!(
            a.notes,
            vec![
                "action abuseipdb: no counterpart in portcullis (it bans in nftables sets and can run programs with `notify`); not mapped"
            ]
        );
        let a = classify(
            "iptables-multiport[port=\"ssh,gopherish\"]",
            "",
            "tcp",
            &services(),
        );
        assert_eq!(
            a.notes,
            vec![
                "port gopherish of action iptables-multiport: not a number, range or service in /etc/services; left out"
            ]
        );
    }
}
