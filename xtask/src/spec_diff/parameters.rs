//! Parameter rules: path, query and header parameters of one operation,
//! including those inherited from the path item. Their schemas are compared as
//! requests by [`super::schema`].

use std::collections::BTreeMap;

use serde_json::Value;

use super::ctx::{Ctx, Op, Scope, changed_keys, is_doc_key, is_required};
use super::model::{Area, Direction};
use super::registry::{
    PARAMETER_ADDED_OPTIONAL, PARAMETER_ADDED_REQUIRED, PARAMETER_BECAME_OPTIONAL,
    PARAMETER_BECAME_REQUIRED, PARAMETER_CHANGED_UNRECOGNISED, PARAMETER_DOCS_CHANGED,
    PARAMETER_NAME_CASE_CHANGED, PARAMETER_REMOVED, PARAMETER_RENAMED,
    PARAMETER_SERIALIZATION_CHANGED,
};
use super::schema::{SchemaDiff, Side};
use crate::refs::resolve;

/// Keys that change how the value is serialized on the wire.
const WIRE_KEYS: &[&str] = &["style", "explode", "allowReserved", "allowEmptyValue"];

/// Keys of a parameter that have a rule (the documentation keys aside).
const HANDLED: &[&str] = &[
    "name",
    "in",
    "required",
    "schema",
    "deprecated",
    "style",
    "explode",
    "allowReserved",
    "allowEmptyValue",
];

struct Param<'d> {
    name: String,
    location: String,
    value: &'d Value,
    pointer: String,
}

/// Parameter identity: path parameters by position in the template (so a rename
/// is seen as a rename), the others by location and name (headers case-insensitively).
type ParamKey = (String, String);

fn params<'d>(doc: &'d Value, op: &Op<'d>) -> BTreeMap<ParamKey, Param<'d>> {
    let template: Vec<String> = op
        .path
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
        .collect();
    let mut out = BTreeMap::new();
    // Path-item parameters first, so operation-level ones override them.
    let sources = [
        (
            op.path_item.get("parameters"),
            format!("{}/parameters", op.path_item_pointer),
        ),
        (
            op.op.get("parameters"),
            format!("{}/parameters", op.pointer),
        ),
    ];
    for (list, list_pointer) in sources {
        let Some(list) = list.and_then(Value::as_array) else {
            continue;
        };
        for (i, raw) in list.iter().enumerate() {
            let Ok(p) = resolve(doc, raw, &format!("{list_pointer}/{i}")) else {
                continue;
            };
            let text = |key: &str| {
                p.value
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let (name, location) = (text("name"), text("in"));
            let key = match location.as_str() {
                "path" => (
                    "path".to_string(),
                    template
                        .iter()
                        .position(|t| *t == name)
                        .map_or_else(|| name.clone(), |pos| format!("#{pos}")),
                ),
                "header" => (location.clone(), name.to_lowercase()),
                _ => (location.clone(), name.clone()),
            };
            out.insert(
                key,
                Param {
                    name,
                    location,
                    value: p.value,
                    pointer: p.pointer,
                },
            );
        }
    }
    out
}

/// Compares the parameters of an operation present on both sides.
pub fn compare<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) {
    let (bp, hp) = (params(ctx.base, b), params(ctx.head, h));
    for (key, bparam) in &bp {
        let Some(hparam) = hp.get(key) else {
            ctx.push(
                Area::Parameter,
                &bparam.pointer,
                PARAMETER_REMOVED,
                format!(
                    "the {} parameter `{}` was removed: its builder setter disappears and old callers still send it",
                    bparam.location, bparam.name
                ),
            );
            continue;
        };
        compare_parameter(ctx, bparam, hparam);
    }
    for (key, hparam) in &hp {
        if bp.contains_key(key) {
            continue;
        }
        let required = is_required(hparam.value) || hparam.location == "path";
        let (rule, why) = if required {
            (PARAMETER_ADDED_REQUIRED, "old callers do not send it")
        } else {
            (PARAMETER_ADDED_OPTIONAL, "old callers may omit it")
        };
        ctx.push(
            Area::Parameter,
            &hparam.pointer,
            rule,
            format!(
                "a new {} {} parameter `{}` was added: {why}",
                if required { "required" } else { "optional" },
                hparam.location,
                hparam.name
            ),
        );
    }
}

