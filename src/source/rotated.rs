//! The rotated copies of a followed file, found beside it by name (its
//! name plus a suffix, compressed ones left out), for [`super::tail::Tail`]:
//! the copy that holds the rest of our lines, and the copies made after it.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::tail::first_line_hash;

/// The rotated copy of `path` beside it that holds our lines: its name is
/// `path`'s plus a suffix, its first line hashes to `hash`, it is at least
/// `offset` long; the file with inode `inode` is taken first.
pub(super) fn rotated(path: &Path, inode: u64, hash: u64, offset: u64) -> Option<File> {
    let mut found: Option<(bool, File, PathBuf)> = None;
    for other in siblings(path) {
        let Ok(file) = File::open(&other) else {
            continue;
        };
        let Ok(meta) = file.metadata() else { continue };
        if !meta.is_file() || meta.len() < offset || first_line_hash(&file) != Some(hash) {
            continue;
        }
        let same = meta.ino() == inode;
        if found
            .as_ref()
            .is_none_or(|(was_same, ..)| same && !was_same)
        {
            found = Some((same, file, other));
        }
    }
    let (_, file, other) = found?;
    tracing::debug!(
        "{}: reading the rest of {} from byte {offset}",
        path.display(),
        other.display()
    );
    Some(file)
}

/// The rotated copies of `path` (name plus a suffix, not `.gz`) last
/// written after `after`, oldest first, except the inodes `skip`: the
/// files rotated after the one we read last.
pub(super) fn rotated_since(
    path: &Path,
    after: std::time::SystemTime,
    skip: [u64; 2],
) -> Vec<File> {
    let mut found: Vec<(std::time::SystemTime, PathBuf, File)> = siblings(path)
        .filter_map(|p| {
            let file = File::open(&p).ok()?;
            let meta = file.metadata().ok()?;
            let modified = meta.modified().ok()?;
            (meta.is_file() && modified > after && !skip.contains(&meta.ino()))
                .then_some((modified, p, file))
        })
        .collect();
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (_, other, _) in &found {
        tracing::debug!(
            "{}: reading {} too (rotated since)",
            path.display(),
            other.display()
        );
    }
    found.into_iter().map(|(_, _, f)| f).collect()
}

/// The paths beside `path` named like its rotated copies: its name plus a
/// suffix (`auth.log.1`, `auth.log-20261205`), compressed ones left out.
fn siblings(path: &Path) -> impl Iterator<Item = PathBuf> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_string();
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let entries = std::fs::read_dir(dir.unwrap_or(Path::new("."))).ok();
    entries
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(move |entry| {
            let other = entry.file_name();
            let other = other.to_str()?;
            let ok = !name.is_empty()
                && other.len() > name.len()
                && other.starts_with(name.as_str())
                && !other.ends_with(".gz");
            ok.then(|| entry.path())
        })
}
