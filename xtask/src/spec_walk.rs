//! Walking a spec's operations, shared by generate, lint, the constraint and stream generators,
//! and spec-diff.

use serde_json::Value;

/// The HTTP methods a path item may hold, in OpenAPI's order.
pub const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the spec, with the path item it sits in.
#[derive(Clone, Copy)]
pub struct Operation<'a> {
    /// The path template (`/devices/{deviceId}`).
    pub path: &'a str,
    /// The lower-case method (`get`).
    pub method: &'static str,
    /// The path item (for path-level parameters).
    pub item: &'a Value,
    /// The operation object.
    pub op: &'a Value,
}

impl<'a> Operation<'a> {
    /// The operationId, if the operation has one.
    pub fn id(&self) -> Option<&'a str> {
        self.op.get("operationId").and_then(Value::as_str)
    }
}

/// Every operation of `spec`, by path (in document order) then method.
pub fn operations(spec: &Value) -> impl Iterator<Item = Operation<'_>> {
    spec.get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .flat_map(|(path, item)| {
            METHODS.into_iter().filter_map(move |method| {
                item.get(method)
                    .filter(|op| op.is_object())
                    .map(|op| Operation {
                        path,
                        method,
                        item,
                        op,
                    })
            })
        })
}

/// progenitor's method name for an `operationId` (heck's snake case): `sendMessage` →
/// `send_message`, `getQRCode` → `get_qr_code`.
pub fn snake_case(id: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = id.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1);
            let boundary = prev.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit())
                || (prev.is_some_and(char::is_uppercase) && next.is_some_and(|n| n.is_lowercase()));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else if c.is_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_end_matches('_').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_matches_progenitor_method_names() {
        assert_eq!(snake_case("sendMessage"), "send_message");
        assert_eq!(snake_case("getQRCode"), "get_qr_code");
        assert_eq!(snake_case("list-devices"), "list_devices");
        assert_eq!(snake_case("reboot_device_session"), "reboot_device_session");
    }

    #[test]
    fn operations_are_listed_by_path_then_method() {
        let spec = serde_json::json!({"paths": {
            "/b": {"post": {"operationId": "b2"}, "get": {"operationId": "b1"}, "parameters": []},
            "/a": {"delete": {"operationId": "a1"}}
        }});
        let ids: Vec<(&str, &str, Option<&str>)> = operations(&spec)
            .map(|o| (o.path, o.method, o.id()))
            .collect();
        assert_eq!(
            ids,
            [
                ("/a", "delete", Some("a1")),
                ("/b", "get", Some("b1")),
                ("/b", "post", Some("b2"))
            ]
        );
    }
}
