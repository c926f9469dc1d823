//! The same schema edit judged in a request and in a response: narrowing
//! breaks callers, widening breaks decoders, and the Rust type can break
//! either way.

use serde_json::json;

use super::super::model::Area;
use super::super::model::Class::{Breaking, NonBreaking, Unclassified};
use super::super::registry::*;
use super::{all_in, compare, doc, fixed, in_request, in_response, object, verdicts};

#[test]
fn adding_a_required_property_breaks_requests_but_not_responses() {
    let base = object(json!({"id": {"type": "string"}}), &["id"]);
    let head = object(
        json!({"id": {"type": "string"}, "name": {"type": "string"}}),
        &["id", "name"],
    );

    let request = in_request(base.clone(), head.clone());
    assert_eq!(
        verdicts(&request),
        [(REQUEST_PROPERTY_ADDED_REQUIRED.id(), Breaking)]
    );
    all_in(&request, Area::RequestBody);
    assert_eq!(
        request[0].pointer,
        "#/paths/~1things/post/requestBody/content/application~1json/schema/properties/name"
    );

    let response = in_response(base, head);
    assert_eq!(
        verdicts(&response),
        [(RESPONSE_PROPERTY_ADDED.id(), NonBreaking)]
    );
    all_in(&response, Area::Response);
}

#[test]
fn adding_an_optional_property_breaks_only_a_closed_response() {
    let base = object(json!({"id": {"type": "string"}}), &["id"]);
    let head = object(
        json!({"id": {"type": "string"}, "note": {"type": "string"}}),
        &["id"],
    );
    assert_eq!(
        verdicts(&in_request(base.clone(), head.clone())),
        [(REQUEST_PROPERTY_ADDED_OPTIONAL.id(), NonBreaking)]
    );
    assert_eq!(
        verdicts(&in_response(base.clone(), head.clone())),
        [(RESPONSE_PROPERTY_ADDED.id(), NonBreaking)]
    );

    // With `additionalProperties: false` the old client denies unknown fields.
    let close = |mut schema: serde_json::Value| {
        schema["additionalProperties"] = json!(false);
        schema
    };
    let (base, head) = (close(base), close(head));
    assert_eq!(
        verdicts(&in_request(base.clone(), head.clone())),
        [(REQUEST_PROPERTY_ADDED_OPTIONAL.id(), NonBreaking)]
    );
    assert_eq!(
        verdicts(&in_response(base, head)),
        [(RESPONSE_PROPERTY_ADDED_CLOSED.id(), Breaking)]
    );
}

#[test]
fn removing_a_property_breaks_both_directions() {
    let base = object(
        json!({"id": {"type": "string"}, "note": {"type": "string"}}),
        &["id"],
    );
    let head = object(json!({"id": {"type": "string"}}), &["id"]);
    assert_eq!(
        verdicts(&in_request(base.clone(), head.clone())),
        [(REQUEST_PROPERTY_REMOVED.id(), Breaking)]
    );
    assert_eq!(
        verdicts(&in_response(base, head)),
        [(RESPONSE_PROPERTY_REMOVED.id(), Breaking)]
    );
}

#[test]
fn requiredness_cuts_opposite_ways() {
    let optional = object(json!({"id": {"type": "string"}}), &[]);
    let required = object(json!({"id": {"type": "string"}}), &["id"]);
    // Optional -> required: callers may omit it; decoders only gain a guarantee,
    // but the Rust field changes from Option<T> to T.
    assert_eq!(
        verdicts(&in_request(optional.clone(), required.clone())),
        [(REQUEST_PROPERTY_BECAME_REQUIRED.id(), Breaking)]
    );
    assert_eq!(
        verdicts(&in_response(optional.clone(), required.clone())),
        [(RESPONSE_PROPERTY_BECAME_REQUIRED.id(), Breaking)]
    );
    // Required -> optional: the reverse.
    assert_eq!(
        verdicts(&in_request(required.clone(), optional.clone())),
        [(REQUEST_PROPERTY_BECAME_OPTIONAL.id(), NonBreaking)]
    );
    assert_eq!(
        verdicts(&in_response(required, optional)),
        [(RESPONSE_PROPERTY_BECAME_OPTIONAL.id(), Breaking)]
    );
    // A nullable property stays an Option in Rust, so requiring it is harmless.
    let nullable = json!({"id": {"type": "string", "nullable": true}});
    assert_eq!(
        verdicts(&in_response(
            object(nullable.clone(), &[]),
            object(nullable, &["id"])
        )),
        [(RESPONSE_PROPERTY_BECAME_REQUIRED.id(), NonBreaking)]
    );
}

