//! The entry point of the comparison, and the operation-level rules: which
//! operations exist, `operationId`, operation documentation, and security.
//! The parts of an operation go to [`super::parameters`], [`super::bodies`]
//! and [`super::responses`]; component schemas to [`super::components`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::ctx::{Ctx, Op, changed_keys, is_doc_key};
use super::model::{Area, Change, escape};
use super::registry::{
    OPERATION_ADDED, OPERATION_CHANGED_UNRECOGNISED, OPERATION_DEPRECATION_CHANGED,
    OPERATION_DOCS_CHANGED, OPERATION_ID_CHANGED, OPERATION_REMOVED, PATH_REMOVED, SECURITY_ADDED,
    SECURITY_CHANGED, SECURITY_REMOVED,
};
use super::{bodies, components, parameters, responses};
use crate::refs::resolve;
use crate::spec_walk::{METHODS, snake_case};

/// Compares two validated documents and returns every change found, sorted and deduplicated.
pub fn compare(base: &Value, head: &Value) -> Vec<Change> {
    let mut ctx = Ctx::new(base, head);
    let (bops, hops) = (operations(base), operations(head));
    let head_paths: BTreeSet<&str> = hops.keys().map(|(p, _)| p.as_str()).collect();
    for (key, b) in &bops {
        ctx.set_subject(b.label());
        match hops.get(key) {
            None if !head_paths.contains(key.0.as_str()) => ctx.push(
                Area::Operation,
                &b.pointer,
                PATH_REMOVED,
                format!(
                    "the path {} was removed, and with it this operation{}",
                    b.path,
                    rust_method(b.op)
                ),
            ),
            None => ctx.push(
                Area::Operation,
                &b.pointer,
                OPERATION_REMOVED,
                format!("the operation was removed{}", rust_method(b.op)),
            ),
            Some(h) => {
                ctx.set_subject(h.label());
                compare_operation(&mut ctx, b, h);
            }
        }
    }
    for (key, h) in &hops {
        if !bops.contains_key(key) {
            ctx.set_subject(h.label());
            ctx.push(
                Area::Operation,
                &h.pointer,
                OPERATION_ADDED,
                "a new operation was added".to_string(),
            );
        }
    }
    components::compare(&mut ctx);
    let mut changes = ctx.into_changes();
    changes.sort_by(|x, y| sort_key(x).cmp(&sort_key(y)).then_with(|| x.cmp(y)));
    changes.dedup();
    changes
}

/// Report order: operations by path then method, component schemas last.
fn sort_key(change: &Change) -> (bool, &str, usize) {
    let (method, path) = change
        .operation
        .split_once(' ')
        .unwrap_or(("", &change.operation));
    let rank = METHODS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(method))
        .unwrap_or(METHODS.len());
    (method == "SCHEMA", path, rank)
}

/// Operations keyed by (path with parameter names erased, method): renaming a
/// path parameter does not make a different operation.
fn operations(doc: &Value) -> BTreeMap<(String, &'static str), Op<'_>> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let item_pointer = format!("#/paths/{}", escape(path));
        let Ok(item) = resolve(doc, item, &item_pointer) else {
            continue;
        };
        for method in METHODS.iter() {
            if let Some(op) = item.value.get(*method).filter(|v| v.is_object()) {
                out.insert(
                    (normalise_path(path), *method),
                    Op {
                        path: path.clone(),
                        method,
                        op,
                        pointer: format!("{}/{method}", item.pointer),
                        path_item: item.value,
                        path_item_pointer: item.pointer.clone(),
                    },
                );
            }
        }
    }
    out
}

/// `/devices/{id}` and `/devices/{deviceId}` are the same route.
pub fn normalise_path(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push_str("{}");
            }
            '}' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

fn operation_id(op: &Value) -> Option<&str> {
    op.get("operationId").and_then(Value::as_str)
}

fn rust_method(op: &Value) -> String {
    operation_id(op).map_or_else(String::new, |id| {
        format!(" (Rust method `{}`)", snake_case(id))
    })
}

