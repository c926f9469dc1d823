//! The codegen overlay: rewrites of a copy of the spec that progenitor needs.
//!
//! The source spec describes the API as it is; progenitor 0.15 rejects or mishandles some true
//! descriptions (see `../shared/reference/progenitor-notes.md` §3). Each rewrite here is logged,
//! the log is written into the generated file's header, and `spec/sparkbot.yaml` is never changed.

use serde_json::{Map, Value};

use crate::spec_walk::METHODS;

/// Applies every rewrite to `spec` and returns one log line per rewrite, in a stable order.
pub fn apply(spec: &mut Value) -> Vec<String> {
    let mut log = Vec::new();
    let mut documented = 0usize;
    let mut widened = 0usize;
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return log;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let label = format!(
                "{} {path} ({})",
                method.to_uppercase(),
                op.get("operationId").and_then(Value::as_str).unwrap_or("?")
            );
            if op.get("x-sparkbot-handwritten").and_then(Value::as_bool) == Some(true) {
                item.remove(method);
                log.push(format!(
                    "{label}: left out of generation (x-sparkbot-handwritten); hand-written in sparkbot-api"
                ));
                continue;
            }
            let op = item
                .get_mut(method)
                .and_then(Value::as_object_mut)
                .expect("present");
            normalise_json_suffix(op, &label, &mut log);
            single_request_media_type(op, &label, &mut log);
            split_default_response(op, &label, &mut log);
            single_success_type(op, &label, &mut log);
            single_response_media_type(op, &label, &mut log);
            if any_success_status(op) {
                widened += 1;
            }
            if document_evidence(op) {
                documented += 1;
            }
        }
    }
    paths.retain(|path, item| {
        let keep = item
            .as_object()
            .is_some_and(|m| METHODS.iter().any(|k| m.contains_key(*k)));
        if !keep {
            log.push(format!(
                "{path}: path left out (no generated operation remains)"
            ));
        }
        keep
    });
    if widened > 0 {
        log.push(format!(
            "{widened} operations: any 2xx status is a success, decoded as the documented one (`2XX` added)"
        ));
    }
    if documented > 0 {
        log.push(format!(
            "{documented} operations: evidence level and SparkBot actions appended to the rustdoc description"
        ));
    }
    log
}

/// A copy for the typed httpmock generator, which cannot match array query parameters
/// (its setter calls `to_string()` on a `Vec`). Tests match those with `into_inner()`.
pub fn for_mocks(spec: &Value) -> (Value, Vec<String>) {
    let mut spec = spec.clone();
    let mut log = Vec::new();
    let Some(paths) = spec.get_mut("paths").and_then(Value::as_object_mut) else {
        return (spec, log);
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for method in METHODS {
            let Some(params) = item
                .get_mut(method)
                .and_then(|op| op.get_mut("parameters"))
                .and_then(Value::as_array_mut)
            else {
                continue;
            };
            for p in params.iter_mut() {
                // The mock compares chrono's `Display` form (`2026-01-01 00:00:00 UTC`) while the
                // client sends RFC 3339, so date-time query values are matched as plain strings.
                let date_query = p.get("in").and_then(Value::as_str) == Some("query")
                    && p.pointer("/schema/format").and_then(Value::as_str) == Some("date-time");
                if date_query {
                    if let Some(schema) = p.get_mut("schema").and_then(Value::as_object_mut) {
                        schema.remove("format");
                    }
                    log.push(format!(
                        "mocks: {} {path}: date-time query parameter `{}` is matched as its RFC 3339 string",
                        method.to_uppercase(),
                        p.get("name").and_then(Value::as_str).unwrap_or("?")
                    ));
                }
            }
            params.retain(|p| {
                let array_query = p.get("in").and_then(Value::as_str) == Some("query")
                    && p.pointer("/schema/type").and_then(Value::as_str) == Some("array");
                if array_query {
                    log.push(format!(
                        "mocks: {} {path}: array query parameter `{}` is not matched by the typed mock",
                        method.to_uppercase(),
                        p.get("name").and_then(Value::as_str).unwrap_or("?")
                    ));
                }
                !array_query
            });
        }
    }
    (spec, log)
}

fn content_maps(op: &mut Map<String, Value>) -> Vec<(String, &mut Map<String, Value>)> {
    let mut maps = Vec::new();
    for (key, value) in op.iter_mut() {
        match key.as_str() {
            "requestBody" => {
                if let Some(content) = value.get_mut("content").and_then(Value::as_object_mut) {
                    maps.push(("request body".to_owned(), content));
                }
            }
            "responses" => {
                let Some(responses) = value.as_object_mut() else {
                    continue;
                };
                for (status, response) in responses.iter_mut() {
                    if let Some(content) =
                        response.get_mut("content").and_then(Value::as_object_mut)
                    {
                        maps.push((format!("response {status}"), content));
                    }
                }
            }
            _ => {}
        }
    }
    maps
}

