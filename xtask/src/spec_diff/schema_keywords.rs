//! The keyword rules of a schema comparison: what one schema pair's own
//! keywords say (type, format, nullable, enum, constraints, default,
//! requiredness, documentation). The walk into properties, items and
//! composition, which recurses, is [`super::schema`]; this module never
//! recurses and depends on no comparison module.
//!
//! The direction decides which way a narrowing cuts: narrowing a request breaks
//! callers, widening a response breaks decoders (our generated types validate
//! constrained values on decode).

use std::collections::BTreeSet;

use serde_json::Value;

use super::ctx::Scope;
use super::model::{Class, Direction};
use super::registry::{
    CONSTRAINT_CHANGED, DEFAULT_CHANGED, ENUM_VALUE_ADDED, ENUM_VALUE_REMOVED, Fixed, Judged,
    REQUEST_CONSTRAINT_RELAXED, REQUEST_CONSTRAINT_TIGHTENED, REQUEST_PROPERTY_ADDED_OPTIONAL,
    REQUEST_PROPERTY_ADDED_REQUIRED, REQUEST_PROPERTY_BECAME_OPTIONAL,
    REQUEST_PROPERTY_BECAME_REQUIRED, REQUEST_PROPERTY_REMOVED, RESPONSE_BECAME_NULLABLE,
    RESPONSE_CONSTRAINT_RELAXED, RESPONSE_CONSTRAINT_TIGHTENED, RESPONSE_ENUM_VALUE_ADDED,
    RESPONSE_NULLABLE_REMOVED, RESPONSE_PROPERTY_ADDED, RESPONSE_PROPERTY_ADDED_CLOSED,
    RESPONSE_PROPERTY_BECAME_OPTIONAL, RESPONSE_PROPERTY_BECAME_REQUIRED,
    RESPONSE_PROPERTY_REMOVED, RESPONSE_STRICT_ENUM_VALUE_ADDED, SCHEMA_ACCESS_CHANGED,
    SCHEMA_CHANGED_UNRECOGNISED, SCHEMA_DOCS_CHANGED, SCHEMA_ENUM_DROPPED, SCHEMA_ENUM_INTRODUCED,
    SCHEMA_FORMAT_CHANGED, SCHEMA_NULLABLE_ADDED, SCHEMA_NULLABLE_REMOVED,
    SCHEMA_RUST_TYPE_CHANGED, SCHEMA_TYPE_CHANGED,
};
use crate::refs::resolve;

/// A schema object.
pub type Obj = serde_json::Map<String, Value>;

/// Keywords that only document: changing them never breaks anyone.
const DOC_KEYS: &[&str] = &[
    "description",
    "title",
    "example",
    "examples",
    "externalDocs",
    "deprecated",
    "xml",
];

/// Keywords the schema rules handle; any other keyword that changes is unclassified.
const HANDLED: &[&str] = &[
    "$ref",
    "type",
    "format",
    "nullable",
    "enum",
    "oneOf",
    "anyOf",
    "allOf",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "default",
    "readOnly",
    "writeOnly",
];

/// String formats typify maps to a native Rust type; with any other format,
/// length/pattern constraints turn the Rust type into a validated newtype.
const NATIVE_STRING_FORMATS: &[&str] = &["uuid", "date", "date-time", "ip", "ipv4", "ipv6"];

/// Documentation-only keywords.
pub fn docs(s: &mut Scope<'_, '_>, b: &Obj, h: &Obj, hp: &str) {
    let changed: Vec<&str> = keys_of(b, h)
        .into_iter()
        .filter(|k| DOC_KEYS.contains(k) || k.starts_with("x-"))
        .filter(|k| b.get(*k) != h.get(*k))
        .collect();
    if !changed.is_empty() {
        s.emit(
            hp,
            SCHEMA_DOCS_CHANGED,
            format!("documentation changed ({})", changed.join(", ")),
        );
    }
}

