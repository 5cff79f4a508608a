//! A notification action as configured: an argv of templates whose `{tag}`s
//! are replaced by the event's values. Each template yields exactly one
//! argument whatever the values hold; nothing passes through a shell.

use std::fmt;
use std::time::Duration;

/// What happened to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    Ban,
    Unban,
}

impl Event {
    pub const NAMES: &str = "\"ban\", \"unban\"";

    pub fn parse(text: &str) -> Option<Event> {
        match text {
            "ban" => Some(Event::Ban),
            "unban" => Some(Event::Unban),
            _ => None,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Event::Ban => "ban",
            Event::Unban => "unban",
        })
    }
}

/// A value an argument can take from the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Ip,
    Jail,
    Bantime,
    Failures,
    Event,
    Time,
}

impl Tag {
    pub const NAMES: &str = "{ip}, {jail}, {bantime}, {failures}, {event}, {time}";

    fn parse(name: &str) -> Option<Tag> {
        Some(match name {
            "ip" => Tag::Ip,
            "jail" => Tag::Jail,
            "bantime" => Tag::Bantime,
            "failures" => Tag::Failures,
            "event" => Tag::Event,
            "time" => Tag::Time,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Tag(Tag),
}

/// One argument: text with `{tag}`s in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    source: String,
    pieces: Vec<Piece>,
}

impl Template {
    /// `{name}` with `name` in lowercase letters is a tag and must be known;
    /// other braces are kept as they are. On error: the unknown tag's byte
    /// range in `text`.
    pub fn parse(text: &str) -> Result<Template, std::ops::Range<usize>> {
        let mut pieces = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            literal.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let name_len = after
                .find(|c: char| !c.is_ascii_lowercase())
                .unwrap_or(after.len());
            if name_len == 0 || !after[name_len..].starts_with('}') {
                literal.push('{');
                rest = after;
                continue;
            }
            let start = text.len() - rest.len() + open;
            let tag = Tag::parse(&after[..name_len]).ok_or(start..start + name_len + 2)?;
            if !literal.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut literal)));
            }
            pieces.push(Piece::Tag(tag));
            rest = &after[name_len + 1..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            pieces.push(Piece::Text(literal));
        }
        Ok(Template {
            source: text.to_string(),
            pieces,
        })
    }

    /// The text as configured.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The argument for these values.
    pub fn render(&self, values: &Values) -> String {
        let mut out = String::new();
        for piece in &self.pieces {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Tag(tag) => out.push_str(values.get(*tag)),
            }
        }
        out
    }
}

/// The values of the tags for one event, already as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub ip: String,
    pub jail: String,
    /// Empty for an unban.
    pub bantime: String,
    /// Empty for an unban.
    pub failures: String,
    pub event: String,
    /// Unix seconds.
    pub time: String,
}

impl Values {
    fn get(&self, tag: Tag) -> &str {
        match tag {
            Tag::Ip => &self.ip,
            Tag::Jail => &self.jail,
            Tag::Bantime => &self.bantime,
            Tag::Failures => &self.failures,
            Tag::Event => &self.event,
            Tag::Time => &self.time,
        }
    }
}

/// A `notify` block of a jail.
#[derive(Debug, Clone, PartialEq)]
pub struct NotifyAction {
    pub name: String,
    /// The program, then its arguments; never empty.
    pub argv: Vec<Template>,
    pub events: Vec<Event>,
    /// The process is killed when it runs longer.
    pub timeout: Duration,
}

impl NotifyAction {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The argv for one event, one element per template.
    pub fn argv(&self, values: &Values) -> Vec<String> {
        self.argv.iter().map(|t| t.render(values)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(ip: &str) -> Values {
        Values {
            ip: ip.into(),
            jail: "sshd".into(),
            bantime: "10m".into(),
            failures: "5".into(),
            event: "ban".into(),
            time: "1700000000".into(),
        }
    }

    #[test]
    fn tags_are_replaced_inside_arguments_and_other_braces_kept() {
        let t = Template::parse("--who={ip}@{jail}/{bantime}/{failures}/{event}/{time}").unwrap();
        assert_eq!(
            t.render(&values("192.0.2.1")),
            "--who=192.0.2.1@sshd/10m/5/ban/1700000000"
        );
        let t = Template::parse("{} {IP} {a-b} {ip").unwrap();
        assert_eq!(t.render(&values("x")), "{} {IP} {a-b} {ip");
        assert_eq!(
            Template::parse("{{ip}}").unwrap().render(&values("x")),
            "{x}"
        );
    }

    #[test]
    fn an_unknown_tag_is_located() {
        assert_eq!(Template::parse("ab{foo}c"), Err(2..7));
        assert_eq!(Template::parse("{ip}{bar}"), Err(4..9));
    }

    #[test]
    fn a_hostile_value_stays_one_argument() {
        let action = NotifyAction {
            name: "n".into(),
            argv: ["/bin/echo", "{ip}", "x{ip}y"]
                .iter()
                .map(|t| Template::parse(t).unwrap())
                .collect(),
            events: vec![Event::Ban],
            timeout: NotifyAction::DEFAULT_TIMEOUT,
        };
        let hostile = "1.2.3.4; rm -rf / \"'$(id)`id`\n{jail}";
        assert_eq!(
            action.argv(&values(hostile)),
            vec![
                "/bin/echo".to_string(),
                hostile.to_string(),
                format!("x{hostile}y")
            ]
        );
    }
}
