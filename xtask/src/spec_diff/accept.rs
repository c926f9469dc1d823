//! The acceptance file: acknowledged breaking changes, one `METHOD /path: reason` a line.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, bail};
use serde::Serialize;

/// One acknowledgement.
#[derive(Clone, Debug, Serialize)]
pub struct Acceptance {
    /// `METHOD /path` (method upper-cased) or `SCHEMA Name`.
    pub subject: String,
    /// Why the break is intended; required, so the file explains itself.
    pub reason: String,
    /// 1-based line number in the file.
    pub line: usize,
}

/// Parses the acceptance file. Blank lines and `#` comments are skipped; a line
/// without a reason, or with an unknown method, is an error (exit 2), because a
/// typo would otherwise silently accept nothing.
pub fn parse(text: &str, origin: &str) -> anyhow::Result<Vec<Acceptance>> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((subject, reason)) = line.split_once(": ") else {
            bail!(
                "{origin}:{}: expected `METHOD /path: reason`, got {line:?}",
                i + 1
            );
        };
        let reason = reason.trim();
        let Some((method, target)) = subject.trim().split_once(' ') else {
            bail!(
                "{origin}:{}: expected `METHOD /path: reason`, got {line:?}",
                i + 1
            );
        };
        let method = method.to_uppercase();
        let known = [
            "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "SCHEMA",
        ];
        if !known.contains(&method.as_str()) {
            bail!(
                "{origin}:{}: unknown method {method:?} (expected an HTTP method or SCHEMA)",
                i + 1
            );
        }
        let target = target.trim();
        if target.is_empty()
            || reason.is_empty()
            || (method != "SCHEMA" && !target.starts_with('/'))
        {
            bail!(
                "{origin}:{}: expected `METHOD /path: reason` with a non-empty reason, got {line:?}",
                i + 1
            );
        }
        out.push(Acceptance {
            subject: format!("{method} {target}"),
            reason: reason.to_string(),
            line: i + 1,
        });
    }
    Ok(out)
}

/// Reads and parses an acceptance file.
pub fn read(path: &Path) -> anyhow::Result<Vec<Acceptance>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse(&text, &path.display().to_string())
}

/// Finds the acceptance for a breaking change on `subject`, if any.
pub fn find<'a>(list: &'a [Acceptance], subject: &str) -> Option<&'a Acceptance> {
    list.iter().find(|a| a.subject == subject)
}

/// Acceptances that matched no breaking change: stale lines to delete.
pub fn unused<'a>(list: &'a [Acceptance], used: &BTreeSet<usize>) -> Vec<&'a Acceptance> {
    list.iter().filter(|a| !used.contains(&a.line)).collect()
}
