//! oneOf/anyOf/allOf: variants matched by `$ref` name (so reordering is no
//! change), inline members by position, and composition keywords appearing or
//! disappearing.

use serde_json::{Value, json};

use super::super::model::Class::{Breaking, NonBreaking, Unclassified};
use super::super::model::{Change, Class};
use super::super::registry::*;
use super::{compare, doc, fixed, in_request, in_response, object, verdicts};

/// Three structurally distinct components for variants.
fn variants() -> Value {
    json!({
        "Cat": object(json!({"meow": {"type": "string"}}), &["meow"]),
        "Dog": object(json!({"bark": {"type": "string"}}), &["bark"]),
        "Eel": object(json!({"zap": {"type": "integer"}}), &["zap"]),
    })
}

fn one_of(names: &[&str]) -> Value {
    let refs: Vec<Value> = names
        .iter()
        .map(|n| json!({ "$ref": format!("#/components/schemas/{n}") }))
        .collect();
    json!({ "oneOf": refs })
}

/// The changes when the request (`request == true`) or response schema goes
/// from `base` to `head`, with the variant components defined on both sides.
fn with_variants(request: bool, base: Value, head: Value) -> Vec<Change> {
    let side = |schema: Value| {
        if request {
            doc(schema, fixed(), variants())
        } else {
            doc(fixed(), schema, variants())
        }
    };
    compare(&side(base), &side(head))
}

#[test]
fn an_added_variant_is_safe_to_send_but_not_to_decode() {
    let (base, head) = (one_of(&["Cat", "Dog"]), one_of(&["Cat", "Dog", "Eel"]));
    let request = with_variants(true, base.clone(), head.clone());
    assert_eq!(
        verdicts(&request),
        [(SCHEMA_VARIANT_ADDED.id(), NonBreaking)]
    );
    assert!(request[0].pointer.ends_with("/schema/oneOf/2"));
    assert_eq!(
        verdicts(&with_variants(false, base, head)),
        [(SCHEMA_VARIANT_ADDED.id(), Breaking)]
    );
}

#[test]
fn a_removed_variant_breaks_both_directions() {
    let (base, head) = (one_of(&["Cat", "Dog", "Eel"]), one_of(&["Cat", "Eel"]));
    for request in [true, false] {
        let changes = with_variants(request, base.clone(), head.clone());
        assert_eq!(
            verdicts(&changes),
            [(SCHEMA_VARIANT_REMOVED.id(), Breaking)]
        );
        // The spot is gone from head, so the pointer is into base.
        assert!(changes[0].pointer.ends_with("/schema/oneOf/1"));
        assert!(changes[0].message.contains("#/components/schemas/Dog"));
    }
}

#[test]
fn reordered_named_variants_are_no_change() {
    let (base, head) = (
        one_of(&["Cat", "Dog", "Eel"]),
        one_of(&["Eel", "Cat", "Dog"]),
    );
    assert_eq!(with_variants(false, base.clone(), head.clone()), []);
    assert_eq!(with_variants(true, base, head), []);
}

#[test]
fn a_named_variant_is_compared_inside_in_its_direction() {
    let schema = one_of(&["Cat", "Dog"]);
    let mut head_components = variants();
    head_components["Dog"]["properties"]["wag"] = json!({"type": "boolean"});
    head_components["Dog"]["required"] = json!(["bark", "wag"]);
    let side = |request: bool, components: Value| {
        if request {
            doc(schema.clone(), fixed(), components)
        } else {
            doc(fixed(), schema.clone(), components)
        }
    };
    let request = compare(
        &side(true, variants()),
        &side(true, head_components.clone()),
    );
    assert_eq!(
        verdicts(&request),
        [(REQUEST_PROPERTY_ADDED_REQUIRED.id(), Breaking)]
    );
    assert_eq!(
        request[0].pointer,
        "#/components/schemas/Dog/properties/wag"
    );
    assert_eq!(
        verdicts(&compare(
            &side(false, variants()),
            &side(false, head_components)
        )),
        [(RESPONSE_PROPERTY_ADDED.id(), NonBreaking)]
    );
}

