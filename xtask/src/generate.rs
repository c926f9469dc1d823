//! `cargo xtask generate`: spec → overlay → progenitor → prettyplease → checked-in Rust, with the
//! tables appended to the client (request limits, operation facts, operation names, and the
//! list-endpoint streams of `streams.rs`).

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use anyhow::{Context, bail};
use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use serde_json::Value;

use crate::spec_walk::METHODS;
use crate::{
    constraints, open_enums, operation_facts, operation_names, overlay, spec_io, streams,
    workspace_root,
};

/// The generated client module of sparkbot-api.
pub const CLIENT_FILE: &str = "sparkbot-api/src/generated.rs";
/// The generated typed httpmock extension: the `mocks` feature of sparkbot-testkit (the tests
/// crate re-exports it).
pub const MOCK_FILE: &str = "sparkbot-testkit/src/generated_mock.rs";

/// Files earlier generators wrote that are generated no more: `generate` deletes them (when they
/// still carry the `@generated` header) and `generate --check` fails while one exists.
pub const RETIRED_FILES: &[&str] = &[
    // The 19 `SparkBot::<op>_stream` methods, now `stream()` on each list builder of sparkbot-api.
    "sparkbot-extras/src/generated_streams.rs",
    // The typed mocks, now MOCK_FILE in sparkbot-testkit (feature `mocks`).
    "tests/src/generated_mock.rs",
];

/// One generated file: where it goes (relative to the workspace root) and what it holds.
pub struct Output {
    pub path: &'static str,
    pub contents: String,
}

/// Generates (or with `check`, verifies) every generated file.
pub fn run(spec_path: &Path, check: bool, verbose: bool) -> anyhow::Result<ExitCode> {
    let root = workspace_root();
    let label = spec_path
        .strip_prefix(&root)
        .unwrap_or(spec_path)
        .display()
        .to_string();
    let raw = spec_io::read_value(spec_path)?;
    let (outputs, log) = render(&raw, &label)?;
    if !check {
        for line in &log {
            eprintln!("overlay: {line}");
        }
    }
    let mut stale = Vec::new();
    for output in &outputs {
        let target: PathBuf = root.join(output.path);
        let current = std::fs::read_to_string(&target).unwrap_or_default();
        if current == output.contents {
            continue;
        }
        if check {
            stale.push((output, current));
        } else {
            std::fs::write(&target, &output.contents)
                .with_context(|| format!("cannot write {}", target.display()))?;
            eprintln!(
                "wrote {} ({} lines)",
                output.path,
                output.contents.lines().count()
            );
        }
    }
    let mut retired = Vec::new();
    for path in RETIRED_FILES {
        let target = root.join(path);
        let Ok(current) = std::fs::read_to_string(&target) else {
            continue;
        };
        if check {
            retired.push(*path);
        } else if current.starts_with("// @generated") {
            std::fs::remove_file(&target)
                .with_context(|| format!("cannot remove {}", target.display()))?;
            eprintln!("removed {path} (no longer generated)");
        } else {
            bail!(
                "{path} is no longer generated but does not carry the @generated header: move or delete it by hand"
            );
        }
    }
    if !check {
        return Ok(ExitCode::SUCCESS);
    }
    for path in &retired {
        eprintln!("STALE: {path} is no longer generated; delete it");
    }
    if stale.is_empty() && retired.is_empty() {
        eprintln!("generated files are up to date with {label}");
        return Ok(ExitCode::SUCCESS);
    }
    for (output, current) in &stale {
        let diff = similar::TextDiff::from_lines(current.as_str(), output.contents.as_str());
        let changed = diff
            .ops()
            .iter()
            .filter(|op| op.tag() != similar::DiffTag::Equal)
            .count();
        eprintln!(
            "STALE: {} differs from what {label} generates ({changed} changed hunk(s))",
            output.path
        );
        if verbose {
            eprintln!(
                "{}",
                diff.unified_diff()
                    .context_radius(3)
                    .header("committed", "generated")
            );
        }
    }
    eprintln!("run `cargo xtask generate` and commit the result (add -v to see the diff)");
    Ok(ExitCode::from(1))
}

