//! The SparkBot node's action catalogue (`spec/node-actions.json`) and the check that the spec
//! serves every action exactly as the node calls it: same method and path, every query name a
//! query parameter, every body field in the request schema.
//!
//! Body fields are dot paths: `image.url`; `participants[].phone` for the items of an array
//! property; a leading `[]` when the body itself is an array (`[]`, `[].key`). When the request
//! schema is a `oneOf` (the send body), one variant must hold all of an action's fields: each
//! send action is a variant, not a mix of several.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;
use serde_json::Value;

use crate::refs::follow;
use crate::spec_walk::{Operation, operations};

/// The repository whose source the catalogue was read from; `node` evidence must name it.
pub const NODE_REPO: &str = "walichat/n8n-walichat";

/// One action of the node.
#[derive(Debug, Clone, Deserialize)]
pub struct Action {
    /// The node's section (a spec tag).
    pub section: String,
    /// The action's name as the node shows it.
    pub action: String,
    /// The node's own operation value (`getLabels`).
    pub node: String,
    /// Upper-case HTTP method; absent for an action with no fixed endpoint.
    pub method: Option<String>,
    /// The API path with `{param}` placeholders; absent with `method`.
    pub path: Option<String>,
    /// Query parameter names the node sends.
    #[serde(default)]
    pub query: Vec<String>,
    /// Body field paths the node sends (see the module doc).
    #[serde(default)]
    pub body: Vec<String>,
    /// The node's source file.
    pub source: String,
    /// For an action with no fixed endpoint: the hand-written call that serves it.
    #[serde(rename = "servedBy")]
    pub served_by: Option<String>,
}

impl Action {
    /// `"<Section>: <Action>"`, as `x-sparkbot-actions` names it.
    pub fn key(&self) -> String {
        format!("{}: {}", self.section, self.action)
    }
}

/// Reads the catalogue at `path`.
pub fn load(path: &Path) -> anyhow::Result<Vec<Action>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let actions: Vec<Action> = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a list of node actions", path.display()))?;
    for a in &actions {
        let fixed = a.method.is_some() && a.path.is_some();
        anyhow::ensure!(
            fixed || a.served_by.is_some(),
            "{}: an action needs a method and path, or servedBy",
            a.key()
        );
    }
    Ok(actions)
}

/// How much of the node's traffic one spec serves, measured by method and path alone (so a spec
/// that does not name the actions yet is measured too).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// Actions with a fixed endpoint.
    pub actions: usize,
    /// Of those, actions with an operation of the same method and path.
    pub matched: usize,
    /// Query names the node sends, over all actions.
    pub query: usize,
    /// Of those, names that are query parameters of the matching operation.
    pub query_found: usize,
    /// Body fields the node sends, over all actions.
    pub body: usize,
    /// Of those, fields found in the matching operation's request schema.
    pub body_found: usize,
}

impl std::fmt::Display for Coverage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "node actions {}/{} by method and path, query names {}/{}, body fields {}/{}",
            self.matched, self.actions, self.query_found, self.query, self.body_found, self.body
        )
    }
}

