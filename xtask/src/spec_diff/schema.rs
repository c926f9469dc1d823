//! Schema comparison: types, formats, enums, constraints, properties, composition.
//!
//! Every rule is judged twice over: on the wire (can an old caller still talk to
//! the new server?) and in Rust (does code written against the old generated
//! client still compile and decode?). The direction decides which way a
//! narrowing cuts: narrowing a request breaks callers, widening a response
//! breaks decoders (our generated types validate constrained values on decode).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::model::{Area, Class, Direction, escape, map_in};
use super::rules::Ctx;
use crate::refs::resolve;

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

/// Keywords this module has a rule for; any other keyword that changes is unclassified.
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

/// Compares two schemas of one operation in one direction.
pub struct SchemaDiff<'c, 'd> {
    ctx: &'c mut Ctx<'d>,
    dir: Direction,
    area: Area,
    /// (base pointer, head pointer, optional slot) pairs already compared: the
    /// cycle guard for recursive component schemas, and a memo.
    visited: HashSet<(String, String, bool)>,
}

/// One side of a comparison: the schema as written and where it was written.
#[derive(Clone, Copy)]
pub struct Side<'a, 'p> {
    /// The schema (possibly a `$ref`).
    pub value: &'a Value,
    /// Its JSON pointer.
    pub pointer: &'p str,
}

impl<'c, 'd> SchemaDiff<'c, 'd> {
    /// A comparer that records into `ctx` under `area`.
    pub fn new(ctx: &'c mut Ctx<'d>, dir: Direction, area: Area) -> Self {
        Self {
            ctx,
            dir,
            area,
            visited: HashSet::new(),
        }
    }

    /// Compares `base` against `head`. `optional_slot` says the schema sits in a
    /// property that is optional on both sides, so its Rust type is an `Option`
    /// whatever its nullability.
    pub fn compare(&mut self, base: Side<'d, '_>, head: Side<'d, '_>, optional_slot: bool) {
        let b = match resolve(self.ctx.base, base.value, base.pointer) {
            Ok(r) => r,
            Err(e) => return self.unresolvable(head.pointer, e),
        };
        let h = match resolve(self.ctx.head, head.value, head.pointer) {
            Ok(r) => r,
            Err(e) => return self.unresolvable(head.pointer, e),
        };
        let had_ref = base.value.get("$ref").is_some() || head.value.get("$ref").is_some();
        if had_ref && b.component != h.component {
            let name = |c: &Option<String>| match c {
                Some(n) => format!("`types::{n}`"),
                None => "an inline type".to_string(),
            };
            self.emit(
                head.pointer,
                Class::Breaking,
                "schema-rust-type-renamed",
                format!(
                    "the schema moved from {} to {}: the generated Rust type changes from {} to {}",
                    ref_label(base.value),
                    ref_label(head.value),
                    name(&b.component),
                    name(&h.component)
                ),
            );
        }
        if !self
            .visited
            .insert((b.pointer.clone(), h.pointer.clone(), optional_slot))
        {
            return;
        }
        let (Some(bo), Some(ho)) = (b.value.as_object(), h.value.as_object()) else {
            if b.value != h.value {
                self.emit(
                    &h.pointer,
                    Class::Unclassified,
                    "schema-changed-unrecognised",
                    "the schema is not an object on one side and changed".to_string(),
                );
            }
            return;
        };
        let open_enum = h.component.is_some();
        let (bp, hp) = (b.pointer.as_str(), h.pointer.as_str());
        self.docs(bo, ho, hp);
        if !self.composition(bo, ho, bp, hp) {
            return;
        }
        if !self.kind(bo, ho, hp) {
            return;
        }
        self.nullable(bo, ho, hp, optional_slot);
        self.enums(bo, ho, hp, open_enum, h.component.as_deref());
        self.constraints(bo, ho, hp);
        self.defaults(bo, ho, hp);
        self.properties(bo, ho, bp, hp);
        self.additional_properties(bo, ho, bp, hp);
        self.items(bo, ho, bp, hp);
        self.unrecognised(bo, ho, hp);
    }

