//! The list-endpoint streams: one row of a table per operation carrying
//! `x-sparkbot-pagination: {maxSize: N}`, appended to sparkbot-api's generated client.
//!
//! The table is an invocation of `sparkbot_api::paging::paginated_operations!` (hand-written in
//! sparkbot-api/src/paging.rs): each row `method: Builder => Item, N;` implements `Paginated` for
//! the operation's builder (`builder::ListChats<'a>`: item type, page size N) and gives it a
//! `stream()` method, so a list endpoint added to the spec gets its stream on the next
//! `cargo xtask generate`. The checks here make a row that would not compile, or a stream that
//! could never page, a generation error naming the operation.

use anyhow::{Context, bail};
use proc_macro2::TokenStream;
use serde_json::Value;

use crate::refs::follow;
use crate::spec_walk::{Operation, operations, snake_case};

/// One paginated operation, as a row of the generated table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOperation {
    /// The spec's operationId (`listChats`).
    pub operation_id: String,
    /// The largest page the endpoint is known to accept (`x-sparkbot-pagination.maxSize`).
    pub max_size: u64,
    /// The component schema of the array's items (`Chat`).
    pub item: String,
}

impl ListOperation {
    /// progenitor's method name, which makes the builder: `list_chats`.
    pub fn method(&self) -> String {
        snake_case(&self.operation_id)
    }

    /// progenitor's builder type: `ListChats`.
    pub fn builder(&self) -> String {
        let mut chars = self.operation_id.chars();
        match chars.next() {
            Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
            None => String::new(),
        }
    }
}

/// Every operation with `x-sparkbot-pagination`, sorted by method name; fails, naming the
/// operation, on one the stream cannot be generated for.
pub fn collect(spec: &Value) -> anyhow::Result<Vec<ListOperation>> {
    let mut ops = Vec::new();
    for operation in operations(spec) {
        let Operation {
            path, method, op, ..
        } = operation;
        let Some(pagination) = op.get("x-sparkbot-pagination") else {
            continue;
        };
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .with_context(|| {
                format!(
                    "{} {path} carries x-sparkbot-pagination but has no operationId",
                    method.to_uppercase()
                )
            })?;
        let label = format!(
            "paginated operation {id} ({} {path})",
            method.to_uppercase()
        );
        ops.push(
            list_operation(spec, operation, id, pagination).with_context(|| {
                format!(
                    "{label}: cannot generate its stream (the `Paginated` table of {})",
                    crate::generate::CLIENT_FILE
                )
            })?,
        );
    }
    // The table (and `PAGINATED_OPERATIONS`) is sorted by method name.
    ops.sort_by_key(ListOperation::method);
    Ok(ops)
}

/// The paging facts of one list operation, or why it has none. Long (about 110 lines) on
/// purpose: each of its checks (`page`, `size`, a bare array of a named item…) ends in its own
/// error message naming the operation, in the order they apply.
fn list_operation(
    spec: &Value,
    operation: Operation<'_>,
    id: &str,
    pagination: &Value,
) -> anyhow::Result<ListOperation> {
    let Operation { item, op, .. } = operation;
    let max_size = pagination
        .get("maxSize")
        .and_then(Value::as_u64)
        .filter(|n| *n > 0)
        .context("x-sparkbot-pagination must be `{maxSize: N}` with N a positive integer")?;
    if op.get("x-sparkbot-handwritten").and_then(Value::as_bool) == Some(true) {
        bail!("it is x-sparkbot-handwritten, so there is no generated builder to page with");
    }

    let params: Vec<&Value> = item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            op.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        )
        .map(|p| follow(spec, p))
        .collect();
    let query = |name: &str| {
        params.iter().find(|p| {
            p.get("in").and_then(Value::as_str) == Some("query")
                && p.get("name").and_then(Value::as_str) == Some(name)
        })
    };
    if query("page").is_none() {
        bail!("it has no `page` query parameter");
    }
    let size = query("size").context("it has no `size` query parameter")?;
    if let Some(maximum) = size
        .get("schema")
        .map(|s| follow(spec, s))
        .and_then(|s| s.get("maximum"))
        .and_then(Value::as_f64)
        && (max_size as f64) > maximum
    {
        bail!(
            "maxSize {max_size} is larger than the `size` parameter's maximum {maximum}: every page request would be refused"
        );
    }
    // The stream is an inherent `stream()` of the builder: a parameter of that name would be
    // a setter of the same name.
    if let Some(clash) = params.iter().find(|p| {
        p.get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| snake_case(n) == "stream")
    }) {
        bail!(
            "its parameter {:?} becomes a builder setter `stream`, which clashes with the builder's `stream()` method",
            clash
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
        );
    }

    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .context("it has no responses")?;
    let mut success: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
    success.sort();
    let status = success.first().context("it has no 2xx response")?;
    let response = follow(spec, &responses[status.as_str()]);
    let schema = response
        .pointer("/content/application~1json/schema")
        .with_context(|| format!("its {status} response has no application/json schema"))?;
    let schema = follow(spec, schema);
    if schema.get("type").and_then(Value::as_str) != Some("array") {
        bail!("its {status} response is not a bare array (type: array)");
    }
    let items = schema
        .get("items")
        .with_context(|| format!("its {status} response array has no `items`"))?;
    let item_ref = items.get("$ref").and_then(Value::as_str).with_context(|| {
        format!(
            "the items of its {status} response are an inline schema; give them a name under \
             components/schemas and `$ref` it, so the stream can yield `sparkbot_api::types::<Name>`"
        )
    })?;
    let name = item_ref
        .strip_prefix("#/components/schemas/")
        .filter(|n| !n.is_empty() && !n.contains('/'))
        .with_context(|| {
            format!(
                "the items of its {status} response refer to {item_ref}, not to a component schema"
            )
        })?;
    if !is_type_name(name) {
        bail!("its item schema name {name:?} is not a PascalCase Rust type name");
    }

    Ok(ListOperation {
        operation_id: id.to_owned(),
        max_size,
        item: name.to_owned(),
    })
}

fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The table as Rust source, one row a line, to append to the generated client file (after
/// prettyplease, which would flow the rows of a macro body into one paragraph):
/// `list_chats: ListChats => Chat, 50;`.
pub fn render(ops: &[ListOperation]) -> String {
    let mut out = String::from(
        "// One row per operation with `x-sparkbot-pagination` (xtask/src/streams.rs): its client\n\
         // method, its builder, the item type and the page size. The macro (sparkbot-api/src/paging.rs)\n\
         // implements `Paginated` and `stream()` for each builder.\n\
         crate::paging::paginated_operations! {\n",
    );
    for op in ops {
        out.push_str(&format!(
            "    {}: {} => {}, {};\n",
            op.method(),
            op.builder(),
            op.item,
            op.max_size
        ));
    }
    out.push_str("}\n");
    out
}

/// [`render`] as tokens, to check that the table is valid Rust.
pub fn tokens(ops: &[ListOperation]) -> anyhow::Result<TokenStream> {
    let text = render(ops);
    text.parse::<TokenStream>()
        .map_err(|e| anyhow::anyhow!("the stream table is not Rust: {e}\n{text}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(items: Value, size_max: u64) -> Value {
        json!({
            "paths": {"/devices/{deviceId}/labels": {
                "parameters": [{"$ref": "#/components/parameters/DeviceIdPath"}],
                "get": {
                    "operationId": "listLabels",
                    "summary": "List labels",
                    "x-sparkbot-pagination": {"maxSize": 100},
                    "parameters": [
                        {"$ref": "#/components/parameters/Page"},
                        {"name": "size", "in": "query", "schema": {"type": "integer", "maximum": size_max}}
                    ],
                    "responses": {
                        "200": {"content": {"application/json": {"schema": {"type": "array", "items": items}}}},
                        "4XX": {"description": "error"}
                    }
                },
                "post": {"operationId": "createLabel", "responses": {"201": {"description": "ok"}}}
            }},
            "components": {"parameters": {
                "DeviceIdPath": {"name": "deviceId", "in": "path", "required": true, "schema": {"type": "string"}},
                "Page": {"name": "page", "in": "query", "schema": {"type": "integer"}}
            }}
        })
    }

    #[test]
    fn paginated_operations_become_rows_of_the_table() {
        let ops = collect(&spec(json!({"$ref": "#/components/schemas/Label"}), 100)).unwrap();
        assert_eq!(
            ops,
            [ListOperation {
                operation_id: "listLabels".into(),
                max_size: 100,
                item: "Label".into(),
            }]
        );
        assert_eq!(ops[0].method(), "list_labels");
        assert_eq!(ops[0].builder(), "ListLabels");
        let text = render(&ops);
        let file: syn::File = syn::parse2(tokens(&ops).unwrap()).unwrap();
        assert_eq!(file.items.len(), 1, "{text}");
        assert!(
            text.contains("crate::paging::paginated_operations! {\n"),
            "{text}"
        );
        assert!(
            text.contains("\n    list_labels: ListLabels => Label, 100;\n"),
            "{text}"
        );
        // One row per operation: no methods are rendered.
        assert!(!text.contains("fn "), "{text}");
    }

    #[test]
    fn rows_are_sorted_by_method_name() {
        let mut spec = spec(json!({"$ref": "#/components/schemas/Label"}), 100);
        let list = spec["paths"]["/devices/{deviceId}/labels"]["get"].clone();
        let mut other = list.clone();
        other["operationId"] = json!("listAll");
        spec["paths"]["/all"] = json!({"get": other});
        spec["paths"]["/devices/{deviceId}/labels"]["get"] = list;
        let methods: Vec<String> = collect(&spec)
            .unwrap()
            .iter()
            .map(ListOperation::method)
            .collect();
        assert_eq!(methods, ["list_all", "list_labels"]);
    }

    #[test]
    fn a_parameter_named_stream_fails_naming_the_operation() {
        let mut spec = spec(json!({"$ref": "#/components/schemas/Label"}), 100);
        spec["paths"]["/devices/{deviceId}/labels"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
            .push(json!({"name": "stream", "in": "query", "schema": {"type": "boolean"}}));
        let err = format!("{:#}", collect(&spec).unwrap_err());
        assert!(err.contains("listLabels"), "{err}");
        assert!(
            err.contains("clashes with the builder's `stream()`"),
            "{err}"
        );
    }

    #[test]
    fn an_inline_item_schema_fails_naming_the_operation() {
        let err = format!(
            "{:#}",
            collect(&spec(json!({"type": "object"}), 100)).unwrap_err()
        );
        assert!(
            err.contains("paginated operation listLabels (GET /devices/{deviceId}/labels)"),
            "{err}"
        );
        assert!(err.contains("inline schema"), "{err}");
    }

    #[test]
    fn a_max_size_beyond_the_size_parameter_fails() {
        let err = format!(
            "{:#}",
            collect(&spec(json!({"$ref": "#/components/schemas/Label"}), 50)).unwrap_err()
        );
        assert!(err.contains("listLabels"), "{err}");
        assert!(err.contains("maxSize 100 is larger"), "{err}");
    }
}