/// `application/problem+json` and friends are JSON, but progenitor treats them as raw bytes.
fn normalise_json_suffix(op: &mut Map<String, Value>, label: &str, log: &mut Vec<String>) {
    for (place, content) in content_maps(op) {
        let suffixed: Vec<String> = content
            .keys()
            .filter(|k| k.ends_with("+json") && !content.contains_key("application/json"))
            .cloned()
            .collect();
        if let Some(key) = suffixed.into_iter().next() {
            let media = content.remove(&key).expect("listed");
            content.insert("application/json".to_owned(), media);
            log.push(format!(
                "{label}: {place} media type {key} read as application/json"
            ));
        }
    }
}

/// progenitor panics on a request body with two media types; JSON is the one the API documents.
fn single_request_media_type(op: &mut Map<String, Value>, label: &str, log: &mut Vec<String>) {
    let Some(content) = op
        .get_mut("requestBody")
        .and_then(|b| b.get_mut("content"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if content.len() > 1 && content.contains_key("application/json") {
        let dropped: Vec<String> = content
            .keys()
            .filter(|k| *k != "application/json")
            .cloned()
            .collect();
        content.retain(|k, _| k == "application/json");
        log.push(format!(
            "{label}: request body keeps application/json only (dropped {})",
            dropped.join(", ")
        ));
    }
}

/// `default` counts as both success and error in progenitor, which panics next to a 2xx.
fn split_default_response(op: &mut Map<String, Value>, label: &str, log: &mut Vec<String>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(default) = responses.remove("default") {
        for range in ["4XX", "5XX"] {
            responses
                .entry(range.to_owned())
                .or_insert_with(|| default.clone());
        }
        log.push(format!(
            "{label}: `default` response re-keyed as 4XX and 5XX"
        ));
    }
}

/// All 2xx responses of an operation must decode to one Rust type; keep the first.
fn single_success_type(op: &mut Map<String, Value>, label: &str, log: &mut Vec<String>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let mut success: Vec<String> = responses
        .keys()
        .filter(|k| k.starts_with('2'))
        .cloned()
        .collect();
    success.sort();
    let Some(first) = success.first().cloned() else {
        return;
    };
    let first_content = responses[&first].get("content").cloned();
    for other in &success[1..] {
        if responses[other].get("content") != first_content.as_ref() {
            responses.remove(other);
            log.push(format!(
                "{label}: success response {other} dropped (differs from {first}); it arrives as an unexpected response"
            ));
        }
    }
}

/// With JSON beside another media type on one status, progenitor silently keeps JSON.
fn single_response_media_type(op: &mut Map<String, Value>, label: &str, log: &mut Vec<String>) {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    for (status, response) in responses.iter_mut() {
        let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else {
            continue;
        };
        if content.len() > 1 && content.contains_key("application/json") {
            let dropped: Vec<String> = content
                .keys()
                .filter(|k| *k != "application/json")
                .cloned()
                .collect();
            content.retain(|k, _| k == "application/json");
            log.push(format!(
                "{label}: response {status} keeps application/json only (dropped {})",
                dropped.join(", ")
            ));
        }
    }
}

/// Adds `2XX` with the documented success body, so a 200 where the spec says 201 (or a 202) is
/// a success and not `UnexpectedResponse`: the API's choice among 2xx codes is not something a
/// caller should fail on, and for a send it would lose the message id. Skipped when the success
/// responses differ in content (progenitor needs one success type) or a range is present.
fn any_success_status(op: &mut Map<String, Value>) -> bool {
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return false;
    };
    if responses.contains_key("2XX") {
        return false;
    }
    let successes: Vec<&Value> = responses
        .iter()
        .filter(|(status, _)| status.len() == 3 && status.starts_with('2'))
        .map(|(_, r)| r)
        .collect();
    let Some(first) = successes.first() else {
        return false;
    };
    let content = |r: &Value| r.get("content").cloned();
    if successes.iter().any(|r| content(r) != content(first)) {
        return false;
    }
    let widened = (*first).clone();
    responses.insert("2XX".to_owned(), widened);
    true
}

/// The strings of the list `key` of `op`, each in backticks.
fn quoted_list(op: &Map<String, Value>, key: &str) -> Vec<String> {
    op.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|s| format!("`{s}`"))
                .collect()
        })
        .unwrap_or_default()
}

