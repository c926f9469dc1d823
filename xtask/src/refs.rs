//! `$ref` resolution on JSON documents, with a guard against reference loops; shared by the
//! generators and spec-diff.

use serde_json::Value;

/// A schema (or other object) found by following `$ref`s from some spot.
pub struct Resolved<'a> {
    /// The object after all `$ref` hops.
    pub value: &'a Value,
    /// Its JSON pointer (`#/...`) in the document.
    pub pointer: String,
    /// The component schema name of the first hop, when the spot was a
    /// `$ref: '#/components/schemas/NAME'`: that name is the generated Rust type.
    pub component: Option<String>,
}

/// Follows `$ref` chains starting at `value` (found at `pointer`).
///
/// Fails on a reference loop (`A -> B -> A` with nothing in between) or a
/// dangling reference; the loader already rejects dangling ones, this is the
/// belt to its braces.
pub fn resolve<'a>(
    doc: &'a Value,
    value: &'a Value,
    pointer: &str,
) -> Result<Resolved<'a>, String> {
    let mut current = value;
    let mut at = pointer.to_string();
    let mut component = None;
    let mut seen = Vec::new();
    while let Some(target) = current.get("$ref").and_then(Value::as_str) {
        if seen.iter().any(|s: &String| s == target) || seen.len() > 64 {
            return Err(format!("{pointer}: $ref loop through {target}"));
        }
        seen.push(target.to_string());
        if component.is_none() && seen.len() == 1 {
            component = target
                .strip_prefix("#/components/schemas/")
                .filter(|name| !name.contains('/'))
                .map(unescape);
        }
        let Some(next) = target.strip_prefix('#').and_then(|p| doc.pointer(p)) else {
            return Err(format!("{at}: $ref {target:?} does not resolve"));
        };
        current = next;
        at = target.to_string();
    }
    Ok(Resolved {
        value: current,
        pointer: at,
        component,
    })
}

/// Follows `$ref` chains from `node`; on a loop or a dangling reference, stays where it stopped
/// resolving (the generators then simply find no limits there, and the lint and generation steps
/// report bad references on their own).
pub fn follow<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    resolve(doc, node, "#").map_or(node, |r| r.value)
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}
