//! What a filter writes for its dates ([`DatePattern`]): `auto`, a
//! strftime-like format, `epoch`, `tai64n` or fail2ban's templates, and
//! why one cannot be used ([`DatePatternError`]). A format is checked when
//! the filter is read, so that a bad one is reported at its line; the
//! [`DateParser`](super::DateParser) compiles it.

use super::format::Format;

/// How a filter says where its dates are and how they are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatePattern {
    /// Try every known format (the default).
    Auto,
    /// A strftime-like pattern (`%Y-%m-%d %H:%M:%S`), optionally anchored at
    /// the line's start with a leading `^`.
    Format(String),
    /// Seconds since the epoch, with an optional fraction.
    Epoch,
    /// A TAI64N label, `@4000000043d9c7ba2ed8ce4c`.
    Tai64n,
    /// A fail2ban filter's `datepattern`, one template per line (see
    /// [`super::fail2ban`]).
    Fail2ban(Vec<String>),
}

/// A filter's date pattern that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DatePatternError {
    #[error(
        "date pattern is empty: write a strftime-like pattern such as \"%Y-%m-%d %H:%M:%S\", \
         or one of \"auto\", \"epoch\", \"tai64n\""
    )]
    Empty,
    #[error(
        "date pattern {pattern:?}: unknown conversion %{conversion} at byte {at}: use one of \
         %Y %y %m %d %e %j %b %B %a %A %H %I %M %S %f %p %z %Z %T %F, or %% for a percent sign"
    )]
    UnknownConversion {
        pattern: String,
        conversion: char,
        at: usize,
    },
    #[error(
        "date pattern {pattern:?}: {found:?} at byte {at} is regular-expression syntax, which \
         date patterns do not take: write the date's literal text and %-conversions only"
    )]
    RegexSyntax {
        pattern: String,
        found: char,
        at: usize,
    },
    #[error("date pattern {pattern:?} ends with a lone %: write %% for a percent sign")]
    TrailingPercent { pattern: String },
    #[error("datepattern {pattern:?}: {reason}")]
    Fail2ban { pattern: String, reason: String },
    #[error("date pattern {pattern:?} has no {missing}")]
    Incomplete {
        pattern: String,
        missing: &'static str,
    },
}

impl DatePattern {
    /// Reads a filter file's date pattern: `auto` or `default`, `epoch`,
    /// `tai64n` (any case, fail2ban's `{^LN-BEG}` prefix allowed on the last
    /// two), or else a format, checked here so that a bad one is reported
    /// when the filter is loaded.
    pub fn parse(text: &str) -> Result<DatePattern, DatePatternError> {
        let text = text.trim();
        let name = text.strip_prefix("{^LN-BEG}").unwrap_or(text);
        if name.is_empty() {
            return Err(DatePatternError::Empty);
        }
        for (word, pattern) in [
            ("auto", DatePattern::Auto),
            ("default", DatePattern::Auto),
            ("epoch", DatePattern::Epoch),
            ("tai64n", DatePattern::Tai64n),
        ] {
            if name.eq_ignore_ascii_case(word) {
                return Ok(pattern);
            }
        }
        Format::compile(text)?;
        Ok(DatePattern::Format(text.to_owned()))
    }
}

impl std::str::FromStr for DatePattern {
    type Err = DatePatternError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        DatePattern::parse(text)
    }
}
