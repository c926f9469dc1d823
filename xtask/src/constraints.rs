//! Request limits the generated types do not enforce, collected into a table checked at run time.
//!
//! typify turns string lengths and patterns into validated newtypes, but it ignores array item
//! counts (`minItems`/`maxItems`) and numeric ranges (`minimum`/`maximum`, beyond "non-zero"). So
//! `size=500` on a list capped at 50, or eleven contacts in a message limited to ten, would go out
//! on the wire. The table emitted here is checked by sparkbot-api's request hook before any I/O.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::refs::follow;
use crate::spec_walk::{operations, snake_case};

/// Refs are followed at most this deep; the spec's schemas nest far less.
const MAX_DEPTH: usize = 16;

/// Where a checked value sits in the request.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// A query parameter, by name.
    Query(String),
    /// A JSON pointer into the body; `*` stands for every item of an array.
    Body(String),
}

/// One limit.
#[derive(Debug, Clone, PartialEq)]
pub enum Limit {
    /// Number of array items (or of repeated query values).
    Items { min: Option<u64>, max: Option<u64> },
    /// Inclusive numeric range.
    Range { min: Option<f64>, max: Option<f64> },
}

/// Collects the limits of every operation, keyed by its snake_case operation id.
pub fn collect(spec: &Value) -> BTreeMap<String, Vec<(Place, Limit)>> {
    let mut table = BTreeMap::new();
    for operation in operations(spec) {
        let (item, op) = (operation.item, operation.op);
        let Some(id) = operation.id() else {
            continue;
        };
        let mut checks = BTreeMap::new();
        let params = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .chain(
                op.get("parameters")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten(),
            );
        for param in params {
            let param = follow(spec, param);
            if param.get("in").and_then(Value::as_str) != Some("query") {
                continue;
            }
            let (Some(name), Some(schema)) = (
                param.get("name").and_then(Value::as_str),
                param.get("schema"),
            ) else {
                continue;
            };
            let schema = follow(spec, schema);
            for limit in limits_of(schema) {
                merge(&mut checks, Place::Query(name.to_owned()), limit);
            }
        }
        if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
            walk(
                spec,
                schema,
                &mut String::new(),
                0,
                &mut BTreeSet::new(),
                &mut checks,
            );
        }
        let checks: Vec<(Place, Limit)> = checks
            .into_iter()
            .map(|((place, _), limit)| (place, limit))
            .collect();
        if !checks.is_empty() {
            table.insert(snake_case(id), checks);
        }
    }
    table
}

fn limits_of(schema: &Value) -> Vec<Limit> {
    let number = |k: &str| schema.get(k).and_then(Value::as_f64);
    let count = |k: &str| schema.get(k).and_then(Value::as_u64);
    let mut limits = Vec::new();
    match schema.get("type").and_then(Value::as_str) {
        Some("array") if count("minItems").is_some() || count("maxItems").is_some() => {
            limits.push(Limit::Items {
                min: count("minItems"),
                max: count("maxItems"),
            });
        }
        Some("integer" | "number")
            if number("minimum").is_some() || number("maximum").is_some() =>
        {
            limits.push(Limit::Range {
                min: number("minimum"),
                max: number("maximum"),
            });
        }
        _ => {}
    }
    limits
}

fn walk(
    spec: &Value,
    schema: &Value,
    pointer: &mut String,
    depth: usize,
    refs: &mut BTreeSet<String>,
    checks: &mut BTreeMap<(Place, u8), Limit>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        // A recursive schema adds nothing new once seen on this branch.
        if !refs.insert(r.to_owned()) {
            return;
        }
        if let Some(target) = r.strip_prefix('#').and_then(|p| spec.pointer(p)) {
            walk(spec, target, pointer, depth + 1, refs, checks);
        }
        refs.remove(r);
        return;
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            walk(spec, part, pointer, depth + 1, refs, checks);
        }
    }
    for limit in limits_of(schema) {
        merge(checks, Place::Body(pointer.clone()), limit);
    }
    if let Some(items) = schema.get("items") {
        let len = pointer.len();
        pointer.push_str("/*");
        walk(spec, items, pointer, depth + 1, refs, checks);
        pointer.truncate(len);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (name, prop) in props {
            let len = pointer.len();
            pointer.push('/');
            pointer.push_str(&name.replace('~', "~0").replace('/', "~1"));
            walk(spec, prop, pointer, depth + 1, refs, checks);
            pointer.truncate(len);
        }
    }
}

