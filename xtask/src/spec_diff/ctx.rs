//! The state one comparison shares: both documents, the operation being
//! compared, the current subject, the findings so far, and where a schema
//! comparison records into.
//!
//! Every comparison module depends on this one and on [`super::registry`];
//! neither depends on a comparison module.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::model::{Area, Change, Direction};
use super::registry::Judged;

/// Keys of operations, parameters, bodies and responses that only document.
const DOC_KEYS: &[&str] = &[
    "summary",
    "description",
    "externalDocs",
    "tags",
    "example",
    "examples",
];

/// Whether `key` of an operation, parameter, body or response only documents
/// (one of [`DOC_KEYS`] or an `x-*` extension).
pub fn is_doc_key(key: &str) -> bool {
    DOC_KEYS.contains(&key) || key.starts_with("x-")
}

/// Whether a parameter or request body says `required: true`.
pub fn is_required(p: &Value) -> bool {
    p.get("required") == Some(&Value::Bool(true))
}

/// The keys present on either side whose values differ and that `keep` accepts, in key order.
pub fn changed_keys<'a>(
    b: &'a Map<String, Value>,
    h: &'a Map<String, Value>,
    keep: impl Fn(&str) -> bool,
) -> Vec<&'a str> {
    let keys: BTreeSet<&str> = b.keys().chain(h.keys()).map(String::as_str).collect();
    keys.into_iter()
        .filter(|k| keep(k))
        .filter(|k| b.get(*k) != h.get(*k))
        .collect()
}

/// One operation as found in a document.
pub struct Op<'d> {
    /// The path template as written.
    pub path: String,
    /// The lower-case method.
    pub method: &'static str,
    /// The operation object.
    pub op: &'d Value,
    /// Its JSON pointer.
    pub pointer: String,
    /// The path item it sits in (after following a path-item `$ref`).
    pub path_item: &'d Value,
    /// The path item's JSON pointer.
    pub path_item_pointer: String,
}

impl Op<'_> {
    /// `METHOD /path`, the subject of its changes.
    pub fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// Shared state of one comparison: both documents, the current subject, and the findings.
pub struct Ctx<'d> {
    /// The base document.
    pub base: &'d Value,
    /// The head document.
    pub head: &'d Value,
    subject: String,
    changes: Vec<Change>,
}

impl<'d> Ctx<'d> {
    /// A comparison of `base` against `head` with no findings yet.
    pub fn new(base: &'d Value, head: &'d Value) -> Self {
        Ctx {
            base,
            head,
            subject: String::new(),
            changes: Vec::new(),
        }
    }

    /// Sets the subject (`METHOD /path` or `SCHEMA Name`) later findings are about.
    pub fn set_subject(&mut self, subject: String) {
        self.subject = subject;
    }

    /// Records a finding about the current subject: a [`super::registry::Fixed`]
    /// rule, or a [`super::registry::Varies`] rule with its class.
    pub fn push(&mut self, area: Area, pointer: &str, finding: impl Into<Judged>, message: String) {
        let Judged { rule, class } = finding.into();
        self.changes.push(Change {
            operation: self.subject.clone(),
            area,
            pointer: pointer.to_string(),
            class,
            rule: rule.id,
            message,
        });
    }

    /// The findings, in the order they were recorded.
    pub fn into_changes(self) -> Vec<Change> {
        self.changes
    }
}

/// Where one schema comparison records: the context, the direction the schema
/// is read in, and the area of the operation it belongs to.
pub struct Scope<'c, 'd> {
    /// The comparison.
    pub ctx: &'c mut Ctx<'d>,
    /// Request (written by callers) or response (decoded by the client).
    pub dir: Direction,
    /// The area findings are reported under.
    pub area: Area,
}

impl Scope<'_, '_> {
    /// Records a finding; debug builds check that the rule may give its class in this direction.
    pub fn emit(&mut self, pointer: &str, finding: impl Into<Judged>, message: String) {
        let finding = finding.into();
        debug_assert!(
            finding.rule.verdict.allows(finding.class, Some(self.dir)),
            "rule {} does not declare class {:?} for {:?}",
            finding.rule.id,
            finding.class,
            self.dir
        );
        self.ctx.push(self.area, pointer, finding, message);
    }
}