/// Checks `spec` against `actions`: returns one problem per difference, and the coverage.
pub fn check(spec: &Value, actions: &[Action]) -> (Vec<String>, Coverage) {
    let mut problems = Vec::new();
    let mut coverage = Coverage::default();
    let ops: Vec<Operation<'_>> = operations(spec).collect();
    let by_route: BTreeMap<(String, &str), &Operation<'_>> = ops
        .iter()
        .map(|o| ((o.method.to_uppercase(), o.path), o))
        .collect();
    for action in actions {
        let naming: Vec<&Operation<'_>> = ops
            .iter()
            .filter(|o| names_action(o.op, &action.key()))
            .collect();
        let (Some(method), Some(path)) = (&action.method, &action.path) else {
            if let Some(op) = naming.first() {
                problems.push(format!(
                    "action {:?} is served by {} and must not be named by {} {}",
                    action.key(),
                    action.served_by.as_deref().unwrap_or("hand-written code"),
                    op.method.to_uppercase(),
                    op.path
                ));
            }
            continue;
        };
        coverage.actions += 1;
        coverage.query += action.query.len();
        coverage.body += action.body.len();
        let route = format!("{method} {path}");
        let Some(op) = by_route.get(&(method.clone(), path.as_str())) else {
            problems.push(format!(
                "action {:?} ({}, {}): no operation {route}{}",
                action.key(),
                action.node,
                action.source,
                match naming.first() {
                    Some(o) =>
                        format!(" (named by {} {} instead)", o.method.to_uppercase(), o.path),
                    None => String::new(),
                }
            ));
            continue;
        };
        coverage.matched += 1;
        match naming.as_slice() {
            [one] if std::ptr::eq(one.op, op.op) => {}
            [] => problems.push(format!(
                "action {:?}: {route} exists but does not name it in x-sparkbot-actions",
                action.key()
            )),
            many => problems.push(format!(
                "action {:?} must be named by exactly one operation ({route}); named by {}",
                action.key(),
                many.iter()
                    .map(|o| format!("{} {}", o.method.to_uppercase(), o.path))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
        let query = query_names(spec, op);
        for name in &action.query {
            if query.iter().any(|q| q == name) {
                coverage.query_found += 1;
            } else {
                problems.push(format!(
                    "action {:?}: {route} has no query parameter {name:?}",
                    action.key()
                ));
            }
        }
        let missing = missing_body_fields(spec, op.op, &action.body);
        coverage.body_found += action.body.len() - missing.len();
        if !missing.is_empty() {
            problems.push(format!(
                "action {:?}: the request body of {route} lacks {}",
                action.key(),
                missing.join(", ")
            ));
        }
    }
    (problems, coverage)
}

fn names_action(op: &Value, key: &str) -> bool {
    op.get("x-sparkbot-actions")
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().any(|a| a.as_str() == Some(key)))
}

/// The query parameter names of an operation, path-level ones included.
fn query_names(spec: &Value, op: &Operation<'_>) -> Vec<String> {
    [op.item, op.op]
        .into_iter()
        .filter_map(|v| v.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|p| follow(spec, p))
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("query"))
        .filter_map(|p| p.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// The fields of `fields` that the JSON request schema of `op` does not hold. With a `oneOf`
/// body, the variant that holds the most of them is the one measured.
fn missing_body_fields(spec: &Value, op: &Value, fields: &[String]) -> Vec<String> {
    if fields.is_empty() {
        return Vec::new();
    }
    let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") else {
        return fields.to_vec();
    };
    let root = follow(spec, schema);
    let variants: Vec<&Value> = match root.get("oneOf").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None => vec![root],
    };
    variants
        .into_iter()
        .map(|variant| {
            fields
                .iter()
                .filter(|f| !holds(spec, variant, &segments(f)))
                .cloned()
                .collect::<Vec<_>>()
        })
        .min_by_key(Vec::len)
        .unwrap_or_else(|| fields.to_vec())
}

/// `participants[].phone` → `["participants", "[]", "phone"]`; `[].key` → `["[]", "key"]`.
fn segments(field: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in field.split('.') {
        match part.strip_suffix("[]") {
            Some("") => out.push("[]"),
            Some(name) => out.extend([name, "[]"]),
            None => out.push(part),
        }
    }
    out
}

/// Whether `schema` holds the property path `path`. Composition (`allOf`, `oneOf`, `anyOf`)
/// holds a path when any of its parts does.
fn holds(spec: &Value, schema: &Value, path: &[&str]) -> bool {
    holds_within(spec, schema, path, 0)
}

fn holds_within(spec: &Value, schema: &Value, path: &[&str], depth: usize) -> bool {
    // Recursive schemas cannot trap the walk: each step consumes a segment or is a bounded hop.
    if depth > 64 {
        return false;
    }
    let schema = follow(spec, schema);
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    let composed = ["allOf", "oneOf", "anyOf"]
        .into_iter()
        .filter_map(|k| schema.get(k).and_then(Value::as_array))
        .flatten()
        .any(|part| holds_within(spec, part, path, depth + 1));
    if composed {
        return true;
    }
    let next = if *first == "[]" {
        schema.get("items")
    } else {
        schema.pointer(&format!(
            "/properties/{}",
            first.replace('~', "~0").replace('/', "~1")
        ))
    };
    next.is_some_and(|n| holds_within(spec, n, rest, depth + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn action(method: &str, path: &str, query: &[&str], body: &[&str]) -> Action {
        Action {
            section: "Labels".into(),
            action: "Update Label".into(),
            node: "updateLabel".into(),
            method: Some(method.into()),
            path: Some(path.into()),
            query: query.iter().map(|s| (*s).into()).collect(),
            body: body.iter().map(|s| (*s).into()).collect(),
            source: "src/actions/labels.ts".into(),
            served_by: None,
        }
    }

    fn spec() -> Value {
        json!({
            "paths": {"/devices/{deviceId}/labels": {
                "parameters": [{"$ref": "#/components/parameters/Page"}],
                "patch": {
                    "x-sparkbot-actions": ["Labels: Update Label"],
                    "parameters": [{"name": "force", "in": "query"}, {"name": "deviceId", "in": "path"}],
                    "requestBody": {"content": {"application/json": {"schema":
                        {"$ref": "#/components/schemas/LabelUpdate"}}}}
                }
            }},
            "components": {
                "parameters": {"Page": {"name": "page", "in": "query"}},
                "schemas": {
                    "LabelUpdate": {"allOf": [
                        {"type": "object", "properties": {"name": {"type": "string"}}},
                        {"properties": {"tags": {"type": "array", "items": {
                            "properties": {"key": {"type": "string"}}}}}}
                    ]}
                }
            }
        })
    }

    #[test]
    fn a_served_action_passes_and_counts() {
        let (problems, cov) = check(
            &spec(),
            &[action(
                "PATCH",
                "/devices/{deviceId}/labels",
                &["page", "force"],
                &["name", "tags[].key"],
            )],
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!((cov.matched, cov.query_found, cov.body_found), (1, 2, 2));
    }

    #[test]
    fn each_difference_names_the_action_and_what_differs() {
        let (problems, cov) = check(
            &spec(),
            &[
                action(
                    "PATCH",
                    "/devices/{deviceId}/labels",
                    &["size"],
                    &["color", "tags[].id"],
                ),
                action("DELETE", "/devices/{deviceId}/labels", &[], &[]),
            ],
        );
        let all = problems.join("\n");
        for expected in [
            "\"Labels: Update Label\": PATCH /devices/{deviceId}/labels has no query parameter \"size\"",
            "lacks color, tags[].id",
            "(updateLabel, src/actions/labels.ts): no operation DELETE /devices/{deviceId}/labels (named by PATCH /devices/{deviceId}/labels instead)",
        ] {
            assert!(all.contains(expected), "missing {expected:?} in\n{all}");
        }
        assert_eq!((cov.actions, cov.matched, cov.body_found), (2, 1, 0));
    }

    #[test]
    fn an_unnamed_or_twice_named_action_fails() {
        let mut s = spec();
        s["paths"]["/devices/{deviceId}/labels"]["patch"]["x-sparkbot-actions"] = json!([]);
        let (problems, _) = check(
            &s,
            &[action("PATCH", "/devices/{deviceId}/labels", &[], &[])],
        );
        assert!(
            problems[0].contains("exists but does not name it"),
            "{problems:?}"
        );
        s["paths"]["/devices/{deviceId}/labels"]["patch"]["x-sparkbot-actions"] =
            json!(["Labels: Update Label"]);
        s["paths"]["/x"] = json!({"get": {"x-sparkbot-actions": ["Labels: Update Label"]}});
        let (problems, _) = check(
            &s,
            &[action("PATCH", "/devices/{deviceId}/labels", &[], &[])],
        );
        assert!(
            problems[0].contains("exactly one operation"),
            "{problems:?}"
        );
    }

    #[test]
    fn a_one_of_body_needs_one_variant_with_every_field() {
        let mut s = spec();
        s["components"]["schemas"]["LabelUpdate"] = json!({"oneOf": [
            {"properties": {"phone": {}, "poll": {"properties": {"name": {}}}}},
            {"properties": {"phone": {}, "vote": {}}}
        ]});
        let poll = action(
            "PATCH",
            "/devices/{deviceId}/labels",
            &[],
            &["phone", "poll.name"],
        );
        assert!(check(&s, &[poll]).0.is_empty());
        let mixed = action(
            "PATCH",
            "/devices/{deviceId}/labels",
            &[],
            &["poll.name", "vote"],
        );
        let (problems, cov) = check(&s, &[mixed]);
        assert_eq!(cov.body_found, 1, "{problems:?}");
    }

    #[test]
    fn an_array_body_and_its_items() {
        let mut s = spec();
        s["components"]["schemas"]["LabelUpdate"] =
            json!({"type": "array", "items": {"properties": {"key": {}}}});
        let ok = action(
            "PATCH",
            "/devices/{deviceId}/labels",
            &[],
            &["[]", "[].key"],
        );
        assert!(check(&s, &[ok]).0.is_empty());
        let bad = action("PATCH", "/devices/{deviceId}/labels", &[], &["[].value"]);
        assert!(check(&s, &[bad]).0[0].contains("lacks [].value"));
    }

    #[test]
    fn a_hand_served_action_must_not_be_named() {
        let raw = Action {
            section: "Other".into(),
            action: "Send Raw Request".into(),
            method: None,
            path: None,
            served_by: Some("Client::raw_request".into()),
            ..action("GET", "/", &[], &[])
        };
        assert!(check(&spec(), std::slice::from_ref(&raw)).0.is_empty());
        let mut s = spec();
        s["paths"]["/devices/{deviceId}/labels"]["patch"]["x-sparkbot-actions"] =
            json!(["Other: Send Raw Request"]);
        let (problems, _) = check(&s, &[raw]);
        assert!(
            problems[0].contains("is served by Client::raw_request"),
            "{problems:?}"
        );
    }
}
