//! The vocabulary of a spec diff: classes, areas, directions and the [`Change`] record.

use serde::Serialize;

/// How a change affects callers of the generated Rust client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// Breaks existing callers: on the wire, or at compile time of code using the client.
    Breaking,
    /// Matched by a rule and safe for existing callers.
    NonBreaking,
    /// Something changed that no rule understands; a human has to judge it.
    Unclassified,
}

impl Class {
    /// The label used in text and markdown output.
    pub fn label(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::NonBreaking => "non-breaking",
            Class::Unclassified => "unclassified",
        }
    }
}

/// Which part of an operation a change sits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Area {
    /// The operation itself: existence, `operationId`, summary, tags.
    Operation,
    /// A path, query or header parameter.
    Parameter,
    /// The request body.
    RequestBody,
    /// A response (status, media type, body schema, headers).
    Response,
    /// The effective security requirements.
    Security,
    /// A component schema, independent of any operation (every component becomes a Rust type).
    Component,
}

impl Area {
    /// The label used in text and markdown output.
    pub fn label(self) -> &'static str {
        match self {
            Area::Operation => "operation",
            Area::Parameter => "parameter",
            Area::RequestBody => "request body",
            Area::Response => "response",
            Area::Security => "security",
            Area::Component => "component",
        }
    }
}

/// Whether a schema is read by the server (request) or by our client (response).
///
/// The same edit means opposite things in the two directions: narrowing a request
/// breaks callers, widening a response breaks decoders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    /// Parameters and request bodies: written by the caller.
    Request,
    /// Response bodies and headers: decoded by the generated client.
    Response,
}

/// One classified change.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    /// The subject: `METHOD /path` for operations, `SCHEMA Name` for components.
    /// This is also the key an acceptance line matches.
    pub operation: String,
    /// Which part of the operation changed.
    pub area: Area,
    /// JSON pointer (`#/...`) to the changed spot: in the head spec, or in the base
    /// spec when the spot no longer exists in head.
    pub pointer: String,
    /// The classification.
    pub class: Class,
    /// A stable rule identifier, e.g. `parameter-removed`.
    pub rule: &'static str,
    /// What changed, in words, including why it matters to Rust callers.
    pub message: String,
}

/// Escapes one JSON-pointer segment (RFC 6901).
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

static EMPTY: std::sync::LazyLock<serde_json::Map<String, serde_json::Value>> =
    std::sync::LazyLock::new(serde_json::Map::new);

/// The object under `key`, or an empty one when it is missing or not an object
/// (odd specs are compared as if the piece were absent, never panicked on).
pub fn map_of<'a>(
    value: &'a serde_json::Value,
    key: &str,
) -> &'a serde_json::Map<String, serde_json::Value> {
    value
        .get(key)
        .and_then(serde_json::Value::as_object)
        .unwrap_or(&EMPTY)
}

/// Like [`map_of`], starting from an object.
pub fn map_in<'a>(
    object: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> &'a serde_json::Map<String, serde_json::Value> {
    object
        .get(key)
        .and_then(serde_json::Value::as_object)
        .unwrap_or(&EMPTY)
}