/// Renders the generated files from a raw spec value; returns them with the overlay log.
pub fn render(raw: &Value, label: &str) -> anyhow::Result<(Vec<Output>, Vec<String>)> {
    open_enums::reject_inline_enums(raw)?;
    let list_ops = streams::collect(raw)?;
    let names = operation_names::collect(raw);
    let mut value = raw.clone();
    let mut log = overlay::apply(&mut value);
    let enums = open_enums::collect(&value)?;
    let limits = constraints::collect(&value);
    let facts = operation_facts::collect(&value)?;
    let (mock_value, mock_log) = overlay::for_mocks(&value);
    let spec = spec_io::to_openapi(value, label)?;
    let mock_spec = spec_io::to_openapi(mock_value, label)?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        // The pipeline's state (retry policy, body limits, key) rides on the client itself,
        // so every generated call and every hand-written one passes the same hooks with it.
        .with_inner_type(quote::quote!(crate::pipeline::Pipeline));
    for e in &enums {
        settings.with_replacement(
            &e.name,
            format!("crate::types::{}", e.name),
            [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
        );
    }

    let mut generator = Generator::new(&settings);
    let client = guarded(|| generator.generate_tokens(&spec))
        .map_err(|failure| anyhow::anyhow!("{}", explain_failure(&spec, &settings, failure)))?;
    let mock = guarded(|| generator.httpmock(&mock_spec, "sparkbot_api"))
        .map_err(|failure| anyhow::anyhow!("generating the httpmock module: {failure}"))?;

    let mut client_file: syn::File =
        syn::parse2(client).context("progenitor emitted tokens that are not a Rust file")?;
    operation_names::check_against_client(&names, &client_file)?;
    let mut enum_items = Vec::new();
    for e in &enums {
        let file: syn::File = syn::parse2(open_enums::tokens(e)?)
            .with_context(|| format!("open enum {} did not parse", e.name))?;
        enum_items.extend(file.items);
    }
    inject_into_types(&mut client_file, enum_items)?;
    let limits_file: syn::File = syn::parse2(constraints::tokens(&limits))
        .context("the request-limit table did not parse")?;
    client_file.items.extend(limits_file.items);
    let facts_file: syn::File = syn::parse2(operation_facts::tokens(&facts))
        .context("the operation-facts table did not parse")?;
    client_file.items.extend(facts_file.items);
    let names_file: syn::File = syn::parse2(operation_names::tokens(&names))
        .context("the operation-name table did not parse")?;
    client_file.items.extend(names_file.items);
    let stream_table = streams::render(&list_ops);
    syn::parse2::<syn::File>(streams::tokens(&list_ops)?)
        .context("the list-endpoint stream table did not parse")?;
    let mock_file: syn::File =
        syn::parse2(mock).context("progenitor emitted httpmock tokens that are not a Rust file")?;

    let client_header = header(label, &log, enums.len());
    log.extend(mock_log);
    let mock_header = header(label, &log, enums.len());
    Ok((
        vec![
            Output {
                path: CLIENT_FILE,
                contents: format!(
                    "{client_header}{}{stream_table}",
                    prettyplease::unparse(&client_file)
                ),
            },
            Output {
                path: MOCK_FILE,
                contents: format!("{mock_header}{}", prettyplease::unparse(&mock_file)),
            },
        ],
        log,
    ))
}

fn header(label: &str, log: &[String], open_enums: usize) -> String {
    let mut h = format!(
        "// @generated by `cargo xtask generate` from {label}. Do not edit: change the spec or\n\
         // the overlay in xtask/src/overlay.rs, then regenerate.\n//\n\
         // {open_enums} named string enums are emitted as open enums (xtask/src/open_enums.rs).\n"
    );
    if log.is_empty() {
        h.push_str("// Overlay: no rewrites.\n");
    } else {
        h.push_str("// Overlay rewrites applied to a copy of the spec:\n");
        for line in log {
            h.push_str(&format!("// - {line}\n"));
        }
    }
    h.push('\n');
    h
}

fn inject_into_types(file: &mut syn::File, items: Vec<syn::Item>) -> anyhow::Result<()> {
    for item in &mut file.items {
        if let syn::Item::Mod(module) = item
            && module.ident == "types"
            && let Some((_, content)) = module.content.as_mut()
        {
            content.extend(items);
            return Ok(());
        }
    }
    bail!("progenitor output has no `types` module to hold the open enums")
}

/// Runs progenitor, turning a panic inside it into an error message instead of a backtrace.
fn guarded<T>(f: impl FnOnce() -> Result<T, progenitor::Error>) -> Result<T, String> {
    let message = Arc::new(Mutex::new(None::<String>));
    let sink = Arc::clone(&message);
    let previous = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let text = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        let place = info
            .location()
            .map(|l| format!(" (at {}:{})", l.file(), l.line()))
            .unwrap_or_default();
        *sink.lock().unwrap_or_else(|e| e.into_inner()) = Some(format!("{text}{place}"));
    }));
    let outcome = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    match outcome {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!(
            "progenitor panicked: {}",
            message
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .unwrap_or_default()
        )),
    }
}

/// Names the operations that make progenitor fail, by generating each one on its own.
fn explain_failure(
    spec: &openapiv3::OpenAPI,
    settings: &GenerationSettings,
    failure: String,
) -> String {
    let mut culprits = Vec::new();
    for (path, item) in &spec.paths.paths {
        let openapiv3::ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            let mut single = spec.clone();
            let mut only = item.clone();
            for m in METHODS {
                if m != method {
                    set_operation(&mut only, m, None);
                }
            }
            set_operation(&mut only, method, Some(op.clone()));
            single.paths.paths.clear();
            single
                .paths
                .paths
                .insert(path.clone(), openapiv3::ReferenceOr::Item(only));
            let mut generator = Generator::new(settings);
            if let Err(why) = guarded(|| generator.generate_tokens(&single)) {
                culprits.push(format!(
                    "  operation {} ({} {path}): {why}",
                    op.operation_id.as_deref().unwrap_or("<no operationId>"),
                    method.to_uppercase()
                ));
            }
        }
    }
    if culprits.is_empty() {
        format!("progenitor failed on the whole spec: {failure}")
    } else {
        format!(
            "progenitor failed: {failure}\noperations that fail on their own:\n{}",
            culprits.join("\n")
        )
    }
}