/// Type and format. Returns false when the type changed (the rest is noise then).
pub fn kind(s: &mut Scope<'_, '_>, b: &Obj, h: &Obj, hp: &str) -> bool {
    let (bt, ht) = (effective_type(b), effective_type(h));
    if bt != ht {
        s.emit(
            &format!("{hp}/type"),
            SCHEMA_TYPE_CHANGED,
            format!(
                "type changed from {} to {}: the wire format and the Rust type both change",
                bt.unwrap_or("(any)"),
                ht.unwrap_or("(any)")
            ),
        );
        return false;
    }
    let (bf, hf) = (str_of(b, "format"), str_of(h, "format"));
    if bf != hf {
        s.emit(
            &format!("{hp}/format"),
            SCHEMA_FORMAT_CHANGED,
            format!(
                "format changed from {} to {}: the generated Rust type may change (e.g. String vs chrono/uuid, i32 vs i64)",
                bf.unwrap_or("(none)"),
                hf.unwrap_or("(none)")
            ),
        );
    }
    true
}

/// `nullable`. `optional_slot` says the schema sits in a property that is
/// optional on both sides, so its Rust type is an `Option` whatever its nullability.
pub fn nullable(s: &mut Scope<'_, '_>, b: &Obj, h: &Obj, hp: &str, optional_slot: bool) {
    let (bn, hn) = (flag(b, "nullable"), flag(h, "nullable"));
    if bn == hn {
        return;
    }
    let (finding, why): (Judged, _) = match (s.dir, hn) {
        (Direction::Request, true) => (SCHEMA_NULLABLE_ADDED.into(), "callers may now send null"),
        (Direction::Request, false) => (
            SCHEMA_NULLABLE_REMOVED.into(),
            "callers sending null are now rejected",
        ),
        (Direction::Response, true) => (
            RESPONSE_BECAME_NULLABLE.into(),
            "old clients fail to decode null, and the Rust type becomes an Option",
        ),
        (Direction::Response, false) if optional_slot => (
            RESPONSE_NULLABLE_REMOVED.with(Class::NonBreaking),
            "the property is optional, so its Rust type stays an Option",
        ),
        (Direction::Response, false) => (
            RESPONSE_NULLABLE_REMOVED.with(Class::Breaking),
            "wire-compatible, but the Rust type changes from Option<T> to T",
        ),
    };
    s.emit(
        &format!("{hp}/nullable"),
        finding,
        format!("nullable changed from {bn} to {hn}: {why}"),
    );
}

/// `enum`. `component` names the component schema the head side was reached
/// through: a named string enum is generated as an open enum.
pub fn enums(s: &mut Scope<'_, '_>, b: &Obj, h: &Obj, hp: &str, component: Option<&str>) {
    let (be, he) = match (list(b, "enum"), list(h, "enum")) {
        (None, None) => return,
        (Some(_), None) => {
            s.emit(
                &format!("{hp}/enum"),
                SCHEMA_ENUM_DROPPED,
                "the enum constraint was dropped: the Rust enum becomes a plain type".to_string(),
            );
            return;
        }
        (None, Some(_)) => {
            s.emit(
                &format!("{hp}/enum"),
                SCHEMA_ENUM_INTRODUCED,
                "an enum constraint was added: values outside it are now invalid and the Rust type becomes an enum".to_string(),
            );
            return;
        }
        (Some(be), Some(he)) => (be, he),
    };
    let bset: BTreeSet<String> = be.iter().map(Value::to_string).collect();
    let hset: BTreeSet<String> = he.iter().map(Value::to_string).collect();
    for gone in bset.difference(&hset) {
        let why = match s.dir {
            Direction::Request => {
                "callers sending it are rejected, and its Rust variant disappears"
            }
            Direction::Response => "its Rust variant disappears, so matches on it stop compiling",
        };
        s.emit(
            &format!("{hp}/enum"),
            ENUM_VALUE_REMOVED,
            format!("enum value {gone} was removed: {why}"),
        );
    }
    let open = component.is_some() && he.iter().all(Value::is_string);
    for new in hset.difference(&bset) {
        let (rule, why) = match s.dir {
            Direction::Request => (ENUM_VALUE_ADDED, "callers may now send it".to_string()),
            Direction::Response if open => (
                RESPONSE_ENUM_VALUE_ADDED,
                format!(
                    "`types::{}` is an open enum, so old clients decode it as `Unknown({new})` instead of failing; Rust code matching the enum must keep a wildcard arm (`_ =>`), since new clients gain a variant",
                    component.unwrap_or("?")
                ),
            ),
            Direction::Response => (
                RESPONSE_STRICT_ENUM_VALUE_ADDED,
                "this enum is not a named string-enum component, so its Rust enum is closed and old clients fail to decode the new value".to_string(),
            ),
        };
        s.emit(
            &format!("{hp}/enum"),
            rule,
            format!("enum value {new} was added: {why}"),
        );
    }
}

