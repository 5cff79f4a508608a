//! The Python values the fail2ban protocol carries: what a client's request
//! decodes to and what a reply encodes from. Plain data only; a value never
//! names a Python class (an error reply's exception is [`super::Reply`]'s
//! business, never a [`Value`]).

/// A plain Python value. Dicts keep their pairs in order, as a list of
/// pairs: no hashing of attacker-chosen keys, and replies keep the order
/// they were built in.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Tuple(Vec<Value>),
    Dict(Vec<(Value, Value)>),
}

impl Value {
    /// The text of a `str`, or `None` for anything else.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A `str` value.
    pub fn str(text: impl Into<String>) -> Value {
        Value::Str(text.into())
    }

    /// A list of `str` values.
    pub fn str_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Value {
        Value::List(items.into_iter().map(|s| Value::str(s.as_ref())).collect())
    }

    /// A 2-tuple `(name, value)`, the shape of every status line.
    pub fn pair(name: &str, value: Value) -> Value {
        Value::Tuple(vec![Value::str(name), value])
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::str(text)
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::Str(text)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
