//! The list-endpoint streams of sparkbot-extras: one `SparkBot::<operation>_stream` method per
//! operation carrying `x-sparkbot-pagination: {maxSize: N}`, rendered from the spec so a list
//! endpoint added later gets its stream on the next `cargo xtask generate`.
//!
//! Each method takes a closure that configures the generated builder
//! (`sparkbot_api::builder::<Operation>`), and pages with `page`/`size` at the endpoint's
//! `maxSize` through `SparkBot::paginate` (every page under the retry policy).

use anyhow::{Context, bail};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

use crate::refs::follow;
use crate::spec_walk::{Operation, operations, snake_case};

/// One paginated operation, as the stream generator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOperation {
    /// The spec's operationId (`listChats`).
    pub operation_id: String,
    /// `GET /chat/{deviceId}/chats`.
    pub route: String,
    /// The spec's summary, if any.
    pub summary: Option<String>,
    /// The largest page the endpoint is known to accept (`x-sparkbot-pagination.maxSize`).
    pub max_size: u64,
    /// The component schema of the array's items (`Chat`).
    pub item: String,
    /// The builder setters a caller must use (required parameters, snake_case).
    pub required: Vec<String>,
}

impl ListOperation {
    /// The stream method's name: `list_chats_stream`.
    pub fn method(&self) -> String {
        format!("{}_stream", snake_case(&self.operation_id))
    }
}

/// Every operation with `x-sparkbot-pagination`, sorted by operationId; fails, naming the
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
                    "{label}: cannot generate its stream (sparkbot-extras/src/generated_streams.rs)"
                )
            })?,
        );
    }
    ops.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    Ok(ops)
}

fn list_operation(
    spec: &Value,
    operation: Operation<'_>,
    id: &str,
    pagination: &Value,
) -> anyhow::Result<ListOperation> {
    let Operation {
        path,
        method,
        item,
        op,
    } = operation;
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
    let mut required: Vec<String> = params
        .iter()
        .filter(|p| p.get("required").and_then(Value::as_bool) == Some(true))
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .map(snake_case)
        .collect();
    required.dedup();

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
        route: format!("{} {path}", method.to_uppercase()),
        summary: op
            .get("summary")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_owned()),
        max_size,
        item: name.to_owned(),
        required,
    })
}

fn is_type_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
}

/// progenitor's builder type for an operation: `listChats` → `ListChats`.
fn builder_name(id: &str) -> String {
    let mut chars = id.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// The streams as a Rust file for sparkbot-extras.
pub fn tokens(ops: &[ListOperation]) -> TokenStream {
    let methods = ops.iter().map(|op| {
        let method = Ident::new(&op.method(), Span::call_site());
        let call = Ident::new(&snake_case(&op.operation_id), Span::call_site());
        let builder = Ident::new(&builder_name(&op.operation_id), Span::call_site());
        let item = Ident::new(&op.item, Span::call_site());
        let max_size = op.max_size;
        let summary = op
            .summary
            .as_deref()
            .map(|s| format!(" ({})", s.trim_end_matches('.')))
            .unwrap_or_default();
        let mut doc = vec![
            format!(
                " Streams every item of `{}`{summary}: `{}`, page by page.",
                op.operation_id, op.route
            ),
            String::new(),
            format!(
                " `configure` sets the request's parameters on the generated builder \
                 [`builder::{builder}`]; the stream sets `page` and `size` itself ({max_size} items \
                 per page, the largest page the evidence shows the endpoint accepting) and fetches \
                 each page, under the retry \
                 policy, when the previous one is used up. A short page ends the stream."
            ),
        ];
        if !op.required.is_empty() {
            let names: Vec<String> = op.required.iter().map(|r| format!("`{r}`")).collect();
            doc.push(String::new());
            doc.push(format!(
                " Required: {}; without {}, the first page fails with [`Error::InvalidInput`](crate::Error::InvalidInput).",
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" }
            ));
        }
        doc.push(String::new());
        doc.push(format!(
            " The low-level call is [`Client::{call}`](sparkbot_api::Client::{call}); for another \
             page size or loop guard, use [`SparkBot::paginate`]."
        ));
        quote! {
            #( #[doc = #doc] )*
            pub fn #method<C>(&self, configure: C) -> PageStream<types::#item>
            where
                C: for<'a> Fn(builder::#builder<'a>) -> builder::#builder<'a> + Send + Sync + 'static,
            {
                let configure = Arc::new(configure);
                self.paginate(Paging::with_max_size(#max_size), move |api, page| {
                    let configure = Arc::clone(&configure);
                    async move {
                        configure(api.#call())
                            .page(page.number)
                            .size(page.size)
                            .send()
                            .await
                    }
                })
            }
        }
    });
    quote! {
        //! One stream per list endpoint of the spec (`x-sparkbot-pagination`), as methods of
        //! [`SparkBot`]: `<operation>_stream`.

        use std::sync::Arc;

        use sparkbot_api::{builder, types};

        use crate::client::SparkBot;
        use crate::paging::{PageStream, Paging};

        impl SparkBot {
            #( #methods )*
        }
    }
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
    fn paginated_operations_are_found_with_their_item_type_and_required_parameters() {
        let ops = collect(&spec(json!({"$ref": "#/components/schemas/Label"}), 100)).unwrap();
        assert_eq!(
            ops,
            [ListOperation {
                operation_id: "listLabels".into(),
                route: "GET /devices/{deviceId}/labels".into(),
                summary: Some("List labels".into()),
                max_size: 100,
                item: "Label".into(),
                required: vec!["device_id".into()],
            }]
        );
        assert_eq!(ops[0].method(), "list_labels_stream");
        let file: syn::File = syn::parse2(tokens(&ops)).unwrap();
        let text = prettyplease::unparse(&file);
        assert!(text.contains("pub fn list_labels_stream<C>"), "{text}");
        assert!(text.contains("PageStream<types::Label>"), "{text}");
        assert!(text.contains("builder::ListLabels<'a>"), "{text}");
        assert!(text.contains("Paging::with_max_size(100u64)"), "{text}");
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
