//! Loading one side of the diff: a spec file, or `git:REV:PATH`, validated before comparison.
//!
//! Everything that could make the comparison guess (bad YAML, a document openapiv3
//! cannot read, a `$ref` that points nowhere) is rejected here, so `run` exits 2
//! with a clear message instead of reporting nonsense or panicking later.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde_json::Value;

use crate::spec_io::{parse_text, read_value, to_openapi};

/// A loaded, validated spec.
pub struct Spec {
    /// How the user named it (for messages and reports).
    pub origin: String,
    /// The document as JSON.
    pub doc: Value,
}

/// Loads `source`: `git:REV:PATH` (via `git show` in `repo`) or a file path.
///
/// A relative file path is taken from the current directory first and from the
/// workspace root second, so the command works both from the root (as CI runs it)
/// and from a subdirectory.
pub fn load(source: &str, repo: &Path) -> anyhow::Result<Spec> {
    let doc = if let Some(rest) = source.strip_prefix("git:") {
        let Some((rev, path)) = rest.split_once(':') else {
            bail!("{source}: expected git:REV:PATH, e.g. git:origin/main:spec/sparkbot.yaml");
        };
        if rev.is_empty() || path.is_empty() {
            bail!("{source}: expected git:REV:PATH with a non-empty REV and PATH");
        }
        let output = Command::new("git")
            .arg("-C")
            .arg(repo)
            .arg("show")
            .arg(format!("{rev}:{path}"))
            .output()
            .with_context(|| format!("{source}: cannot run git"))?;
        if !output.status.success() {
            bail!(
                "{source}: git show {rev}:{path} failed in {}: {}",
                repo.display(),
                String::from_utf8_lossy(&output.stderr).trim()
            );
        }
        let text = String::from_utf8(output.stdout)
            .with_context(|| format!("{source}: not UTF-8 text"))?;
        parse_text(&text, source)?
    } else {
        read_value(&resolve_file(source))?
    };
    validate(&doc, source)?;
    Ok(Spec {
        origin: source.to_string(),
        doc,
    })
}

fn resolve_file(source: &str) -> PathBuf {
    let path = PathBuf::from(source);
    if path.is_absolute() || path.exists() {
        return path;
    }
    let from_root = crate::workspace_root().join(&path);
    if from_root.exists() { from_root } else { path }
}

/// Checks that the document is OpenAPI 3.0 that openapiv3 can read (the same bar
/// the generator sets) and that every `$ref` is local and resolves.
fn validate(doc: &Value, origin: &str) -> anyhow::Result<()> {
    if !doc.is_object() {
        bail!("{origin}: the document is not a mapping");
    }
    to_openapi(doc.clone(), origin)?;
    let mut refs = Vec::new();
    collect_refs(doc, "#", &mut refs);
    for (at, target) in refs {
        let Some(pointer) = target.strip_prefix('#') else {
            bail!("{origin}: {at}: external $ref {target:?} is not supported (only #/... refs)");
        };
        if doc.pointer(pointer).is_none() {
            bail!("{origin}: {at}: $ref {target:?} does not resolve");
        }
        // A chain of refs that only points at itself describes nothing (and
        // sends drift into an endless loop); reject it here.
        let spot = serde_json::json!({ "$ref": target });
        if let Err(err) = crate::refs::resolve(doc, &spot, &at) {
            bail!("{origin}: {err}");
        }
    }
    Ok(())
}

fn collect_refs(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let here = format!("{at}/{}", super::model::escape(key));
                if key == "$ref" {
                    if let Value::String(target) = child {
                        out.push((here, target.clone()));
                    }
                } else {
                    collect_refs(child, &here, out);
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                collect_refs(child, &format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
}