#[test]
fn widening_an_enum_breaks_only_closed_response_enums() {
    let base = json!({"type": "string", "enum": ["a", "b"]});
    let head = json!({"type": "string", "enum": ["a", "b", "c"]});
    assert_eq!(
        verdicts(&in_request(base.clone(), head.clone())),
        [(ENUM_VALUE_ADDED.id(), NonBreaking)]
    );
    // An inline enum is a closed Rust enum: old clients fail to decode "c".
    assert_eq!(
        verdicts(&in_response(base.clone(), head.clone())),
        [(RESPONSE_STRICT_ENUM_VALUE_ADDED.id(), Breaking)]
    );
    // A named string-enum component is an open enum with `Unknown(String)`.
    let named = |status| {
        let r = json!({"$ref": "#/components/schemas/Status"});
        doc(fixed(), r, json!({ "Status": status }))
    };
    let open = compare(&named(base.clone()), &named(head.clone()));
    assert_eq!(
        verdicts(&open),
        [(RESPONSE_ENUM_VALUE_ADDED.id(), NonBreaking)]
    );
    assert!(open[0].message.contains("`types::Status` is an open enum"));
    assert_eq!(open[0].pointer, "#/components/schemas/Status/enum");
    // ...but only a string enum: an integer enum component stays closed.
    let (ib, ih) = (
        json!({"type": "integer", "enum": [1, 2]}),
        json!({"type": "integer", "enum": [1, 2, 3]}),
    );
    assert_eq!(
        verdicts(&compare(&named(ib), &named(ih))),
        [(RESPONSE_STRICT_ENUM_VALUE_ADDED.id(), Breaking)]
    );
}

#[test]
fn narrowing_an_enum_breaks_both_directions() {
    // In a request callers sending "c" are rejected; in a response nothing
    // fails to decode, but the Rust variant disappears, so matches on it stop
    // compiling: no asymmetry here.
    let base = json!({"type": "string", "enum": ["a", "b", "c"]});
    let head = json!({"type": "string", "enum": ["a", "b"]});
    let request = in_request(base.clone(), head.clone());
    assert_eq!(verdicts(&request), [(ENUM_VALUE_REMOVED.id(), Breaking)]);
    assert!(
        request[0]
            .message
            .contains("callers sending it are rejected")
    );
    let response = in_response(base, head);
    assert_eq!(verdicts(&response), [(ENUM_VALUE_REMOVED.id(), Breaking)]);
    assert!(response[0].message.contains("matches on it stop compiling"));
}

#[test]
fn bounds_cut_opposite_ways() {
    let wide = json!({"type": "integer", "maximum": 100});
    let narrow = json!({"type": "integer", "maximum": 10});
    assert_eq!(
        verdicts(&in_request(wide.clone(), narrow.clone())),
        [(REQUEST_CONSTRAINT_TIGHTENED.id(), Breaking)]
    );
    assert_eq!(
        verdicts(&in_response(wide.clone(), narrow.clone())),
        [(RESPONSE_CONSTRAINT_TIGHTENED.id(), NonBreaking)]
    );
    assert_eq!(
        verdicts(&in_request(narrow.clone(), wide.clone())),
        [(REQUEST_CONSTRAINT_RELAXED.id(), NonBreaking)]
    );
    assert_eq!(
        verdicts(&in_response(narrow, wide)),
        [(RESPONSE_CONSTRAINT_RELAXED.id(), Breaking)]
    );
}

#[test]
fn a_first_length_limit_on_a_response_string_changes_the_rust_type() {
    // Harmless on the wire in a response, but typify now generates a
    // validated newtype instead of String.
    let plain = json!({"type": "string"});
    let limited = json!({"type": "string", "maxLength": 64});
    let mut response = verdicts(&in_response(plain.clone(), limited.clone()));
    response.sort();
    assert_eq!(
        response,
        [
            (RESPONSE_CONSTRAINT_TIGHTENED.id(), NonBreaking),
            (SCHEMA_RUST_TYPE_CHANGED.id(), Breaking),
        ]
    );
    // In a request the tightening already breaks; the Rust type is not reported on top.
    assert_eq!(
        verdicts(&in_request(plain, limited)),
        [(REQUEST_CONSTRAINT_TIGHTENED.id(), Breaking)]
    );
}

#[test]
fn nullability_cuts_opposite_ways() {
    let plain = json!({"type": "string"});
    let nullable = json!({"type": "string", "nullable": true});
    assert_eq!(
        verdicts(&in_request(plain.clone(), nullable.clone())),
        [(SCHEMA_NULLABLE_ADDED.id(), NonBreaking)]
    );
    assert_eq!(
        verdicts(&in_response(plain.clone(), nullable.clone())),
        [(RESPONSE_BECAME_NULLABLE.id(), Breaking)]
    );
    assert_eq!(
        verdicts(&in_request(nullable.clone(), plain.clone())),
        [(SCHEMA_NULLABLE_REMOVED.id(), Breaking)]
    );
    assert_eq!(
        verdicts(&in_response(nullable.clone(), plain.clone())),
        [(RESPONSE_NULLABLE_REMOVED.id(), Breaking)]
    );
    // In a property optional on both sides the Rust type stays an Option.
    let slot = |schema| object(json!({ "note": schema }), &[]);
    assert_eq!(
        verdicts(&in_response(slot(nullable), slot(plain))),
        [(RESPONSE_NULLABLE_REMOVED.id(), NonBreaking)]
    );
}