#[derive(Clone, Copy)]
enum Bound {
    /// A lower bound: raising it narrows.
    Min,
    /// An upper bound: lowering it narrows.
    Max,
    /// A flag: turning it on narrows (exclusiveMinimum/Maximum, uniqueItems).
    Flag,
    /// Any value narrows compared to none; a change of value is not orderable.
    Opaque,
}

const CONSTRAINTS: &[(&str, Bound)] = &[
    ("minimum", Bound::Min),
    ("maximum", Bound::Max),
    ("exclusiveMinimum", Bound::Flag),
    ("exclusiveMaximum", Bound::Flag),
    ("multipleOf", Bound::Opaque),
    ("minLength", Bound::Min),
    ("maxLength", Bound::Max),
    ("pattern", Bound::Opaque),
    ("minItems", Bound::Min),
    ("maxItems", Bound::Max),
    ("uniqueItems", Bound::Flag),
    ("minProperties", Bound::Min),
    ("maxProperties", Bound::Max),
];

/// Whether going from `b` to `h` narrows the accepted values; `None` when it
/// cannot be ordered (a pattern replaced by another one).
fn tightened(kind: Bound, b: Option<&Value>, h: Option<&Value>) -> Option<bool> {
    match kind {
        Bound::Flag => Some(h == Some(&Value::Bool(true))),
        Bound::Opaque => match (b, h) {
            (None, Some(_)) => Some(true),
            (Some(_), None) => Some(false),
            _ => None,
        },
        Bound::Min | Bound::Max => match (b.and_then(Value::as_f64), h.and_then(Value::as_f64)) {
            (None, Some(_)) => Some(true),
            (Some(_), None) => Some(false),
            (Some(bv), Some(hv)) => Some(if matches!(kind, Bound::Min) {
                hv > bv
            } else {
                hv < bv
            }),
            (None, None) => None,
        },
    }
}

/// Value constraints (bounds, lengths, pattern, item and property counts).
pub fn constraints(s: &mut Scope<'_, '_>, b: &Obj, h: &Obj, hp: &str) {
    let mut any_breaking = false;
    let mut any_change = false;
    for (key, kind) in CONSTRAINTS {
        let (bv, hv) = (b.get(*key), h.get(*key));
        if bv == hv {
            continue;
        }
        any_change = true;
        let Some(tightened) = tightened(*kind, bv, hv) else {
            s.emit(
                &format!("{hp}/{key}"),
                CONSTRAINT_CHANGED,
                format!("`{key}` changed from {} to {}", show(bv), show(hv)),
            );
            continue;
        };
        let (rule, why) = match (s.dir, tightened) {
            (Direction::Request, true) => (
                REQUEST_CONSTRAINT_TIGHTENED,
                "values callers could send before are now rejected",
            ),
            (Direction::Request, false) => (
                REQUEST_CONSTRAINT_RELAXED,
                "every value valid before stays valid",
            ),
            (Direction::Response, true) => (
                RESPONSE_CONSTRAINT_TIGHTENED,
                "the server promises narrower values",
            ),
            (Direction::Response, false) => (
                RESPONSE_CONSTRAINT_RELAXED,
                "old clients validate constrained values on decode and reject the new ones",
            ),
        };
        any_breaking |= rule.class() == Class::Breaking;
        s.emit(
            &format!("{hp}/{key}"),
            rule,
            format!(
                "`{key}` {} from {} to {}: {why}",
                if tightened { "tightened" } else { "relaxed" },
                show(bv),
                show(hv)
            ),
        );
    }
    if any_change && !any_breaking && effective_type(h) == Some("string") {
        validated_newtype(s, b, h, hp);
    }
}