    fn emit(&mut self, pointer: &str, class: Class, rule: &'static str, message: String) {
        self.ctx.push(self.area, pointer, class, rule, message);
    }

    fn unresolvable(&mut self, pointer: &str, error: String) {
        self.emit(
            pointer,
            Class::Unclassified,
            "schema-ref-unresolvable",
            error,
        );
    }

    fn docs(&mut self, b: &Obj, h: &Obj, hp: &str) {
        let changed: Vec<&str> = keys_of(b, h)
            .into_iter()
            .filter(|k| DOC_KEYS.contains(k) || k.starts_with("x-"))
            .filter(|k| b.get(*k) != h.get(*k))
            .collect();
        if !changed.is_empty() {
            self.emit(
                hp,
                Class::NonBreaking,
                "schema-docs-changed",
                format!("documentation changed ({})", changed.join(", ")),
            );
        }
    }

    /// allOf/oneOf/anyOf. Returns false when the shapes differ so much that
    /// comparing the rest would only add noise.
    fn composition(&mut self, b: &'d Obj, h: &'d Obj, bp: &str, hp: &str) -> bool {
        for kind in ["allOf", "oneOf", "anyOf"] {
            match (list(b, kind), list(h, kind)) {
                (None, None) => {}
                (Some(_), None) | (None, Some(_)) => {
                    self.emit(
                        &format!("{hp}/{kind}"),
                        Class::Breaking,
                        "schema-composition-changed",
                        format!(
                            "`{kind}` was {}: the generated Rust type changes shape",
                            if list(b, kind).is_some() {
                                "removed"
                            } else {
                                "added"
                            }
                        ),
                    );
                    return false;
                }
                (Some(bv), Some(hv)) => self.variants(kind, bv, hv, bp, hp),
            }
        }
        true
    }

    fn variants(&mut self, kind: &str, bv: &'d [Value], hv: &'d [Value], bp: &str, hp: &str) {
        let names = |v: &'d [Value]| -> Option<BTreeMap<&'d str, usize>> {
            let map: BTreeMap<&str, usize> = v
                .iter()
                .enumerate()
                .map(|(i, s)| s.get("$ref").and_then(Value::as_str).map(|r| (r, i)))
                .collect::<Option<_>>()?;
            (map.len() == v.len()).then_some(map)
        };
        if kind != "allOf"
            && let (Some(bn), Some(hn)) = (names(bv), names(hv))
        {
            // All variants are named: match them by name, so reordering is not a change.
            for (name, i) in &bn {
                match hn.get(name) {
                    Some(j) => self.compare(
                        Side {
                            value: &bv[*i],
                            pointer: &format!("{bp}/{kind}/{i}"),
                        },
                        Side {
                            value: &hv[*j],
                            pointer: &format!("{hp}/{kind}/{j}"),
                        },
                        false,
                    ),
                    None => self.emit(
                        &format!("{bp}/{kind}/{i}"),
                        Class::Breaking,
                        "schema-variant-removed",
                        format!(
                            "`{kind}` variant {name} was removed: its Rust enum variant disappears"
                        ),
                    ),
                }
            }
            for (name, j) in &hn {
                if !bn.contains_key(name) {
                    let (class, why) = match self.dir {
                        Direction::Request => (
                            Class::NonBreaking,
                            "callers may now send it; existing values stay valid",
                        ),
                        Direction::Response => (
                            Class::Breaking,
                            "old clients cannot decode it (the generated enum is untagged and closed), and exhaustive matches need a new arm",
                        ),
                    };
                    self.emit(
                        &format!("{hp}/{kind}/{j}"),
                        class,
                        "schema-variant-added",
                        format!("`{kind}` variant {name} was added: {why}"),
                    );
                }
            }
            return;
        }
        if bv.len() == hv.len() {
            for (i, (bs, hs)) in bv.iter().zip(hv).enumerate() {
                self.compare(
                    Side {
                        value: bs,
                        pointer: &format!("{bp}/{kind}/{i}"),
                    },
                    Side {
                        value: hs,
                        pointer: &format!("{hp}/{kind}/{i}"),
                    },
                    false,
                );
            }
        } else {
            self.emit(
                &format!("{hp}/{kind}"),
                Class::Unclassified,
                "schema-composition-changed",
                format!(
                    "`{kind}` went from {} to {} inline members; review the generated type by hand",
                    bv.len(),
                    hv.len()
                ),
            );
        }
    }