fn set_operation(item: &mut openapiv3::PathItem, method: &str, op: Option<openapiv3::Operation>) {
    let slot = match method {
        "get" => &mut item.get,
        "put" => &mut item.put,
        "post" => &mut item.post,
        "delete" => &mut item.delete,
        "options" => &mut item.options,
        "head" => &mut item.head,
        "patch" => &mut item.patch,
        _ => &mut item.trace,
    };
    *slot = op;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(id: &str, body: Value) -> Value {
        json!({
            "operationId": id,
            "requestBody": body,
            "responses": {"200": {"description": "ok"}}
        })
    }

    #[test]
    fn a_progenitor_panic_is_reported_naming_the_operation() {
        // Two non-JSON request media types make progenitor 0.15 hit a `todo!()`.
        let spec = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {
                "/fine": {"get": {"operationId": "fine", "responses": {"200": {"description": "ok"}}}},
                "/two": {"post": op("twoBodies", json!({"content": {
                    "text/plain": {"schema": {"type": "string"}},
                    "application/x-www-form-urlencoded": {"schema": {"type": "object"}}
                }}))}
            }
        });
        let err = match render(&spec, "test.yaml") {
            Ok(_) => panic!("generation should fail"),
            Err(err) => err.to_string(),
        };
        assert!(err.contains("progenitor panicked"), "{err}");
        assert!(err.contains("operation twoBodies (POST /two)"), "{err}");
        assert!(!err.contains("operation fine"), "{err}");
    }

    #[test]
    fn a_paginated_operation_with_inline_items_fails_generation_naming_it() {
        let spec = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/things": {"get": {
                "operationId": "listThings",
                "x-sparkbot-pagination": {"maxSize": 50},
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer"}},
                    {"name": "size", "in": "query", "schema": {"type": "integer", "maximum": 50}}
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"type": "object"}}
                }}}}
            }}}
        });
        let err = match render(&spec, "test.yaml") {
            Ok(_) => panic!("generation should fail"),
            Err(err) => format!("{err:#}"),
        };
        assert!(
            err.contains("paginated operation listThings (GET /things)"),
            "{err}"
        );
        assert!(err.contains("inline schema"), "{err}");
    }

    #[test]
    fn a_paginated_operation_becomes_a_row_of_the_client_table() {
        let spec = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/things": {"get": {
                "operationId": "listThings",
                "x-sparkbot-pagination": {"maxSize": 50},
                "parameters": [
                    {"name": "page", "in": "query", "schema": {"type": "integer"}},
                    {"name": "size", "in": "query", "schema": {"type": "integer", "maximum": 50}}
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}
                }}}}
            }}},
            "components": {"schemas": {"Thing": {"type": "object"}}}
        });
        let (outputs, _) = render(&spec, "test.yaml").unwrap();
        assert_eq!(outputs.len(), 2);
        let client = &outputs[0].contents;
        assert!(
            client.ends_with(
                "crate::paging::paginated_operations! {\n    list_things: ListThings => Thing, 50;\n}\n"
            ),
            "{client}"
        );
        // The row's builder is progenitor's.
        assert!(client.contains("pub struct ListThings<'a>"), "{client}");
    }

    #[test]
    fn output_is_deterministic_and_carries_the_overlay_log() {
        let spec = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/d": {"get": {
                "operationId": "getD",
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/S"}}}},
                    "default": {"description": "error"}
                }
            }}},
            "components": {"schemas": {"S": {"type": "string", "enum": ["a", "b"]}}}
        });
        let (first, log) = render(&spec, "test.yaml").unwrap();
        let (second, _) = render(&spec, "test.yaml").unwrap();
        assert_eq!(first[0].contents, second[0].contents);
        assert_eq!(first[1].contents, second[1].contents);
        // The client and the mocks, nothing else: the streams are a table in the client.
        assert_eq!(
            first.iter().map(|o| o.path).collect::<Vec<_>>(),
            [CLIENT_FILE, MOCK_FILE]
        );
        // No paginated operation: the stream table has no rows.
        assert!(
            first[0]
                .contents
                .ends_with("crate::paging::paginated_operations! {\n}\n"),
            "{}",
            first[0].contents
        );
        assert!(
            log.iter()
                .any(|l| l.contains("`default` response re-keyed")),
            "{log:?}"
        );
        assert!(
            first[0]
                .contents
                .contains("// - GET /d (getD): `default` response re-keyed")
        );
        assert!(first[0].contents.contains("Unknown(::std::string::String)"));
    }
}