/// typify turns a string with length/pattern constraints into a validated
/// newtype; gaining or losing all of them changes the Rust type even when the
/// wire change alone is harmless.
fn validated_newtype(s: &mut Scope<'_, '_>, b: &Obj, h: &Obj, hp: &str) {
    let validated = |o: &Obj| {
        !NATIVE_STRING_FORMATS.contains(&str_of(o, "format").unwrap_or(""))
            && ["minLength", "maxLength", "pattern"]
                .iter()
                .any(|k| o.contains_key(*k))
    };
    if validated(b) != validated(h) {
        let name = |v: bool| if v { "a validated newtype" } else { "String" };
        s.emit(
            hp,
            SCHEMA_RUST_TYPE_CHANGED,
            format!(
                "the Rust type changes from {} to {}, because typify validates length/pattern constraints in a newtype",
                name(validated(b)),
                name(validated(h)),
            ),
        );
    }
}

/// `default`.
pub fn defaults(s: &mut Scope<'_, '_>, b: &Obj, h: &Obj, hp: &str) {
    let (bd, hd) = (b.get("default"), h.get("default"));
    if bd == hd {
        return;
    }
    let (class, why) = match s.dir {
        Direction::Request => (
            Class::Unclassified,
            "callers that omit the value get different behaviour; review by hand",
        ),
        Direction::Response => (
            Class::NonBreaking,
            "only affects how absent values are filled in",
        ),
    };
    s.emit(
        &format!("{hp}/default"),
        DEFAULT_CHANGED.with(class),
        format!("default changed from {} to {}: {why}", show(bd), show(hd)),
    );
}

/// A property present in base only.
pub fn property_removed(s: &mut Scope<'_, '_>, name: &str, bptr: &str) {
    let (rule, why) = match s.dir {
        Direction::Request => (
            REQUEST_PROPERTY_REMOVED,
            "its Rust field and builder setter disappear, and old callers still send it",
        ),
        Direction::Response => (
            RESPONSE_PROPERTY_REMOVED,
            "its Rust field disappears, and callers reading it break",
        ),
    };
    s.emit(bptr, rule, format!("property `{name}` was removed: {why}"));
}

/// A property present in head only; `required` in head, `closed` when the base
/// object had `additionalProperties: false`.
pub fn property_added(s: &mut Scope<'_, '_>, name: &str, required: bool, closed: bool, hptr: &str) {
    let (rule, why): (Fixed, _) = match (s.dir, required) {
        (Direction::Request, true) => (
            REQUEST_PROPERTY_ADDED_REQUIRED,
            "old callers do not send it",
        ),
        (Direction::Request, false) => (REQUEST_PROPERTY_ADDED_OPTIONAL, "old callers may omit it"),
        (Direction::Response, _) if closed => (
            RESPONSE_PROPERTY_ADDED_CLOSED,
            "the object had `additionalProperties: false`, so old clients (deny_unknown_fields) reject it",
        ),
        (Direction::Response, _) => (RESPONSE_PROPERTY_ADDED, "old clients ignore unknown fields"),
    };
    s.emit(
        hptr,
        rule,
        format!(
            "{} property `{name}` was added: {why}",
            if required { "required" } else { "optional" }
        ),
    );
}

