//! Component schemas as Rust types: progenitor emits a type for every component
//! schema, used or not, so adding or removing one adds or removes a public type.
//! Their contents are compared where operations use them ([`super::schema`]).

use serde_json::Value;

use super::ctx::Ctx;
use super::model::{Area, escape, map_of};
use super::registry::{COMPONENT_SCHEMA_ADDED, COMPONENT_SCHEMA_REMOVED};

/// Reports component schemas that were added or removed, each under `SCHEMA Name`.
pub fn compare(ctx: &mut Ctx<'_>) {
    let schemas = |doc: &'_ Value| -> serde_json::Map<String, Value> {
        doc.get("components")
            .map(|c| map_of(c, "schemas").clone())
            .unwrap_or_default()
    };
    let (bs, hs) = (schemas(ctx.base), schemas(ctx.head));
    for name in bs.keys().filter(|n| !hs.contains_key(*n)) {
        ctx.set_subject(format!("SCHEMA {name}"));
        ctx.push(
            Area::Component,
            &format!("#/components/schemas/{}", escape(name)),
            COMPONENT_SCHEMA_REMOVED,
            format!(
                "component schema `{name}` was removed: the Rust type `types::{name}` disappears"
            ),
        );
    }
    for name in hs.keys().filter(|n| !bs.contains_key(*n)) {
        ctx.set_subject(format!("SCHEMA {name}"));
        ctx.push(
            Area::Component,
            &format!("#/components/schemas/{}", escape(name)),
            COMPONENT_SCHEMA_ADDED,
            format!("component schema `{name}` was added (new Rust type `types::{name}`)"),
        );
    }
}