/// Two schemas reaching one place (say, `oneOf` variants) keep the loosest limit, so a value
/// valid for any of them is never refused.
fn merge(checks: &mut BTreeMap<(Place, u8), Limit>, place: Place, limit: Limit) {
    let kind = match limit {
        Limit::Items { .. } => 0,
        Limit::Range { .. } => 1,
    };
    match checks.get_mut(&(place.clone(), kind)) {
        None => {
            checks.insert((place, kind), limit);
        }
        Some(Limit::Items { min, max }) => {
            if let Limit::Items { min: m, max: x } = limit {
                *min = loosest_min(*min, m);
                *max = loosest_max(*max, x);
            }
        }
        Some(Limit::Range { min, max }) => {
            if let Limit::Range { min: m, max: x } = limit {
                *min = loosest_min(*min, m);
                *max = loosest_max(*max, x);
            }
        }
    }
}

fn loosest_min<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a < b { a } else { b }),
        _ => None,
    }
}

fn loosest_max<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(if a > b { a } else { b }),
        _ => None,
    }
}

/// The table as Rust items for the generated file, referring to `crate::validate`.
pub fn tokens(table: &BTreeMap<String, Vec<(Place, Limit)>>) -> TokenStream {
    let entries = table.iter().map(|(op, checks)| {
        let checks = checks.iter().map(|(place, limit)| {
            let place = match place {
                Place::Query(name) => quote!(crate::validate::Place::Query(#name)),
                Place::Body(pointer) => quote!(crate::validate::Place::Body(#pointer)),
            };
            let opt_u = |v: Option<u64>| match v {
                Some(v) => quote!(Some(#v)),
                None => quote!(None),
            };
            let opt_f = |v: Option<f64>| match v {
                Some(v) => quote!(Some(#v)),
                None => quote!(None),
            };
            let limit = match limit {
                Limit::Items { min, max } => {
                    let (min, max) = (opt_u(*min), opt_u(*max));
                    quote!(crate::validate::Limit::Items { min: #min, max: #max })
                }
                Limit::Range { min, max } => {
                    let (min, max) = (opt_f(*min), opt_f(*max));
                    quote!(crate::validate::Limit::Range { min: #min, max: #max })
                }
            };
            quote!((#place, #limit))
        });
        quote!((#op, &[ #( #checks ),* ]))
    });
    quote! {
        /// Request limits the generated types do not enforce (array sizes, numeric ranges), by
        /// operation, sorted by operation id; checked by the request hook before any I/O.
        pub(crate) static REQUEST_LIMITS: &[(&str, &[(crate::validate::Place, crate::validate::Limit)])] = &[
            #( #entries ),*
        ];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_are_found_through_refs_compositions_and_arrays() {
        let spec = json!({
            "paths": {"/m": {"post": {
                "operationId": "sendMessage",
                "parameters": [{"$ref": "#/components/parameters/Size"}],
                "requestBody": {"content": {"application/json": {"schema": {"oneOf": [
                    {"$ref": "#/components/schemas/A"},
                    {"type": "object", "properties": {"contacts": {"type": "array", "maxItems": 20}}}
                ]}}}}
            }}},
            "components": {
                "parameters": {"Size": {"name": "size", "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 50}}},
                "schemas": {
                    "A": {"allOf": [{"type": "object", "properties": {
                        "contacts": {"type": "array", "minItems": 1, "maxItems": 10,
                            "items": {"$ref": "#/components/schemas/A"}},
                        "duration": {"type": "integer", "minimum": 2, "maximum": 30}
                    }}]}
                }
            }
        });
        let table = collect(&spec);
        let checks = &table["send_message"];
        assert!(checks.contains(&(
            Place::Query("size".into()),
            Limit::Range {
                min: Some(1.0),
                max: Some(50.0)
            }
        )));
        // Two variants reach /contacts: the loosest bounds win.
        assert!(checks.contains(&(
            Place::Body("/contacts".into()),
            Limit::Items {
                min: None,
                max: Some(20)
            }
        )));
        assert!(checks.contains(&(
            Place::Body("/duration".into()),
            Limit::Range {
                min: Some(2.0),
                max: Some(30.0)
            }
        )));
        // The recursive ref through `items` is not followed twice.
        assert!(
            !checks
                .iter()
                .any(|(p, _)| matches!(p, Place::Body(b) if b.contains("/*/contacts/*")))
        );
    }
}
