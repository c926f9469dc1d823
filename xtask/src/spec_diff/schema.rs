//! Schema comparison: follows `$ref`s and walks composition, properties,
//! `additionalProperties` and `items`, recursing into each pair of subschemas;
//! the keyword rules of each pair are [`super::schema_keywords`].
//!
//! Every rule is judged twice over: on the wire (can an old caller still talk to
//! the new server?) and in Rust (does code written against the old generated
//! client still compile and decode?). The direction decides which way a
//! narrowing cuts: narrowing a request breaks callers, widening a response
//! breaks decoders (our generated types validate constrained values on decode).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde_json::Value;

use super::ctx::Scope;
use super::model::{Class, Direction, escape, map_in};
use super::registry::{
    ADDITIONAL_PROPERTIES_CHANGED, SCHEMA_CHANGED_UNRECOGNISED, SCHEMA_COMPOSITION_CHANGED,
    SCHEMA_ITEMS_CHANGED, SCHEMA_REF_UNRESOLVABLE, SCHEMA_RUST_TYPE_RENAMED, SCHEMA_VARIANT_ADDED,
    SCHEMA_VARIANT_REMOVED,
};
use super::schema_keywords::{self as keywords, Obj, list, required_set, show};
use crate::refs::resolve;

/// Compares two schemas of one operation in one direction.
pub struct SchemaDiff<'c, 'd> {
    s: Scope<'c, 'd>,
    /// (base pointer, head pointer, optional slot) pairs already compared: the
    /// cycle guard for recursive component schemas, and a memo.
    visited: HashSet<(String, String, bool)>,
}

/// One side of a comparison: the schema (or body, or response) as written and where it was written.
#[derive(Clone, Copy)]
pub struct Side<'a, 'p> {
    /// The value (possibly a `$ref`).
    pub value: &'a Value,
    /// Its JSON pointer.
    pub pointer: &'p str,
}

impl<'c, 'd> SchemaDiff<'c, 'd> {
    /// A comparer that records into `scope`.
    pub fn new(scope: Scope<'c, 'd>) -> Self {
        Self {
            s: scope,
            visited: HashSet::new(),
        }
    }

    /// Compares `base` against `head`. `optional_slot` says the schema sits in a
    /// property that is optional on both sides, so its Rust type is an `Option`
    /// whatever its nullability.
    pub fn compare(&mut self, base: Side<'d, '_>, head: Side<'d, '_>, optional_slot: bool) {
        let b = match resolve(self.s.ctx.base, base.value, base.pointer) {
            Ok(r) => r,
            Err(e) => return self.s.emit(head.pointer, SCHEMA_REF_UNRESOLVABLE, e),
        };
        let h = match resolve(self.s.ctx.head, head.value, head.pointer) {
            Ok(r) => r,
            Err(e) => return self.s.emit(head.pointer, SCHEMA_REF_UNRESOLVABLE, e),
        };
        let had_ref = base.value.get("$ref").is_some() || head.value.get("$ref").is_some();
        if had_ref && b.component != h.component {
            let name = |c: &Option<String>| match c {
                Some(n) => format!("`types::{n}`"),
                None => "an inline type".to_string(),
            };
            self.s.emit(
                head.pointer,
                SCHEMA_RUST_TYPE_RENAMED,
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
                self.s.emit(
                    &h.pointer,
                    SCHEMA_CHANGED_UNRECOGNISED,
                    "the schema is not an object on one side and changed".to_string(),
                );
            }
            return;
        };
        let (bp, hp) = (b.pointer.as_str(), h.pointer.as_str());
        keywords::docs(&mut self.s, bo, ho, hp);
        if !self.composition(bo, ho, bp, hp) {
            return;
        }
        if !keywords::kind(&mut self.s, bo, ho, hp) {
            return;
        }
        keywords::nullable(&mut self.s, bo, ho, hp, optional_slot);
        keywords::enums(&mut self.s, bo, ho, hp, h.component.as_deref());
        keywords::constraints(&mut self.s, bo, ho, hp);
        keywords::defaults(&mut self.s, bo, ho, hp);
        self.properties(bo, ho, bp, hp);
        self.additional_properties(bo, ho, bp, hp);
        self.items(bo, ho, bp, hp);
        keywords::unrecognised(&mut self.s, bo, ho, hp);
    }

