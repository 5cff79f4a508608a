//! The README and the pages under `docs/` link each other and the tree:
//! every relative link must name a file that exists and, with `#anchor`,
//! a heading of that file (GitHub's anchors: lower case, punctuation
//! dropped, spaces as hyphens, `-1`, `-2` for repeats). Links inside code
//! (fenced or indented blocks, backticks) are not links.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The lines of `text` outside fenced and indented code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced && !line.starts_with("    ") && !line.starts_with('\t') {
            out.push(line);
        }
    }
    out
}

/// `line` without its backtick code spans.
fn without_code(line: &str) -> String {
    line.split('`').step_by(2).collect::<Vec<_>>().join(" ")
}

/// GitHub's anchor of a heading's text.
fn slug(heading: &str) -> String {
    let text = heading.replace('`', "");
    (text.trim().to_lowercase().chars())
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of the headings of a markdown text.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    for line in prose(text) {
        let level = line.chars().take_while(|c| *c == '#').count();
        if level == 0 || level > 6 || !line[level..].starts_with(' ') {
            continue;
        }
        let base = slug(&line[level..]);
        let mut anchor = base.clone();
        let mut n = 0;
        while !seen.insert(anchor.clone()) {
            n += 1;
            anchor = format!("{base}-{n}");
        }
    }
    seen
}

/// The targets of the inline links `[text](target)` of a markdown text.
fn links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose(text) {
        let line = without_code(line);
        let mut rest = line.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    out
}

/// What is wrong with `target`, linked from `file`; `None` when it resolves.
fn broken(file: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (path, anchor) = match target.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (target, None),
    };
    let linked = match path {
        "" => file.to_path_buf(),
        p => file.parent().unwrap().join(p),
    };
    if !linked.exists() {
        return Some(format!("{} does not exist", linked.display()));
    }
    let anchor = anchor?;
    let text = std::fs::read_to_string(&linked).ok()?;
    (!anchors(&text).contains(anchor))
        .then(|| format!("no heading #{anchor} in {}", linked.display()))
}

/// README.md and every page under docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            pages.push(path);
        }
    }
    pages.sort();
    pages
}

#[test]
fn every_relative_link_of_the_readme_and_docs_resolves() {
    let mut bad = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for target in links(&text) {
            checked += 1;
            if let Some(why) = broken(&page, &target) {
                let name = page.strip_prefix(root()).unwrap().display().to_string();
                bad.push(format!("{name}: ({target}): {why}"));
            }
        }
    }
    assert!(
        checked > 20,
        "only {checked} links found: is the parser right?"
    );
    assert!(bad.is_empty(), "broken links:\n{}", bad.join("\n"));
}

#[test]
fn the_checker_sees_headings_links_and_code_as_github_does() {
    let text = "# Title\n## `portcullis list`: what the kernel holds\n## Title\n\
                see [a](#title-1) and `[not](#code)`\n    [indented](#no)\n```\n[fenced](#no)\n```\n";
    let found = anchors(text);
    assert!(
        found.contains("portcullis-list-what-the-kernel-holds"),
        "{found:?}"
    );
    assert!(
        found.contains("title") && found.contains("title-1"),
        "{found:?}"
    );
    assert_eq!(links(text), vec!["#title-1"]);
    let readme = root().join("README.md");
    assert_eq!(
        broken(&readme, "#title-1"),
        Some(format!("no heading #title-1 in {}", readme.display()))
    );
    assert_eq!(broken(&readme, "docs/architecture.md"), None);
    assert!(
        broken(&readme, "docs/nosuch.md")
            .unwrap()
            .ends_with("does not exist")
    );
}