#[test]
fn a_composition_keyword_appearing_breaks_and_stops_the_comparison() {
    // The type also "changes" (object -> untyped) and a property disappears,
    // but only the shape change is reported: the rest would be noise.
    let base = object(json!({"meow": {"type": "string"}}), &["meow"]);
    let head = json!({"allOf": [{"$ref": "#/components/schemas/Cat"}]});
    for request in [true, false] {
        let changes = with_variants(request, base.clone(), head.clone());
        assert_eq!(
            verdicts(&changes),
            [(SCHEMA_COMPOSITION_CHANGED.id(), Breaking)]
        );
        assert!(changes[0].pointer.ends_with("/schema/allOf"));
        assert!(changes[0].message.contains("`allOf` was added"));
    }
    let changes = with_variants(false, head, base);
    assert_eq!(
        verdicts(&changes),
        [(SCHEMA_COMPOSITION_CHANGED.id(), Breaking)]
    );
    assert!(changes[0].message.contains("`allOf` was removed"));
}

#[test]
fn a_different_count_of_inline_members_needs_review() {
    let base = json!({"anyOf": [{"type": "string"}, {"type": "integer"}]});
    let head = json!({"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "boolean"}]});
    let expected: [(&str, Class); 1] = [(SCHEMA_COMPOSITION_CHANGED.id(), Unclassified)];
    assert_eq!(verdicts(&in_request(base.clone(), head.clone())), expected);
    assert_eq!(verdicts(&in_response(base, head)), expected);
}

#[test]
fn inline_members_are_compared_by_position() {
    let base = json!({"oneOf": [{"type": "string"}, {"type": "integer", "maximum": 10}]});
    let head = json!({"oneOf": [{"type": "string"}, {"type": "integer", "maximum": 5}]});
    let request = in_request(base.clone(), head.clone());
    assert_eq!(
        verdicts(&request),
        [(REQUEST_CONSTRAINT_TIGHTENED.id(), Breaking)]
    );
    assert!(request[0].pointer.ends_with("/schema/oneOf/1/maximum"));
    assert_eq!(
        verdicts(&in_response(base, head)),
        [(RESPONSE_CONSTRAINT_TIGHTENED.id(), NonBreaking)]
    );
    // A mix of named and inline members is positional too.
    let base = json!({"oneOf": [{"$ref": "#/components/schemas/Cat"}, {"type": "string"}]});
    let head = json!({"oneOf": [{"type": "string"}, {"$ref": "#/components/schemas/Cat"}]});
    let changes = with_variants(false, base, head);
    assert!(
        changes
            .iter()
            .all(|c| c.rule == SCHEMA_RUST_TYPE_RENAMED.id() || c.rule == SCHEMA_TYPE_CHANGED.id()),
        "{changes:#?}"
    );
    assert!(changes.iter().any(|c| c.rule == SCHEMA_TYPE_CHANGED.id()));
}

#[test]
fn all_of_members_are_matched_by_position_even_when_named() {
    // Documented limit: swapping two allOf members reads as both being
    // replaced, so each position reports the Rust type behind it as renamed.
    let base = json!({"allOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}]});
    let head = json!({"allOf": [{"$ref": "#/components/schemas/Dog"}, {"$ref": "#/components/schemas/Cat"}]});
    let changes = with_variants(false, base, head);
    let renamed: Vec<&str> = changes
        .iter()
        .filter(|c| c.rule == SCHEMA_RUST_TYPE_RENAMED.id())
        .map(|c| c.pointer.as_str())
        .collect();
    assert_eq!(renamed.len(), 2, "{changes:#?}");
    assert!(renamed.iter().all(|p| p.contains("/schema/allOf/")));
    // ...and the members are compared structurally, position by position.
    assert!(
        changes
            .iter()
            .any(|c| c.rule == RESPONSE_PROPERTY_REMOVED.id()
                && c.pointer == "#/components/schemas/Cat/properties/meow")
    );
}
