//! A reply as fail2ban's server sends it: `(0, result)` on success,
//! `(1, exception)` on failure. fail2ban-client reads the exception's
//! `args` and its class: `UnknownJailException` prints "Sorry but the jail
//! 'x' does not exist", `IndexError` "Sorry but the command is invalid",
//! anything else its text.

use super::value::Value;

/// The exception classes our error replies use: those fail2ban's server
/// raises for the same mistakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// `builtins.Exception`: an unknown command.
    Exception,
    /// `builtins.ValueError`: a bad number, an address that is not banned.
    ValueError,
    /// `builtins.IndexError`: a command missing its arguments.
    IndexError,
    /// `fail2ban.exceptions.UnknownJailException`: no such jail.
    UnknownJail,
}

impl ErrorClass {
    /// The module and name Python finds the class under.
    pub fn python_name(self) -> (&'static str, &'static str) {
        match self {
            ErrorClass::Exception => ("builtins", "Exception"),
            ErrorClass::ValueError => ("builtins", "ValueError"),
            ErrorClass::IndexError => ("builtins", "IndexError"),
            ErrorClass::UnknownJail => ("fail2ban.exceptions", "UnknownJailException"),
        }
    }
}

/// An exception to send back: its class and its one argument.
#[derive(Debug, Clone, PartialEq)]
pub struct PyError {
    pub class: ErrorClass,
    pub message: String,
}

impl PyError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> PyError {
        PyError {
            class,
            message: message.into(),
        }
    }

    /// `UnknownJailException(name)`, as fail2ban raises for a jail it lacks.
    pub fn unknown_jail(name: &str) -> PyError {
        PyError::new(ErrorClass::UnknownJail, name)
    }

    /// `IndexError`: fail2ban's reply to a command missing an argument.
    pub fn missing_argument() -> PyError {
        PyError::new(ErrorClass::IndexError, "list index out of range")
    }

    /// `ValueError` of `int(text)` in Python.
    pub fn not_an_int(text: &str) -> PyError {
        PyError::new(
            ErrorClass::ValueError,
            format!("invalid literal for int() with base 10: {}", py_repr(text)),
        )
    }

    /// `ValueError("not banned: [...]")`: `set JAIL unbanip --report-absent`
    /// named addresses that were not banned.
    pub fn not_banned<S: AsRef<str>>(missed: &[S]) -> PyError {
        let list: Vec<String> = missed.iter().map(|s| py_repr(s.as_ref())).collect();
        PyError::new(
            ErrorClass::ValueError,
            format!("not banned: [{}]", list.join(", ")),
        )
    }

    /// A plain `Exception(message)`: for what fails on our side (a ban that
    /// could not be made, a reload that failed).
    pub fn failed(message: impl Into<String>) -> PyError {
        PyError::new(ErrorClass::Exception, message)
    }
}

/// One reply to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Ok(Value),
    Err(PyError),
}

impl Reply {
    /// fail2ban's return code: 0 success, 1 failure.
    pub fn code(&self) -> i64 {
        match self {
            Reply::Ok(_) => 0,
            Reply::Err(_) => 1,
        }
    }

    /// `(0, None)`: start, stop, stop JAIL.
    pub fn none() -> Reply {
        Reply::Ok(Value::None)
    }

    /// `(0, n)`: how many addresses a ban or an unban changed.
    pub fn count(n: usize) -> Reply {
        Reply::Ok(Value::Int(n as i64))
    }

    /// `(0, "OK")`: reload.
    pub fn reloaded() -> Reply {
        Reply::Ok(Value::str("OK"))
    }

    /// `(0, "flushed")` or `(0, "rolled over")`: flushlogs (fail2ban says
    /// "rolled over" when it logs to a file).
    pub fn flushed(rolled_over: bool) -> Reply {
        Reply::Ok(Value::str(if rolled_over {
            "rolled over"
        } else {
            "flushed"
        }))
    }
}

impl From<PyError> for Reply {
    fn from(error: PyError) -> Reply {
        Reply::Err(error)
    }
}

/// Python's `repr` of a `str`, as fail2ban's messages quote addresses.
pub fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}