    /// Type and format. Returns false when the type changed (the rest is noise then).
    fn kind(&mut self, b: &Obj, h: &Obj, hp: &str) -> bool {
        let (bt, ht) = (effective_type(b), effective_type(h));
        if bt != ht {
            self.emit(
                &format!("{hp}/type"),
                Class::Breaking,
                "schema-type-changed",
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
            self.emit(
                &format!("{hp}/format"),
                Class::Breaking,
                "schema-format-changed",
                format!(
                    "format changed from {} to {}: the generated Rust type may change (e.g. String vs chrono/uuid, i32 vs i64)",
                    bf.unwrap_or("(none)"),
                    hf.unwrap_or("(none)")
                ),
            );
        }
        true
    }

    fn nullable(&mut self, b: &Obj, h: &Obj, hp: &str, optional_slot: bool) {
        let (bn, hn) = (flag(b, "nullable"), flag(h, "nullable"));
        if bn == hn {
            return;
        }
        let (class, rule, why) = match (self.dir, hn) {
            (Direction::Request, true) => (
                Class::NonBreaking,
                "schema-nullable-added",
                "callers may now send null",
            ),
            (Direction::Request, false) => (
                Class::Breaking,
                "schema-nullable-removed",
                "callers sending null are now rejected",
            ),
            (Direction::Response, true) => (
                Class::Breaking,
                "response-became-nullable",
                "old clients fail to decode null, and the Rust type becomes an Option",
            ),
            (Direction::Response, false) if optional_slot => (
                Class::NonBreaking,
                "response-nullable-removed",
                "the property is optional, so its Rust type stays an Option",
            ),
            (Direction::Response, false) => (
                Class::Breaking,
                "response-nullable-removed",
                "wire-compatible, but the Rust type changes from Option<T> to T",
            ),
        };
        self.emit(
            &format!("{hp}/nullable"),
            class,
            rule,
            format!("nullable changed from {bn} to {hn}: {why}"),
        );
    }

    fn enums(&mut self, b: &Obj, h: &Obj, hp: &str, named: bool, component: Option<&str>) {
        let (be, he) = match (list(b, "enum"), list(h, "enum")) {
            (None, None) => return,
            (Some(_), None) => {
                self.emit(
                    &format!("{hp}/enum"),
                    Class::Breaking,
                    "schema-enum-dropped",
                    "the enum constraint was dropped: the Rust enum becomes a plain type"
                        .to_string(),
                );
                return;
            }
            (None, Some(_)) => {
                self.emit(
                    &format!("{hp}/enum"),
                    Class::Breaking,
                    "schema-enum-introduced",
                    "an enum constraint was added: values outside it are now invalid and the Rust type becomes an enum".to_string(),
                );
                return;
            }
            (Some(be), Some(he)) => (be, he),
        };
        let bset: BTreeSet<String> = be.iter().map(Value::to_string).collect();
        let hset: BTreeSet<String> = he.iter().map(Value::to_string).collect();
        for gone in bset.difference(&hset) {
            let why = match self.dir {
                Direction::Request => {
                    "callers sending it are rejected, and its Rust variant disappears"
                }
                Direction::Response => {
                    "its Rust variant disappears, so matches on it stop compiling"
                }
            };
            self.emit(
                &format!("{hp}/enum"),
                Class::Breaking,
                "enum-value-removed",
                format!("enum value {gone} was removed: {why}"),
            );
        }
        let all_strings = he.iter().all(Value::is_string);
        for new in hset.difference(&bset) {
            let (class, rule, why) = match self.dir {
                Direction::Request => (
                    Class::NonBreaking,
                    "enum-value-added",
                    "callers may now send it".to_string(),
                ),
                Direction::Response if named && all_strings => (
                    Class::NonBreaking,
                    "response-enum-value-added",
                    format!(
                        "`types::{}` is an open enum, so old clients decode it as `Unknown({new})` instead of failing; Rust code matching the enum must keep a wildcard arm (`_ =>`), since new clients gain a variant",
                        component.unwrap_or("?")
                    ),
                ),
                Direction::Response => (
                    Class::Breaking,
                    "response-strict-enum-value-added",
                    "this enum is not a named string-enum component, so its Rust enum is closed and old clients fail to decode the new value".to_string(),
                ),
            };
            self.emit(
                &format!("{hp}/enum"),
                class,
                rule,
                format!("enum value {new} was added: {why}"),
            );
        }
    }

    fn constraints(&mut self, b: &Obj, h: &Obj, hp: &str) {
        let mut any_breaking = false;
        let mut any_change = false;
        for (key, kind) in CONSTRAINTS {
            let (bv, hv) = (b.get(*key), h.get(*key));
            if bv == hv {
                continue;
            }
            any_change = true;
            let Some(tightened) = tightened(*kind, bv, hv) else {
                self.emit(
                    &format!("{hp}/{key}"),
                    Class::Unclassified,
                    "constraint-changed",
                    format!("`{key}` changed from {} to {}", show(bv), show(hv)),
                );
                continue;
            };
            let (class, rule, why) = match (self.dir, tightened) {
                (Direction::Request, true) => (
                    Class::Breaking,
                    "request-constraint-tightened",
                    "values callers could send before are now rejected",
                ),
                (Direction::Request, false) => (
                    Class::NonBreaking,
                    "request-constraint-relaxed",
                    "every value valid before stays valid",
                ),
                (Direction::Response, true) => (
                    Class::NonBreaking,
                    "response-constraint-tightened",
                    "the server promises narrower values",
                ),
                (Direction::Response, false) => (
                    Class::Breaking,
                    "response-constraint-relaxed",
                    "old clients validate constrained values on decode and reject the new ones",
                ),
            };
            any_breaking |= class == Class::Breaking;
            self.emit(
                &format!("{hp}/{key}"),
                class,
                rule,
                format!(
                    "`{key}` {} from {} to {}: {why}",
                    if tightened { "tightened" } else { "relaxed" },
                    show(bv),
                    show(hv)
                ),
            );
        }
        // typify turns a string with length/pattern constraints into a validated
        // newtype; gaining or losing all of them changes the Rust type even when
        // the wire change alone is harmless.
        if any_change && !any_breaking && effective_type(h) == Some("string") {
            let validated = |o: &Obj| {
                !NATIVE_STRING_FORMATS.contains(&str_of(o, "format").unwrap_or(""))
                    && ["minLength", "maxLength", "pattern"]
                        .iter()
                        .any(|k| o.contains_key(*k))
            };
            if validated(b) != validated(h) {
                self.emit(
                    hp,
                    Class::Breaking,
                    "schema-rust-type-changed",
                    format!(
                        "the Rust type changes from {} to {}, because typify validates length/pattern constraints in a newtype",
                        if validated(b) { "a validated newtype" } else { "String" },
                        if validated(h) { "a validated newtype" } else { "String" },
                    ),
                );
            }
        }
    }

    fn defaults(&mut self, b: &Obj, h: &Obj, hp: &str) {
        let (bd, hd) = (b.get("default"), h.get("default"));
        if bd == hd {
            return;
        }
        let (class, why) = match self.dir {
            Direction::Request => (
                Class::Unclassified,
                "callers that omit the value get different behaviour; review by hand",
            ),
            Direction::Response => (
                Class::NonBreaking,
                "only affects how absent values are filled in",
            ),
        };
        self.emit(
            &format!("{hp}/default"),
            class,
            "default-changed",
            format!("default changed from {} to {}: {why}", show(bd), show(hd)),
        );
    }

    fn properties(&mut self, b: &'d Obj, h: &'d Obj, bp: &str, hp: &str) {
        let bprops = map_in(b, "properties");
        let hprops = map_in(h, "properties");
        let (breq, hreq) = (required_set(b), required_set(h));
        let closed = b.get("additionalProperties") == Some(&Value::Bool(false));
        let names: BTreeSet<&String> = bprops.keys().chain(hprops.keys()).collect();
        for name in names {
            let esc = escape(name);
            let (bptr, hptr) = (
                format!("{bp}/properties/{esc}"),
                format!("{hp}/properties/{esc}"),
            );
            let (br, hr) = (breq.contains(name.as_str()), hreq.contains(name.as_str()));
            match (bprops.get(name), hprops.get(name)) {
                (Some(_), None) => {
                    let (rule, why) = match self.dir {
                        Direction::Request => (
                            "request-property-removed",
                            "its Rust field and builder setter disappear, and old callers still send it",
                        ),
                        Direction::Response => (
                            "response-property-removed",
                            "its Rust field disappears, and callers reading it break",
                        ),
                    };
                    self.emit(
                        &bptr,
                        Class::Breaking,
                        rule,
                        format!("property `{name}` was removed: {why}"),
                    );
                }
                (None, Some(_)) => {
                    let (class, rule, why) = match (self.dir, hr) {
                        (Direction::Request, true) => (
                            Class::Breaking,
                            "request-property-added-required",
                            "old callers do not send it",
                        ),
                        (Direction::Request, false) => (
                            Class::NonBreaking,
                            "request-property-added-optional",
                            "old callers may omit it",
                        ),
                        (Direction::Response, _) if closed => (
                            Class::Breaking,
                            "response-property-added-closed",
                            "the object had `additionalProperties: false`, so old clients (deny_unknown_fields) reject it",
                        ),
                        (Direction::Response, _) => (
                            Class::NonBreaking,
                            "response-property-added",
                            "old clients ignore unknown fields",
                        ),
                    };
                    self.emit(
                        &hptr,
                        class,
                        rule,
                        format!(
                            "{} property `{name}` was added: {why}",
                            if hr { "required" } else { "optional" }
                        ),
                    );
                }
                (Some(bs), Some(hs)) => {
                    if br != hr {
                        self.requiredness(name, hs, hr, &hptr);
                    }
                    self.compare(
                        Side {
                            value: bs,
                            pointer: &bptr,
                        },
                        Side {
                            value: hs,
                            pointer: &hptr,
                        },
                        !br && !hr,
                    );
                }
                (None, None) => {}
            }
        }
    }

    fn requiredness(&mut self, name: &str, head_schema: &Value, hr: bool, hptr: &str) {
        let nullable = resolve(self.ctx.head, head_schema, hptr)
            .map(|r| r.value.get("nullable") == Some(&Value::Bool(true)))
            .unwrap_or(false);
        let (class, rule, why) = match (self.dir, hr) {
            (Direction::Request, true) => (
                Class::Breaking,
                "request-property-became-required",
                "old callers may omit it",
            ),
            (Direction::Request, false) => (
                Class::NonBreaking,
                "request-property-became-optional",
                "the builder setter still takes a plain value",
            ),
            (Direction::Response, false) => (
                Class::Breaking,
                "response-property-became-optional",
                "old clients fail when it is absent, and the Rust field becomes an Option",
            ),
            (Direction::Response, true) if nullable => (
                Class::NonBreaking,
                "response-property-became-required",
                "it is nullable, so the Rust field stays an Option",
            ),
            (Direction::Response, true) => (
                Class::Breaking,
                "response-property-became-required",
                "wire-compatible, but the Rust field changes from Option<T> to T",
            ),
        };
        self.emit(
            hptr,
            class,
            rule,
            format!(
                "property `{name}` became {}: {why}",
                if hr { "required" } else { "optional" }
            ),
        );
    }

    fn additional_properties(&mut self, b: &'d Obj, h: &'d Obj, bp: &str, hp: &str) {
        let (ba, ha) = (b.get("additionalProperties"), h.get("additionalProperties"));
        if ba == ha {
            return;
        }
        let pointer = format!("{hp}/additionalProperties");
        match (ba, ha) {
            (Some(bs @ Value::Object(_)), Some(hs @ Value::Object(_))) => self.compare(
                Side { value: bs, pointer: &format!("{bp}/additionalProperties") },
                Side { value: hs, pointer: &pointer },
                false,
            ),
            (Some(Value::Object(_)), _) | (_, Some(Value::Object(_))) => self.emit(
                &pointer,
                Class::Breaking,
                "additional-properties-changed",
                "additionalProperties switched between a schema and a flag: the Rust type changes between a map and a struct".to_string(),
            ),
            _ => {
                // Absent means true.
                let closed_now = ha == Some(&Value::Bool(false));
                let (class, why) = match (self.dir, closed_now) {
                    (Direction::Request, true) => (Class::Breaking, "callers sending extra fields are rejected"),
                    (Direction::Request, false) => (Class::NonBreaking, "extra fields are now accepted"),
                    (Direction::Response, true) => (Class::NonBreaking, "the server promises no extra fields"),
                    (Direction::Response, false) => (
                        Class::Breaking,
                        "old clients were generated with deny_unknown_fields and reject extra fields",
                    ),
                };
                self.emit(
                    &pointer,
                    class,
                    "additional-properties-changed",
                    format!("additionalProperties changed from {} to {}: {why}", show(ba), show(ha)),
                );
            }
        }
    }

    fn items(&mut self, b: &'d Obj, h: &'d Obj, bp: &str, hp: &str) {
        match (b.get("items"), h.get("items")) {
            (Some(bi), Some(hi)) => self.compare(
                Side {
                    value: bi,
                    pointer: &format!("{bp}/items"),
                },
                Side {
                    value: hi,
                    pointer: &format!("{hp}/items"),
                },
                false,
            ),
            (None, None) => {}
            (bi, hi) => self.emit(
                &format!("{hp}/items"),
                Class::Unclassified,
                "schema-items-changed",
                format!("`items` changed from {} to {}", show(bi), show(hi)),
            ),
        }
    }

    fn unrecognised(&mut self, b: &Obj, h: &Obj, hp: &str) {
        let changed: Vec<&str> = keys_of(b, h)
            .into_iter()
            .filter(|k| !HANDLED.contains(k) && !DOC_KEYS.contains(k) && !k.starts_with("x-"))
            .filter(|k| b.get(*k) != h.get(*k))
            .collect();
        for key in ["readOnly", "writeOnly"] {
            if flag(b, key) != flag(h, key) {
                self.emit(
                    &format!("{hp}/{key}"),
                    Class::Unclassified,
                    "schema-access-changed",
                    format!(
                        "`{key}` changed from {} to {}: which side may send the value changed; review by hand",
                        flag(b, key),
                        flag(h, key)
                    ),
                );
            }
        }
        if !changed.is_empty() {
            self.emit(
                hp,
                Class::Unclassified,
                "schema-changed-unrecognised",
                format!("keywords without a rule changed: {}", changed.join(", ")),
            );
        }
    }
}

type Obj = serde_json::Map<String, Value>;

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

fn keys_of<'a>(b: &'a Obj, h: &'a Obj) -> BTreeSet<&'a str> {
    b.keys().chain(h.keys()).map(String::as_str).collect()
}

fn list<'a>(o: &'a Obj, key: &str) -> Option<&'a [Value]> {
    o.get(key).and_then(Value::as_array).map(Vec::as_slice)
}

fn str_of<'a>(o: &'a Obj, key: &str) -> Option<&'a str> {
    o.get(key).and_then(Value::as_str)
}

fn flag(o: &Obj, key: &str) -> bool {
    o.get(key) == Some(&Value::Bool(true))
}

fn show(v: Option<&Value>) -> String {
    v.map_or_else(|| "(none)".to_string(), Value::to_string)
}

fn required_set(o: &Obj) -> BTreeSet<&str> {
    list(o, "required")
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

fn ref_label(v: &Value) -> String {
    v.get("$ref")
        .and_then(Value::as_str)
        .map_or_else(|| "an inline schema".to_string(), |r| format!("`{r}`"))
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
