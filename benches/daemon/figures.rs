//! Figures gathered over several runs, printed as min, median and max,
//! with the load average they were taken under.

use std::collections::BTreeMap;

#[derive(Default)]
pub struct Figures {
    /// By name (ordered by first use): unit, target, values.
    order: Vec<String>,
    values: BTreeMap<String, (String, String, Vec<f64>)>,
}

impl Figures {
    pub fn add(&mut self, name: &str, unit: &str, target: &str, value: f64) {
        if !self.values.contains_key(name) {
            self.order.push(name.to_string());
        }
        let entry = self
            .values
            .entry(name.to_string())
            .or_insert_with(|| (unit.to_string(), target.to_string(), Vec::new()));
        entry.2.push(value);
        println!("  {name}: {value:.3} {unit}");
    }

    pub fn print(&self) {
        println!(
            "\nsummary (min / median / max over the runs)  load: {}",
            load()
        );
        for name in &self.order {
            let (unit, target, values) = &self.values[name];
            let mut v = values.clone();
            v.sort_by(f64::total_cmp);
            println!(
                "{name}: {:.3} / {:.3} / {:.3} {unit} ({} runs; {target})",
                v[0],
                v[v.len() / 2],
                v[v.len() - 1],
                v.len()
            );
        }
    }
}

/// The load averages, as `uptime` shows them.
pub fn load() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