#[test]
fn additional_properties_cut_opposite_ways() {
    let open = object(json!({"id": {"type": "string"}}), &["id"]);
    let mut closed = open.clone();
    closed["additionalProperties"] = json!(false);
    let id = ADDITIONAL_PROPERTIES_CHANGED.id();
    assert_eq!(
        verdicts(&in_request(open.clone(), closed.clone())),
        [(id, Breaking)]
    );
    assert_eq!(
        verdicts(&in_response(open.clone(), closed.clone())),
        [(id, NonBreaking)]
    );
    assert_eq!(
        verdicts(&in_request(closed.clone(), open.clone())),
        [(id, NonBreaking)]
    );
    assert_eq!(verdicts(&in_response(closed, open)), [(id, Breaking)]);
}

#[test]
fn a_changed_default_needs_review_only_in_requests() {
    let base = json!({"type": "integer", "default": 10});
    let head = json!({"type": "integer", "default": 20});
    let id = DEFAULT_CHANGED.id();
    assert_eq!(
        verdicts(&in_request(base.clone(), head.clone())),
        [(id, Unclassified)]
    );
    assert_eq!(verdicts(&in_response(base, head)), [(id, NonBreaking)]);
}

#[test]
fn a_component_shared_by_request_and_response_is_judged_per_use() {
    let r = || json!({"$ref": "#/components/schemas/Thing"});
    let base = object(json!({"id": {"type": "string"}}), &["id"]);
    let head = object(
        json!({"id": {"type": "string"}, "name": {"type": "string"}}),
        &["id", "name"],
    );
    let changes = compare(
        &doc(r(), r(), json!({ "Thing": base })),
        &doc(r(), r(), json!({ "Thing": head })),
    );
    let mut found: Vec<_> = changes
        .iter()
        .map(|c| (c.area, c.rule, c.class, c.pointer.as_str()))
        .collect();
    found.sort();
    let pointer = "#/components/schemas/Thing/properties/name";
    assert_eq!(
        found,
        [
            (
                Area::RequestBody,
                REQUEST_PROPERTY_ADDED_REQUIRED.id(),
                Breaking,
                pointer
            ),
            (
                Area::Response,
                RESPONSE_PROPERTY_ADDED.id(),
                NonBreaking,
                pointer
            ),
        ]
    );
}

/// A document with `GET /things` taking an optional `limit` query parameter
/// and answering 200 with a header `X-Mode`, plus a 400 with a JSON error body.
fn with_parameter_and_header(
    limit: serde_json::Value,
    mode: serde_json::Value,
) -> serde_json::Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"get": {
            "operationId": "listThings",
            "parameters": [{"name": "limit", "in": "query", "schema": limit}],
            "responses": {
                "200": {"description": "ok", "headers": {"X-Mode": {"schema": mode}}},
                "400": {
                    "description": "bad",
                    "content": {"application/json": {"schema": {"type": "string"}}}
                }
            }
        }}}
    })
}

#[test]
fn parameters_are_requests_and_headers_are_responses() {
    let mode = json!({"type": "string", "enum": ["fast"]});
    let limit = json!({"type": "integer", "maximum": 100});
    let changes = compare(
        &with_parameter_and_header(limit, mode.clone()),
        &with_parameter_and_header(json!({"type": "integer", "maximum": 10}), mode.clone()),
    );
    assert_eq!(
        verdicts(&changes),
        [(REQUEST_CONSTRAINT_TIGHTENED.id(), Breaking)]
    );
    all_in(&changes, Area::Parameter);

    let limit = json!({"type": "integer"});
    let changes = compare(
        &with_parameter_and_header(limit.clone(), mode),
        &with_parameter_and_header(limit, json!({"type": "string", "enum": ["fast", "slow"]})),
    );
    assert_eq!(
        verdicts(&changes),
        [(RESPONSE_STRICT_ENUM_VALUE_ADDED.id(), Breaking)]
    );
    all_in(&changes, Area::Response);
}

#[test]
fn removing_a_media_type_loses_only_the_typed_error_on_an_error_status() {
    let without = |mut doc: serde_json::Value, pointer: &str| {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        doc.pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(&key.replace("~1", "/"));
        doc
    };
    let base = doc(fixed(), fixed(), json!({}));
    let ok = "/paths/~1things/post/responses/200/content/application~1json";
    let request = "/paths/~1things/post/requestBody/content/application~1json";
    assert_eq!(
        verdicts(&compare(&base, &without(base.clone(), request))),
        [(REQUEST_MEDIA_TYPE_REMOVED.id(), Breaking)]
    );
    assert_eq!(
        verdicts(&compare(&base, &without(base.clone(), ok))),
        [(RESPONSE_MEDIA_TYPE_REMOVED.id(), Breaking)]
    );
    let base = with_parameter_and_header(json!({"type": "integer"}), fixed());
    let error = "/paths/~1things/get/responses/400/content/application~1json";
    assert_eq!(
        verdicts(&compare(&base, &without(base.clone(), error))),
        [(RESPONSE_MEDIA_TYPE_REMOVED.id(), NonBreaking)]
    );
}