/// Puts the evidence level and the node actions into the description progenitor turns into rustdoc.
fn document_evidence(op: &mut Map<String, Value>) -> bool {
    let Some(evidence) = op
        .get("x-sparkbot-evidence")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return false;
    };
    let meaning = match evidence.as_str() {
        "node" => "method and path as the SparkBot node's own source sends them",
        "client" => "method and path seen in public client code calling the API",
        "reported" => "named in documentation only; not yet seen in client code",
        _ => "designed in the API's conventions; not yet seen in code or docs",
    };
    let sources = quoted_list(op, "x-sparkbot-sources");
    let actions = quoted_list(op, "x-sparkbot-actions");
    let mut note = format!("Evidence: **{evidence}** ({meaning}).");
    if !sources.is_empty() {
        note.push_str(&format!(" Sources: {}.", sources.join(", ")));
    }
    if !actions.is_empty() {
        note.push_str(&format!(" SparkBot actions: {}.", actions.join(", ")));
    }
    let description = match op.get("description").and_then(Value::as_str) {
        Some(d) => format!("{}\n\n{note}", d.trim_end()),
        None => note,
    };
    op.insert("description".to_owned(), Value::String(description));
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn handwritten_operations_and_empty_paths_are_dropped() {
        let mut spec = json!({"paths": {"/scan": {"get": {
            "operationId": "scan", "x-sparkbot-handwritten": true, "responses": {}
        }}}});
        let log = apply(&mut spec);
        assert_eq!(spec["paths"], json!({}));
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log[0].contains("GET /scan (scan)"));
    }

    #[test]
    fn default_becomes_error_ranges_and_extra_success_is_dropped() {
        let mut spec = json!({"paths": {"/m": {"post": {
            "operationId": "m",
            "responses": {
                "201": {"content": {"application/json": {"schema": {"type": "object"}}}},
                "202": {"description": "accepted"},
                "default": {"description": "error"}
            }
        }}}});
        let log = apply(&mut spec);
        let responses = &spec["paths"]["/m"]["post"]["responses"];
        assert!(responses.get("default").is_none());
        assert!(responses.get("4XX").is_some() && responses.get("5XX").is_some());
        assert!(responses.get("202").is_none());
        assert_eq!(
            responses["2XX"], responses["201"],
            "any 2xx decodes as the 201"
        );
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(log[2].contains("any 2xx status is a success"), "{log:?}");
    }

    #[test]
    fn extra_media_types_are_reduced_to_json() {
        let mut spec = json!({"paths": {"/f": {"post": {
            "operationId": "f",
            "requestBody": {"content": {
                "application/json": {}, "multipart/form-data": {}
            }},
            "responses": {"200": {"content": {
                "application/problem+json": {}
            }}}
        }}}});
        let log = apply(&mut spec);
        let op = &spec["paths"]["/f"]["post"];
        assert_eq!(
            op["requestBody"]["content"],
            json!({"application/json": {}})
        );
        assert_eq!(
            op["responses"]["200"]["content"],
            json!({"application/json": {}})
        );
        assert_eq!(log.len(), 3, "{log:?}");
    }

    #[test]
    fn differing_success_bodies_or_an_existing_range_get_no_2xx() {
        let mut spec = json!({"paths": {
            "/r": {"get": {"operationId": "r", "responses": {
                "200": {"content": {"application/json": {}}},
                "2XX": {"description": "x", "content": {"application/json": {}}}
            }}},
            "/n": {"delete": {"operationId": "n", "responses": {"4XX": {}}}}
        }});
        let log = apply(&mut spec);
        assert!(
            spec["paths"]["/n"]["delete"]["responses"]
                .get("2XX")
                .is_none()
        );
        assert_eq!(
            spec["paths"]["/r"]["get"]["responses"]["2XX"]["description"],
            json!("x"),
            "an existing range is kept as written"
        );
        assert!(log.iter().all(|l| !l.contains("any 2xx")), "{log:?}");
    }

    #[test]
    fn evidence_is_appended_to_the_description() {
        let mut spec = json!({"paths": {"/d": {"get": {
            "operationId": "d", "description": "Reads.",
            "x-sparkbot-evidence": "node",
            "x-sparkbot-sources": ["walichat/n8n-walichat src/actions/numbers.ts"],
            "x-sparkbot-actions": ["WhatsApp Numbers: Get Number"],
            "responses": {}
        }}}});
        apply(&mut spec);
        let d = spec["paths"]["/d"]["get"]["description"].as_str().unwrap();
        assert!(d.starts_with("Reads.\n\nEvidence: **node**"), "{d}");
        assert!(
            d.contains("Sources: `walichat/n8n-walichat src/actions/numbers.ts`."),
            "{d}"
        );
        assert!(d.contains("`WhatsApp Numbers: Get Number`"), "{d}");
    }
}
