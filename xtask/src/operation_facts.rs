//! Facts about each operation that the request pipeline needs and progenitor does not keep:
//! whether the operation may be re-sent after it may have reached the server, and whether its
//! success body is a file that streams (so the JSON body limit does not apply to it).
//!
//! Idempotency follows the HTTP method (GET, HEAD, OPTIONS, PUT and DELETE are idempotent;
//! POST and PATCH are not) unless the operation says otherwise with
//! `x-sparkbot-idempotent: true|false` (a POST that only reads, such as a number check).
//!
//! `x-sparkbot-send: true` marks an operation that sends a WhatsApp message: the pipeline gives
//! it a reference, reconciles it by that reference when its outcome is unknown, and paces it
//! per device.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::spec_walk::{operations, snake_case};

/// One operation's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// progenitor's method name (`send_message`), as the hooks see it.
    pub method_name: String,
    /// May be re-sent after it may have reached the server.
    pub idempotent: bool,
    /// The success body is not JSON (a download), so it streams without the JSON limit.
    pub streamed: bool,
    /// It sends a WhatsApp message (`x-sparkbot-send: true`).
    pub sends: bool,
}

/// The facts of every generated operation, sorted by method name.
pub fn collect(spec: &Value) -> anyhow::Result<Vec<Facts>> {
    let mut out = Vec::new();
    for op in operations(spec) {
        let Some(id) = op.id() else { continue };
        let idempotent = match op.op.get("x-sparkbot-idempotent") {
            None => matches!(op.method, "get" | "head" | "options" | "put" | "delete"),
            Some(Value::Bool(b)) => *b,
            Some(other) => anyhow::bail!(
                "{} {} ({id}): x-sparkbot-idempotent must be true or false, not {other}",
                op.method.to_uppercase(),
                op.path
            ),
        };
        let sends = match op.op.get("x-sparkbot-send") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => anyhow::bail!(
                "{} {} ({id}): x-sparkbot-send must be true or false, not {other}",
                op.method.to_uppercase(),
                op.path
            ),
        };
        if sends && op.method != "post" {
            anyhow::bail!(
                "{} {} ({id}): x-sparkbot-send marks a POST that sends a message",
                op.method.to_uppercase(),
                op.path
            );
        }
        out.push(Facts {
            method_name: snake_case(id),
            idempotent,
            streamed: streams_success(op.op),
            sends,
        });
    }
    out.sort_by(|a, b| a.method_name.cmp(&b.method_name));
    Ok(out)
}

/// Whether every success response with a body has only non-JSON media types.
fn streams_success(op: &Value) -> bool {
    let Some(responses) = op.get("responses").and_then(Value::as_object) else {
        return false;
    };
    let media: Vec<&String> = responses
        .iter()
        .filter(|(status, _)| status.starts_with('2'))
        .filter_map(|(_, r)| r.get("content").and_then(Value::as_object))
        .flat_map(|content| content.keys())
        .collect();
    !media.is_empty() && media.iter().all(|m| !m.starts_with("application/json"))
}

/// The table as Rust items for the generated file, referring to `crate::pipeline`.
pub fn tokens(facts: &[Facts]) -> TokenStream {
    let entries = facts.iter().map(|f| {
        let (name, idempotent, streamed, sends) =
            (&f.method_name, f.idempotent, f.streamed, f.sends);
        quote!((#name, crate::pipeline::OperationFacts { idempotent: #idempotent, streamed: #streamed, sends: #sends }))
    });
    quote! {
        /// Per operation (progenitor's method name, sorted): may it be re-sent after it may
        /// have reached the server, and does its success body stream. Read by the pipeline.
        pub(crate) static OPERATION_FACTS: &[(&str, crate::pipeline::OperationFacts)] = &[
            #( #entries ),*
        ];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn idempotency_follows_the_method_unless_the_spec_says_otherwise() {
        let spec = json!({"paths": {
            "/m": {
                "post": {"operationId": "sendMessage", "x-sparkbot-send": true, "responses": {"201": {"content": {"application/json": {}}}}},
                "get": {"operationId": "searchMessages", "responses": {}}
            },
            "/n": {"post": {"operationId": "checkNumberExists", "x-sparkbot-idempotent": true, "responses": {}}},
            "/f": {"get": {"operationId": "downloadFile", "responses": {"200": {"content": {"application/octet-stream": {}}}}}},
            "/q": {"delete": {"operationId": "emptyQueue", "x-sparkbot-idempotent": false, "responses": {}}}
        }});
        let facts = collect(&spec).unwrap();
        let get = |n: &str| facts.iter().find(|f| f.method_name == n).unwrap().clone();
        assert!(!get("send_message").idempotent && !get("send_message").streamed);
        assert!(get("send_message").sends && !get("search_messages").sends);
        assert!(get("search_messages").idempotent);
        assert!(get("check_number_exists").idempotent);
        assert!(!get("empty_queue").idempotent);
        assert!(get("download_file").streamed);
        let names: Vec<_> = facts.iter().map(|f| f.method_name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "the table is binary-searched");
    }

    #[test]
    fn a_non_boolean_marker_is_an_error_naming_the_operation() {
        let spec = json!({"paths": {"/n": {"post": {"operationId": "x", "x-sparkbot-idempotent": "yes"}}}});
        let err = collect(&spec).unwrap_err().to_string();
        assert!(err.contains("POST /n (x)"), "{err}");
        let spec = json!({"paths": {"/m": {"get": {"operationId": "y", "x-sparkbot-send": true}}}});
        let err = collect(&spec).unwrap_err().to_string();
        assert!(err.contains("GET /m (y)"), "{err}");
    }
}
