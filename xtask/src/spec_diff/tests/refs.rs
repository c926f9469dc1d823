//! `$ref`s: a renamed component is judged by its Rust type name, not by its
//! structure; refs that do not name a component are compared by what they
//! point at.

use serde_json::{Value, json};

use super::super::model::Change;
use super::super::model::Class::{Breaking, NonBreaking};
use super::super::registry::*;
use super::{compare, doc, fixed, object, verdicts};

fn item() -> Value {
    object(
        json!({
            "id": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 10}
        }),
        &["id"],
    )
}

fn to(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The changes of `POST /things` alone (component additions and removals left out).
fn of_operation(changes: &[Change]) -> Vec<Change> {
    changes
        .iter()
        .filter(|c| c.operation == "POST /things")
        .cloned()
        .collect()
}

#[test]
fn a_renamed_but_identical_component_breaks_only_by_its_rust_name() {
    // `Item` becomes `Thing` with the same structure. On the wire nothing
    // changed and no structural rule fires; the one break is the Rust type
    // `types::Item` becoming `types::Thing`, in either direction.
    for request in [true, false] {
        let side = |name: &str| {
            let (req, resp) = if request {
                (to(name), fixed())
            } else {
                (fixed(), to(name))
            };
            doc(req, resp, json!({ name: item() }))
        };
        let changes = compare(&side("Item"), &side("Thing"));
        let operation = of_operation(&changes);
        assert_eq!(
            verdicts(&operation),
            [(SCHEMA_RUST_TYPE_RENAMED.id(), Breaking)],
            "{operation:#?}"
        );
        assert!(
            operation[0]
                .message
                .contains("from `types::Item` to `types::Thing`")
        );
        let components: Vec<_> = changes
            .iter()
            .filter(|c| c.operation.starts_with("SCHEMA "))
            .map(|c| (c.operation.as_str(), c.rule, c.class))
            .collect();
        assert_eq!(
            components,
            [
                ("SCHEMA Item", COMPONENT_SCHEMA_REMOVED.id(), Breaking),
                ("SCHEMA Thing", COMPONENT_SCHEMA_ADDED.id(), NonBreaking),
            ]
        );
    }
}

#[test]
fn a_renamed_component_is_still_compared_structurally() {
    let mut thing = item();
    thing["properties"]["tags"]["maxItems"] = json!(5);
    let changes = compare(
        &doc(fixed(), to("Item"), json!({ "Item": item() })),
        &doc(fixed(), to("Thing"), json!({ "Thing": thing })),
    );
    let mut found = verdicts(&of_operation(&changes));
    found.sort();
    assert_eq!(
        found,
        [
            (RESPONSE_CONSTRAINT_TIGHTENED.id(), NonBreaking),
            (SCHEMA_RUST_TYPE_RENAMED.id(), Breaking),
        ]
    );
}

#[test]
fn a_moved_ref_that_names_no_component_is_no_change() {
    // A ref into a component's property is not a Rust type of its own, so
    // pointing it at an identical property elsewhere changes nothing.
    let components = json!({ "Item": item(), "Other": item() });
    let base = doc(
        fixed(),
        json!({"$ref": "#/components/schemas/Item/properties/tags"}),
        components.clone(),
    );
    let head = doc(
        fixed(),
        json!({"$ref": "#/components/schemas/Other/properties/tags"}),
        components,
    );
    assert_eq!(compare(&base, &head), []);
}

#[test]
fn an_unchanged_ref_to_an_unchanged_component_is_no_change() {
    let side = || doc(to("Item"), to("Item"), json!({ "Item": item() }));
    assert_eq!(compare(&side(), &side()), []);
}

#[test]
fn inlining_or_extracting_a_component_renames_the_rust_type() {
    let inline = doc(fixed(), item(), json!({ "Item": item() }));
    let named = doc(fixed(), to("Item"), json!({ "Item": item() }));
    for (base, head, message) in [
        (&inline, &named, "from an inline type to `types::Item`"),
        (&named, &inline, "from `types::Item` to an inline type"),
    ] {
        let changes = compare(base, head);
        assert_eq!(
            verdicts(&changes),
            [(SCHEMA_RUST_TYPE_RENAMED.id(), Breaking)]
        );
        assert!(changes[0].message.contains(message), "{changes:#?}");
    }
}

#[test]
fn renaming_a_recursive_component_terminates() {
    let node = |name: &str| {
        object(
            json!({"value": {"type": "string"}, "next": to(name)}),
            &["value"],
        )
    };
    let changes = compare(
        &doc(fixed(), to("Node"), json!({ "Node": node("Node") })),
        &doc(fixed(), to("Tree"), json!({ "Tree": node("Tree") })),
    );
    let operation = of_operation(&changes);
    let pointers: Vec<&str> = operation.iter().map(|c| c.pointer.as_str()).collect();
    assert_eq!(
        pointers,
        [
            "#/components/schemas/Tree/properties/next",
            "#/paths/~1things/post/responses/200/content/application~1json/schema",
        ]
    );
    assert!(
        operation
            .iter()
            .all(|c| c.rule == SCHEMA_RUST_TYPE_RENAMED.id() && c.class == Breaking)
    );
}
