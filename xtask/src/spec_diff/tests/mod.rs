//! Unit tests of the subtle rules, on small documents built in code: the
//! direction of a change ([`direction`]), composition ([`composition`]),
//! `$ref` renames ([`refs`]), and the registry against `SPEC-DIFF.md`
//! ([`registry`]).

mod composition;
mod direction;
mod refs;
mod registry;

use serde_json::{Value, json};

use super::model::{Area, Change, Class};
use super::operations::compare;

/// A document with one operation, `POST /things`, whose required JSON request
/// body has the schema `request` and whose 200 response has `response`, plus
/// the component schemas `components`.
fn doc(request: Value, response: Value, components: Value) -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"post": {
            "operationId": "createThing",
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": request}}
            },
            "responses": {"200": {
                "description": "ok",
                "content": {"application/json": {"schema": response}}
            }}
        }}},
        "components": {"schemas": components}
    })
}

/// A schema that stays the same on the side not under test.
fn fixed() -> Value {
    json!({"type": "string"})
}

/// The changes when the request body schema goes from `base` to `head`.
fn in_request(base: Value, head: Value) -> Vec<Change> {
    compare(
        &doc(base, fixed(), json!({})),
        &doc(head, fixed(), json!({})),
    )
}

/// The changes when the response schema goes from `base` to `head`.
fn in_response(base: Value, head: Value) -> Vec<Change> {
    compare(
        &doc(fixed(), base, json!({})),
        &doc(fixed(), head, json!({})),
    )
}

/// (rule, class) of each change, in report order.
fn verdicts(changes: &[Change]) -> Vec<(&'static str, Class)> {
    changes.iter().map(|c| (c.rule, c.class)).collect()
}

/// Asserts that every change sits in `area`.
fn all_in(changes: &[Change], area: Area) {
    assert!(
        changes.iter().all(|c| c.area == area),
        "expected every change in {area:?}: {changes:#?}"
    );
}

/// An object schema with the given properties and required names.
fn object(properties: Value, required: &[&str]) -> Value {
    let mut schema = json!({"type": "object", "properties": properties});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}