/// A property whose requiredness changed; `hr` is whether head requires it.
pub fn requiredness(s: &mut Scope<'_, '_>, name: &str, head_schema: &Value, hr: bool, hptr: &str) {
    let nullable = resolve(s.ctx.head, head_schema, hptr)
        .map(|r| r.value.get("nullable") == Some(&Value::Bool(true)))
        .unwrap_or(false);
    let (finding, why): (Judged, _) = match (s.dir, hr) {
        (Direction::Request, true) => (
            REQUEST_PROPERTY_BECAME_REQUIRED.into(),
            "old callers may omit it",
        ),
        (Direction::Request, false) => (
            REQUEST_PROPERTY_BECAME_OPTIONAL.into(),
            "the builder setter still takes a plain value",
        ),
        (Direction::Response, false) => (
            RESPONSE_PROPERTY_BECAME_OPTIONAL.into(),
            "old clients fail when it is absent, and the Rust field becomes an Option",
        ),
        (Direction::Response, true) if nullable => (
            RESPONSE_PROPERTY_BECAME_REQUIRED.with(Class::NonBreaking),
            "it is nullable, so the Rust field stays an Option",
        ),
        (Direction::Response, true) => (
            RESPONSE_PROPERTY_BECAME_REQUIRED.with(Class::Breaking),
            "wire-compatible, but the Rust field changes from Option<T> to T",
        ),
    };
    s.emit(
        hptr,
        finding,
        format!(
            "property `{name}` became {}: {why}",
            if hr { "required" } else { "optional" }
        ),
    );
}

/// readOnly/writeOnly, and keywords no rule handles.
pub fn unrecognised(s: &mut Scope<'_, '_>, b: &Obj, h: &Obj, hp: &str) {
    let changed: Vec<&str> = keys_of(b, h)
        .into_iter()
        .filter(|k| !HANDLED.contains(k) && !DOC_KEYS.contains(k) && !k.starts_with("x-"))
        .filter(|k| b.get(*k) != h.get(*k))
        .collect();
    for key in ["readOnly", "writeOnly"] {
        if flag(b, key) != flag(h, key) {
            s.emit(
                &format!("{hp}/{key}"),
                SCHEMA_ACCESS_CHANGED,
                format!(
                    "`{key}` changed from {} to {}: which side may send the value changed; review by hand",
                    flag(b, key),
                    flag(h, key)
                ),
            );
        }
    }
    if !changed.is_empty() {
        s.emit(
            hp,
            SCHEMA_CHANGED_UNRECOGNISED,
            format!("keywords without a rule changed: {}", changed.join(", ")),
        );
    }
}

fn keys_of<'a>(b: &'a Obj, h: &'a Obj) -> BTreeSet<&'a str> {
    b.keys().chain(h.keys()).map(String::as_str).collect()
}

/// The array under `key`, if it is one.
pub fn list<'a>(o: &'a Obj, key: &str) -> Option<&'a [Value]> {
    o.get(key).and_then(Value::as_array).map(Vec::as_slice)
}

fn str_of<'a>(o: &'a Obj, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn flag(o: &Obj, key: &str) -> bool {
    o.get(key) == Some(&Value::Bool(true))
}

/// A keyword's value for a message, `(none)` when absent.
pub fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "(none)".to_string(), Value::to_string)
}

/// The names listed in `required`.
pub fn required_set(o: &Obj) -> BTreeSet<&str> {
    list(o, "required")
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// The JSON type a schema describes, inferring `object`/`array` from their
/// keywords when `type` is left out (common in hand-written specs).
fn effective_type(o: &Obj) -> Option<&str> {
    if let Some(t) = str_of(o, "type") {
        return Some(t);
    }
    if o.contains_key("properties") || o.contains_key("additionalProperties") {
        Some("object")
    } else if o.contains_key("items") {
        Some("array")
    } else {
        None
    }
}
