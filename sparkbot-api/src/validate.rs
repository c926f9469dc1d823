//! Request limits the generated types cannot enforce, checked before a request leaves.
//!
//! typify validates string lengths and patterns when a value is built, but not array sizes or
//! numeric ranges. `cargo xtask generate` collects those limits from the spec into
//! `REQUEST_LIMITS` (in the generated module), and the request hook checks each outgoing request
//! against it, so `size=500` on a list capped at 50 fails with [`Error::InvalidRequest`] before
//! any I/O instead of at the server.
//!
//! [`Error::InvalidRequest`]: crate::Error::InvalidRequest

use serde_json::Value;

use crate::generated::REQUEST_LIMITS;

/// Where a limited value sits in a request.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    /// A query parameter, by name.
    Query(&'static str),
    /// A JSON pointer into the body; `*` stands for every item of an array.
    Body(&'static str),
}

/// A limit from the spec.
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// Number of array items (or of repeated query values).
    Items {
        /// `minItems`.
        min: Option<u64>,
        /// `maxItems`.
        max: Option<u64>,
    },
    /// Inclusive numeric range.
    Range {
        /// `minimum`.
        min: Option<f64>,
        /// `maximum`.
        max: Option<f64>,
    },
}

/// Checks `request` against the limits of `operation_id`; the message names the field and the limit.
pub(crate) fn check(operation_id: &str, request: &reqwest::Request) -> Result<(), String> {
    let Ok(found) = REQUEST_LIMITS.binary_search_by(|(op, _)| (*op).cmp(operation_id)) else {
        return Ok(());
    };
    let limits = REQUEST_LIMITS[found].1;
    let bytes = request.body().and_then(|b| b.as_bytes());
    // Parsing the body costs more than the rest of the hook: skip it unless some limited
    // field's name appears in the raw JSON at all (most messages carry none).
    let names = &body_names()[found];
    let body: Option<Value> = bytes
        .filter(|bytes| !names.is_empty() && mentions_any(bytes, names))
        .and_then(|bytes| serde_json::from_slice(bytes).ok());
    for (place, limit) in limits {
        match place {
            Place::Query(name) => {
                let values: Vec<String> = request
                    .url()
                    .query_pairs()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| v.into_owned())
                    .collect();
                check_query(name, &values, limit)?;
            }
            Place::Body(pointer) => {
                if let Some(body) = &body {
                    let mut found = Vec::new();
                    select(body, pointer, String::new(), &mut found);
                    for (at, value) in found {
                        check_value(&at, value, limit)?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn check_query(name: &str, values: &[String], limit: &Limit) -> Result<(), String> {
    match *limit {
        Limit::Items { min, max } if !values.is_empty() => {
            count(&format!("query parameter `{name}`"), values.len(), min, max)
        }
        Limit::Range { min, max } => {
            for v in values {
                // A value that is not a number was typed by the generated builder; leave it be.
                if let Ok(n) = v.parse::<f64>() {
                    range(&format!("query parameter `{name}`"), n, min, max)?;
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn check_value(at: &str, value: &Value, limit: &Limit) -> Result<(), String> {
    let field = format!("body field `{}`", if at.is_empty() { "/" } else { at });
    match (*limit, value) {
        (Limit::Items { min, max }, Value::Array(items)) => count(&field, items.len(), min, max),
        (Limit::Range { min, max }, Value::Number(n)) => match n.as_f64() {
            Some(n) => range(&field, n, min, max),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

fn count(field: &str, n: usize, min: Option<u64>, max: Option<u64>) -> Result<(), String> {
    let n = n as u64;
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        return Err(format!(
            "{field} has {n} item(s); the API allows {}",
            bounds(min.map(|v| v as f64), max.map(|v| v as f64))
        ));
    }
    Ok(())
}

fn range(field: &str, n: f64, min: Option<f64>, max: Option<f64>) -> Result<(), String> {
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        return Err(format!(
            "{field} is {n}; the API allows {}",
            bounds(min, max)
        ));
    }
    Ok(())
}

fn bounds(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        (Some(a), None) => format!("at least {a}"),
        (None, Some(b)) => format!("at most {b}"),
        (None, None) => "any value".to_owned(),
    }
}

/// For each entry of `REQUEST_LIMITS`, the first names of its body pointers (`"poll"` for
/// `/poll/options`), or `""` for a pointer that has none to search for (the body itself, an
/// array item, an escaped name). Worked out once: the check runs on every request.
fn body_names() -> &'static [Vec<&'static str>] {
    static NAMES: std::sync::OnceLock<Vec<Vec<&'static str>>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        REQUEST_LIMITS
            .iter()
            .map(|(_, limits)| {
                limits
                    .iter()
                    .filter_map(|(place, _)| match place {
                        Place::Body(pointer) => Some(first_name(pointer)),
                        Place::Query(_) => None,
                    })
                    .collect()
            })
            .collect()
    })
}

fn first_name(pointer: &'static str) -> &'static str {
    let first = pointer
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or("");
    if first == "*" || first.contains('~') {
        ""
    } else {
        first
    }
}

/// Whether any of `names` occurs in `body` as a whole JSON string (a key, or a value that
/// happens to be spelled the same: that costs a parse, nothing worse); `""` matches any body.
/// One pass over the body's strings, whatever the number of names.
fn mentions_any(body: &[u8], names: &[&str]) -> bool {
    if names.iter().any(|n| n.is_empty()) {
        return true;
    }
    let mut rest = body;
    while let Some(open) = memchr::memchr(b'"', rest) {
        rest = &rest[open + 1..];
        let Some(close) = string_end(rest) else {
            return false;
        };
        let token = &rest[..close];
        if names.iter().any(|n| n.as_bytes() == token) {
            return true;
        }
        rest = &rest[close + 1..];
    }
    false
}

/// Where the JSON string that `text` starts inside ends (its closing quote), skipping escapes.
fn string_end(text: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let found = at + memchr::memchr2(b'"', b'\\', text.get(at..)?)?;
        if text[found] == b'"' {
            return Some(found);
        }
        at = found + 2;
    }
}

/// Every value at `pointer` (with `*` for each array item), with its concrete location.
fn select<'v>(value: &'v Value, pointer: &str, at: String, out: &mut Vec<(String, &'v Value)>) {
    let Some(rest) = pointer.strip_prefix('/') else {
        out.push((at, value));
        return;
    };
    let (head, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if head == "*" {
        if let Value::Array(items) = value {
            for (i, item) in items.iter().enumerate() {
                select(item, tail, format!("{at}/{i}"), out);
            }
        }
        return;
    }
    let key = head.replace("~1", "/").replace("~0", "~");
    if let Some(child) = value.get(&key) {
        select(child, tail, format!("{at}/{key}"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pointers_with_wildcards_select_every_item() {
        let body = json!({"sections": [{"rows": [1, 2]}, {"rows": [3]}]});
        let mut found = Vec::new();
        select(&body, "/sections/*/rows", String::new(), &mut found);
        let at: Vec<&str> = found.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(at, ["/sections/0/rows", "/sections/1/rows"]);
    }

    #[test]
    fn the_body_is_parsed_only_when_a_limited_key_appears() {
        let one = |body: &[u8], pointer: &'static str| mentions_any(body, &[first_name(pointer)]);
        assert!(one(br#"{"contacts":[]}"#, "/contacts"));
        assert!(one(br#"{"poll":{"options":[]}}"#, "/poll/options"));
        assert!(!one(br#"{"phone":"+1","message":"hi"}"#, "/contacts"));
        assert!(one(b"[1,2]", "/*"));
        // The name inside another string, or as a prefix of a longer key, does not count.
        assert!(!one(br#"{"message":"my contacts"}"#, "/contacts"));
        assert!(!one(br#"{"contactsExtra":1}"#, "/contacts"));
        assert!(one(br#"{"x":"contacts","contacts":[]}"#, "/contacts"));
        // Escaped quotes do not throw the pass out of step with the strings.
        assert!(!one(br#"{"message":"say \"contacts\" \\"}"#, "/contacts"));
        assert!(one(
            br#"{"message":"a \"quote\" \\","contacts":[]}"#,
            "/contacts"
        ));
        assert!(!one(br#"{"message":"unterminated \"#, "/contacts"));
        // Several pointers, one pass.
        let many = ["/vote/options", "/buttons", "/location/coordinates/*"].map(first_name);
        assert!(mentions_any(br#"{"location":{}}"#, &many));
        assert!(!mentions_any(br#"{"message":"votes"}"#, &many));
        // Every limited operation's names are worked out, in the table's order.
        assert_eq!(body_names().len(), REQUEST_LIMITS.len());
    }

    #[test]
    fn limits_name_the_field_and_the_bounds() {
        let items = Limit::Items {
            min: Some(1),
            max: Some(10),
        };
        let err = check_value("/contacts", &json!(vec![0; 11]), &items).unwrap_err();
        assert_eq!(
            err,
            "body field `/contacts` has 11 item(s); the API allows 1 to 10"
        );
        assert!(check_value("/contacts", &json!([1]), &items).is_ok());
        let range_limit = Limit::Range {
            min: Some(2.0),
            max: Some(30.0),
        };
        let err = check_value("/duration", &json!(31), &range_limit).unwrap_err();
        assert_eq!(err, "body field `/duration` is 31; the API allows 2 to 30");
        let err = check_query(
            "size",
            &["500".into()],
            &Limit::Range {
                min: Some(1.0),
                max: Some(50.0),
            },
        )
        .unwrap_err();
        assert_eq!(err, "query parameter `size` is 500; the API allows 1 to 50");
    }
}