fn compare_operation<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) {
    let id_pointer = format!("{}/operationId", h.pointer);
    match (operation_id(b.op), operation_id(h.op)) {
        (Some(bi), Some(hi)) if bi != hi => ctx.push(
            Area::Operation,
            &id_pointer,
            OPERATION_ID_CHANGED,
            format!(
                "operationId changed from `{bi}` to `{hi}`: the Rust method `{}()` becomes `{}()`",
                snake_case(bi),
                snake_case(hi)
            ),
        ),
        (bi, hi) if bi != hi => ctx.push(
            Area::Operation,
            &id_pointer,
            OPERATION_ID_CHANGED,
            format!(
                "operationId went from {bi:?} to {hi:?}: progenitor needs one to name the Rust method"
            ),
        ),
        _ => {}
    }
    if let (Some(bo), Some(ho)) = (b.op.as_object(), h.op.as_object()) {
        operation_keys(ctx, bo, ho, &h.pointer);
    }
    parameters::compare(ctx, b, h);
    bodies::compare_request_body(ctx, b, h);
    responses::compare(ctx, b, h);
    security(ctx, b, h);
}

/// The operation's own keys: documentation, `deprecated`, and keys without a rule.
fn operation_keys(
    ctx: &mut Ctx<'_>,
    bo: &serde_json::Map<String, Value>,
    ho: &serde_json::Map<String, Value>,
    pointer: &str,
) {
    const HANDLED: &[&str] = &[
        "operationId",
        "parameters",
        "requestBody",
        "responses",
        "security",
        "deprecated",
    ];
    let docs = changed_keys(bo, ho, is_doc_key);
    if !docs.is_empty() {
        ctx.push(
            Area::Operation,
            pointer,
            OPERATION_DOCS_CHANGED,
            format!("documentation changed ({})", docs.join(", ")),
        );
    }
    if bo.get("deprecated") != ho.get("deprecated") {
        ctx.push(
            Area::Operation,
            &format!("{pointer}/deprecated"),
            OPERATION_DEPRECATION_CHANGED,
            format!(
                "deprecated changed from {} to {}",
                bo.get("deprecated").unwrap_or(&Value::Bool(false)),
                ho.get("deprecated").unwrap_or(&Value::Bool(false))
            ),
        );
    }
    let other = changed_keys(bo, ho, |k| !HANDLED.contains(&k) && !is_doc_key(k));
    if !other.is_empty() {
        ctx.push(
            Area::Operation,
            pointer,
            OPERATION_CHANGED_UNRECOGNISED,
            format!(
                "operation keys without a rule changed: {}",
                other.join(", ")
            ),
        );
    }
}

// ------------------------------------------------------------------ security

/// Effective security: the operation's own list, else the document's. `None`
/// when no credentials are needed (no list, an empty list, or an empty `{}`
/// alternative).
fn effective_security<'d>(doc: &'d Value, op: &Op<'d>) -> (Option<BTreeSet<String>>, String) {
    let (list, pointer) = match op.op.get("security") {
        Some(list) => (Some(list), format!("{}/security", op.pointer)),
        None => (doc.get("security"), "#/security".to_string()),
    };
    let Some(list) = list.and_then(Value::as_array) else {
        return (None, pointer);
    };
    let alternatives: BTreeSet<String> = list.iter().map(Value::to_string).collect();
    if alternatives.is_empty()
        || list
            .iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
    {
        (None, pointer)
    } else {
        (Some(alternatives), pointer)
    }
}

fn security(ctx: &mut Ctx<'_>, b: &Op<'_>, h: &Op<'_>) {
    let (bs, bptr) = effective_security(ctx.base, b);
    let (hs, hptr) = effective_security(ctx.head, h);
    match (bs, hs) {
        (None, Some(_)) => ctx.push(
            Area::Security,
            &hptr,
            SECURITY_ADDED,
            "the operation now requires credentials where it needed none: old callers send none"
                .to_string(),
        ),
        (Some(_), None) => ctx.push(
            Area::Security,
            &bptr,
            SECURITY_REMOVED,
            "the operation no longer requires credentials".to_string(),
        ),
        (Some(x), Some(y)) if x != y => ctx.push(
            Area::Security,
            &hptr,
            SECURITY_CHANGED,
            "the accepted security requirements changed; review by hand".to_string(),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameter_names_do_not_identify_routes() {
        assert_eq!(normalise_path("/d/{deviceId}/m/{id}"), "/d/{}/m/{}");
    }
}
