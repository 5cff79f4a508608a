//! How a jail uses a filter ([`FilterOptions`]: `--mode`, `--logtype`,
//! `--set`), checked against the filter's parameters, and which of its
//! items those values make active.

use std::collections::HashMap;

use super::CompileError;
use crate::filter::definition::{FilterDef, Item, LOGTYPE};

/// How a jail uses a filter: `--mode`, `--logtype` and `--set KEY=VALUE`.
#[derive(Debug, Clone, Default)]
pub struct FilterOptions {
    pub mode: Option<String>,
    pub logtype: Option<String>,
    pub set: Vec<(String, String)>,
}

/// Each parameter's value: its default unless the options set it.
pub(super) fn param_values(
    def: &FilterDef,
    options: &FilterOptions,
) -> Result<HashMap<String, String>, CompileError> {
    let mut values: HashMap<String, String> = def
        .params
        .iter()
        .map(|p| (p.name.clone(), p.choices[0].clone()))
        .collect();
    let chosen = options
        .mode
        .iter()
        .map(|m| ("mode", m.as_str()))
        .chain(options.logtype.iter().map(|l| (LOGTYPE, l.as_str())))
        .chain(options.set.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    for (param, value) in chosen {
        let Some(p) = def.params.iter().find(|p| p.name == param) else {
            let known = def
                .params
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            return Err(CompileError::UnknownParam {
                filter: def.name.clone(),
                param: param.to_string(),
                known,
            });
        };
        if !p.choices.iter().any(|c| c == value) {
            return Err(CompileError::BadValue {
                filter: def.name.clone(),
                param: param.to_string(),
                value: value.to_string(),
                choices: p.choices.join(", "),
            });
        }
        values.insert(param.to_string(), value.to_string());
    }
    Ok(values)
}

pub(super) fn is_active(item: &Item, values: &HashMap<String, String>) -> bool {
    item.when
        .iter()
        .all(|c| values.get(&c.param).is_some_and(|v| c.values.contains(v)))
}