fn compare_parameter<'d>(ctx: &mut Ctx<'d>, b: &Param<'d>, h: &Param<'d>) {
    let what = format!("the {} parameter `{}`", h.location, h.name);
    names(ctx, b, h);
    match (is_required(b.value), is_required(h.value)) {
        (false, true) => ctx.push(
            Area::Parameter,
            &format!("{}/required", h.pointer),
            PARAMETER_BECAME_REQUIRED,
            format!("{what} was optional and is now required: old callers may omit it"),
        ),
        (true, false) => ctx.push(
            Area::Parameter,
            &format!("{}/required", h.pointer),
            PARAMETER_BECAME_OPTIONAL,
            format!("{what} was required and is now optional"),
        ),
        _ => {}
    }
    let (Some(bo), Some(ho)) = (b.value.as_object(), h.value.as_object()) else {
        return;
    };
    keys(ctx, bo, ho, &h.pointer, &what);
    match (bo.get("schema"), ho.get("schema")) {
        (Some(bs), Some(hs)) => SchemaDiff::new(Scope {
            ctx,
            dir: Direction::Request,
            area: Area::Parameter,
        })
        .compare(
            Side {
                value: bs,
                pointer: &format!("{}/schema", b.pointer),
            },
            Side {
                value: hs,
                pointer: &format!("{}/schema", h.pointer),
            },
            !is_required(b.value) && !is_required(h.value),
        ),
        (None, None) => {}
        _ => ctx.push(
            Area::Parameter,
            &h.pointer,
            PARAMETER_CHANGED_UNRECOGNISED,
            format!("{what}: switched between `schema` and `content`; review by hand"),
        ),
    }
}

/// A renamed path parameter (matched by position) or a re-cased header.
fn names(ctx: &mut Ctx<'_>, b: &Param<'_>, h: &Param<'_>) {
    if b.name != h.name && b.location == "path" {
        ctx.push(
            Area::Parameter,
            &format!("{}/name", h.pointer),
            PARAMETER_RENAMED,
            format!(
                "path parameter `{}` was renamed to `{}`: the Rust builder setter is renamed",
                b.name, h.name
            ),
        );
    }
    if b.name != h.name && b.location == "header" {
        ctx.push(
            Area::Parameter,
            &format!("{}/name", h.pointer),
            PARAMETER_NAME_CASE_CHANGED,
            format!(
                "header `{}` is now spelled `{}`: header names are case-insensitive and the snake-cased Rust setter is unchanged",
                b.name, h.name
            ),
        );
    }
}

/// The parameter's own keys: documentation, serialization, and keys without a rule.
fn keys(
    ctx: &mut Ctx<'_>,
    bo: &serde_json::Map<String, Value>,
    ho: &serde_json::Map<String, Value>,
    pointer: &str,
    what: &str,
) {
    let docs = changed_keys(bo, ho, |k| is_doc_key(k) || k == "deprecated");
    if !docs.is_empty() {
        ctx.push(
            Area::Parameter,
            pointer,
            PARAMETER_DOCS_CHANGED,
            format!("{what}: documentation changed ({})", docs.join(", ")),
        );
    }
    let wire = changed_keys(bo, ho, |k| WIRE_KEYS.contains(&k));
    if !wire.is_empty() {
        ctx.push(
            Area::Parameter,
            pointer,
            PARAMETER_SERIALIZATION_CHANGED,
            format!(
                "{what}: serialization changed ({}): the value goes on the wire differently",
                wire.join(", ")
            ),
        );
    }
    let other = changed_keys(bo, ho, |k| !HANDLED.contains(&k) && !is_doc_key(k));
    if !other.is_empty() {
        ctx.push(
            Area::Parameter,
            pointer,
            PARAMETER_CHANGED_UNRECOGNISED,
            format!("{what}: keys without a rule changed: {}", other.join(", ")),
        );
    }
}