    /// allOf/oneOf/anyOf. Returns false when the shapes differ so much that
    /// comparing the rest would only add noise.
    fn composition(&mut self, b: &'d Obj, h: &'d Obj, bp: &str, hp: &str) -> bool {
        for kind in ["allOf", "oneOf", "anyOf"] {
            match (list(b, kind), list(h, kind)) {
                (None, None) => {}
                (Some(_), None) | (None, Some(_)) => {
                    self.s.emit(
                        &format!("{hp}/{kind}"),
                        SCHEMA_COMPOSITION_CHANGED.with(Class::Breaking),
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

    /// The members of one composition keyword present on both sides.
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
            self.named_variants(kind, (bv, &bn), (hv, &hn), bp, hp);
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
            self.s.emit(
                &format!("{hp}/{kind}"),
                SCHEMA_COMPOSITION_CHANGED.with(Class::Unclassified),
                format!(
                    "`{kind}` went from {} to {} inline members; review the generated type by hand",
                    bv.len(),
                    hv.len()
                ),
            );
        }
    }

    /// oneOf/anyOf variants that are all `$ref`s, matched by target.
    fn named_variants(
        &mut self,
        kind: &str,
        (bv, bn): (&'d [Value], &BTreeMap<&'d str, usize>),
        (hv, hn): (&'d [Value], &BTreeMap<&'d str, usize>),
        bp: &str,
        hp: &str,
    ) {
        for (name, i) in bn {
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
                None => self.s.emit(
                    &format!("{bp}/{kind}/{i}"),
                    SCHEMA_VARIANT_REMOVED,
                    format!(
                        "`{kind}` variant {name} was removed: its Rust enum variant disappears"
                    ),
                ),
            }
        }
        for (name, j) in hn {
            if bn.contains_key(name) {
                continue;
            }
            let (class, why) = match self.s.dir {
                Direction::Request => (
                    Class::NonBreaking,
                    "callers may now send it; existing values stay valid",
                ),
                Direction::Response => (
                    Class::Breaking,
                    "old clients cannot decode it (the generated enum is untagged and closed), and exhaustive matches need a new arm",
                ),
            };
            self.s.emit(
                &format!("{hp}/{kind}/{j}"),
                SCHEMA_VARIANT_ADDED.with(class),
                format!("`{kind}` variant {name} was added: {why}"),
            );
        }
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
                (Some(_), None) => keywords::property_removed(&mut self.s, name, &bptr),
                (None, Some(_)) => keywords::property_added(&mut self.s, name, hr, closed, &hptr),
                (Some(bs), Some(hs)) => {
                    if br != hr {
                        keywords::requiredness(&mut self.s, name, hs, hr, &hptr);
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
            (Some(Value::Object(_)), _) | (_, Some(Value::Object(_))) => self.s.emit(
                &pointer,
                ADDITIONAL_PROPERTIES_CHANGED.with(Class::Breaking),
                "additionalProperties switched between a schema and a flag: the Rust type changes between a map and a struct".to_string(),
            ),
            _ => {
                // Absent means true.
                let closed_now = ha == Some(&Value::Bool(false));
                let (class, why) = match (self.s.dir, closed_now) {
                    (Direction::Request, true) => (Class::Breaking, "callers sending extra fields are rejected"),
                    (Direction::Request, false) => (Class::NonBreaking, "extra fields are now accepted"),
                    (Direction::Response, true) => (Class::NonBreaking, "the server promises no extra fields"),
                    (Direction::Response, false) => (
                        Class::Breaking,
                        "old clients were generated with deny_unknown_fields and reject extra fields",
                    ),
                };
                self.s.emit(
                    &pointer,
                    ADDITIONAL_PROPERTIES_CHANGED.with(class),
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
            (bi, hi) => self.s.emit(
                &format!("{hp}/items"),
                SCHEMA_ITEMS_CHANGED,
                format!("`items` changed from {} to {}", show(bi), show(hi)),
            ),
        }
    }
}

fn ref_label(v: &Value) -> String {
    v.get("$ref")
        .and_then(Value::as_str)
        .map_or_else(|| "an inline schema".to_string(), |r| format!("`{r}`"))
}
