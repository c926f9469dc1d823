//! Operation-level rules: operations, `operationId`, parameters, request bodies,
//! responses, security, and component schemas. Schemas go to [`super::schema`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{Area, Change, Class, Direction, escape, map_of};
use super::schema::{SchemaDiff, Side};
use crate::refs::resolve;
use crate::spec_walk::{METHODS, snake_case};

/// Keys of operations, parameters, bodies and responses that only document.
const DOC_KEYS: &[&str] = &[
    "summary",
    "description",
    "externalDocs",
    "tags",
    "example",
    "examples",
];

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
    /// Records a change about the current subject.
    pub fn push(
        &mut self,
        area: Area,
        pointer: &str,
        class: Class,
        rule: &'static str,
        message: String,
    ) {
        self.changes.push(Change {
            operation: self.subject.clone(),
            area,
            pointer: pointer.to_string(),
            class,
            rule,
            message,
        });
    }
}

/// Compares two validated documents and returns every change found, sorted and deduplicated.
pub fn compare(base: &Value, head: &Value) -> Vec<Change> {
    let mut ctx = Ctx {
        base,
        head,
        subject: String::new(),
        changes: Vec::new(),
    };
    let (bops, hops) = (operations(base), operations(head));
    let head_paths: BTreeSet<&str> = hops.keys().map(|(p, _)| p.as_str()).collect();
    for (key, b) in &bops {
        ctx.subject = b.label();
        match hops.get(key) {
            None if !head_paths.contains(key.0.as_str()) => ctx.push(
                Area::Operation,
                &b.pointer,
                Class::Breaking,
                "path-removed",
                format!(
                    "the path {} was removed, and with it this operation{}",
                    b.path,
                    rust_method(b.op)
                ),
            ),
            None => ctx.push(
                Area::Operation,
                &b.pointer,
                Class::Breaking,
                "operation-removed",
                format!("the operation was removed{}", rust_method(b.op)),
            ),
            Some(h) => {
                ctx.subject = h.label();
                compare_operation(&mut ctx, b, h);
            }
        }
    }
    for (key, h) in &hops {
        if !bops.contains_key(key) {
            ctx.subject = h.label();
            ctx.push(
                Area::Operation,
                &h.pointer,
                Class::NonBreaking,
                "operation-added",
                "a new operation was added".to_string(),
            );
        }
    }
    components(&mut ctx);
    let mut changes = ctx.changes;
    changes.sort_by(|x, y| sort_key(x).cmp(&sort_key(y)).then_with(|| x.cmp(y)));
    changes.dedup();
    changes
}

/// Report order: operations by path then method, component schemas last.
fn sort_key(change: &Change) -> (bool, &str, usize) {
    let (method, path) = change
        .operation
        .split_once(' ')
        .unwrap_or(("", &change.operation));
    let rank = METHODS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(method))
        .unwrap_or(METHODS.len());
    (method == "SCHEMA", path, rank)
}

/// One operation as found in a document.
pub struct Op<'d> {
    path: String,
    method: &'static str,
    op: &'d Value,
    pointer: String,
    path_item: &'d Value,
    path_item_pointer: String,
}

impl Op<'_> {
    fn label(&self) -> String {
        format!("{} {}", self.method.to_uppercase(), self.path)
    }
}

/// Operations keyed by (path with parameter names erased, method): renaming a
/// path parameter does not make a different operation.
fn operations(doc: &Value) -> BTreeMap<(String, &'static str), Op<'_>> {
    let mut out = BTreeMap::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        let item_pointer = format!("#/paths/{}", escape(path));
        let Ok(item) = resolve(doc, item, &item_pointer) else {
            continue;
        };
        for method in METHODS.iter() {
            if let Some(op) = item.value.get(*method).filter(|v| v.is_object()) {
                out.insert(
                    (normalise_path(path), *method),
                    Op {
                        path: path.clone(),
                        method,
                        op,
                        pointer: format!("{}/{method}", item.pointer),
                        path_item: item.value,
                        path_item_pointer: item.pointer.clone(),
                    },
                );
            }
        }
    }
    out
}

/// `/devices/{id}` and `/devices/{deviceId}` are the same route.
pub fn normalise_path(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push_str("{}");
            }
            '}' if depth > 0 => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out
}

fn operation_id(op: &Value) -> Option<&str> {
    op.get("operationId").and_then(Value::as_str)
}

fn rust_method(op: &Value) -> String {
    operation_id(op).map_or_else(String::new, |id| {
        format!(" (Rust method `{}`)", snake_case(id))
    })
}

fn compare_operation<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) {
    match (operation_id(b.op), operation_id(h.op)) {
        (Some(bi), Some(hi)) if bi != hi => ctx.push(
            Area::Operation,
            &format!("{}/operationId", h.pointer),
            Class::Breaking,
            "operation-id-changed",
            format!(
                "operationId changed from `{bi}` to `{hi}`: the Rust method `{}()` becomes `{}()`",
                snake_case(bi),
                snake_case(hi)
            ),
        ),
        (bi, hi) if bi != hi => ctx.push(
            Area::Operation,
            &format!("{}/operationId", h.pointer),
            Class::Breaking,
            "operation-id-changed",
            format!(
                "operationId went from {bi:?} to {hi:?}: progenitor needs one to name the Rust method"
            ),
        ),
        _ => {}
    }
    let handled = [
        "operationId",
        "parameters",
        "requestBody",
        "responses",
        "security",
        "deprecated",
    ];
    let (bo, ho) = (b.op.as_object(), h.op.as_object());
    if let (Some(bo), Some(ho)) = (bo, ho) {
        let keys: BTreeSet<&str> = bo.keys().chain(ho.keys()).map(String::as_str).collect();
        let docs: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| DOC_KEYS.contains(k) || k.starts_with("x-"))
            .filter(|k| bo.get(*k) != ho.get(*k))
            .collect();
        if !docs.is_empty() {
            ctx.push(
                Area::Operation,
                &h.pointer,
                Class::NonBreaking,
                "operation-docs-changed",
                format!("documentation changed ({})", docs.join(", ")),
            );
        }
        if bo.get("deprecated") != ho.get("deprecated") {
            ctx.push(
                Area::Operation,
                &format!("{}/deprecated", h.pointer),
                Class::NonBreaking,
                "operation-deprecation-changed",
                format!(
                    "deprecated changed from {} to {}",
                    bo.get("deprecated").unwrap_or(&Value::Bool(false)),
                    ho.get("deprecated").unwrap_or(&Value::Bool(false))
                ),
            );
        }
        let other: Vec<&str> = keys
            .iter()
            .copied()
            .filter(|k| !handled.contains(k) && !DOC_KEYS.contains(k) && !k.starts_with("x-"))
            .filter(|k| bo.get(*k) != ho.get(*k))
            .collect();
        if !other.is_empty() {
            ctx.push(
                Area::Operation,
                &h.pointer,
                Class::Unclassified,
                "operation-changed-unrecognised",
                format!(
                    "operation keys without a rule changed: {}",
                    other.join(", ")
                ),
            );
        }
    }
    parameters(ctx, b, h);
    request_body(ctx, b, h);
    responses(ctx, b, h);
    security(ctx, b, h);
}

// ---------------------------------------------------------------- parameters

struct Param<'d> {
    name: String,
    location: String,
    value: &'d Value,
    pointer: String,
}

/// Parameter identity: path parameters by position in the template (so a rename
/// is seen as a rename), the others by location and name (headers case-insensitively).
type ParamKey = (String, String);

fn params<'d>(doc: &'d Value, op: &Op<'d>) -> BTreeMap<ParamKey, Param<'d>> {
    let template: Vec<String> = op
        .path
        .split('{')
        .skip(1)
        .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
        .collect();
    let mut out = BTreeMap::new();
    // Path-item parameters first, so operation-level ones override them.
    let sources = [
        (
            op.path_item.get("parameters"),
            format!("{}/parameters", op.path_item_pointer),
        ),
        (
            op.op.get("parameters"),
            format!("{}/parameters", op.pointer),
        ),
    ];
    for (list, list_pointer) in sources {
        let Some(list) = list.and_then(Value::as_array) else {
            continue;
        };
        for (i, raw) in list.iter().enumerate() {
            let Ok(p) = resolve(doc, raw, &format!("{list_pointer}/{i}")) else {
                continue;
            };
            let name = p
                .value
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let location = p
                .value
                .get("in")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let key = match location.as_str() {
                "path" => (
                    "path".to_string(),
                    template
                        .iter()
                        .position(|t| *t == name)
                        .map_or_else(|| name.clone(), |pos| format!("#{pos}")),
                ),
                "header" => (location.clone(), name.to_lowercase()),
                _ => (location.clone(), name.clone()),
            };
            out.insert(
                key,
                Param {
                    name,
                    location,
                    value: p.value,
                    pointer: p.pointer,
                },
            );
        }
    }
    out
}

fn is_required(p: &Value) -> bool {
    p.get("required") == Some(&Value::Bool(true))
}

fn parameters<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) {
    let (bp, hp) = (params(ctx.base, b), params(ctx.head, h));
    for (key, bparam) in &bp {
        let Some(hparam) = hp.get(key) else {
            ctx.push(
                Area::Parameter,
                &bparam.pointer,
                Class::Breaking,
                "parameter-removed",
                format!(
                    "the {} parameter `{}` was removed: its builder setter disappears and old callers still send it",
                    bparam.location, bparam.name
                ),
            );
            continue;
        };
        compare_parameter(ctx, bparam, hparam);
    }
    for (key, hparam) in &hp {
        if bp.contains_key(key) {
            continue;
        }
        let required = is_required(hparam.value) || hparam.location == "path";
        let (class, rule, why) = if required {
            (
                Class::Breaking,
                "parameter-added-required",
                "old callers do not send it",
            )
        } else {
            (
                Class::NonBreaking,
                "parameter-added-optional",
                "old callers may omit it",
            )
        };
        ctx.push(
            Area::Parameter,
            &hparam.pointer,
            class,
            rule,
            format!(
                "a new {} {} parameter `{}` was added: {why}",
                if required { "required" } else { "optional" },
                hparam.location,
                hparam.name
            ),
        );
    }
}

fn compare_parameter<'d>(ctx: &mut Ctx<'d>, b: &Param<'d>, h: &Param<'d>) {
    let what = format!("the {} parameter `{}`", h.location, h.name);
    if b.name != h.name && b.location == "path" {
        ctx.push(
            Area::Parameter,
            &format!("{}/name", h.pointer),
            Class::Breaking,
            "parameter-renamed",
            format!(
                "path parameter `{}` was renamed to `{}`: the Rust builder setter is renamed",
                b.name, h.name
            ),
        );
    }
    if b.name != h.name && b.location == "header" {
        ctx.push(
            Area::Parameter,
            &format!("{}/name", h.pointer),
            Class::NonBreaking,
            "parameter-name-case-changed",
            format!(
                "header `{}` is now spelled `{}`: header names are case-insensitive and the snake-cased Rust setter is unchanged",
                b.name, h.name
            ),
        );
    }
    match (is_required(b.value), is_required(h.value)) {
        (false, true) => ctx.push(
            Area::Parameter,
            &format!("{}/required", h.pointer),
            Class::Breaking,
            "parameter-became-required",
            format!("{what} was optional and is now required: old callers may omit it"),
        ),
        (true, false) => ctx.push(
            Area::Parameter,
            &format!("{}/required", h.pointer),
            Class::NonBreaking,
            "parameter-became-optional",
            format!("{what} was required and is now optional"),
        ),
        _ => {}
    }
    let (Some(bo), Some(ho)) = (b.value.as_object(), h.value.as_object()) else {
        return;
    };
    let keys: BTreeSet<&str> = bo.keys().chain(ho.keys()).map(String::as_str).collect();
    let changed = |k: &&str| bo.get(*k) != ho.get(*k);
    let docs: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| DOC_KEYS.contains(k) || *k == "deprecated" || k.starts_with("x-"))
        .filter(changed)
        .collect();
    if !docs.is_empty() {
        ctx.push(
            Area::Parameter,
            &h.pointer,
            Class::NonBreaking,
            "parameter-docs-changed",
            format!("{what}: documentation changed ({})", docs.join(", ")),
        );
    }
    let wire: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| ["style", "explode", "allowReserved", "allowEmptyValue"].contains(k))
        .filter(changed)
        .collect();
    if !wire.is_empty() {
        ctx.push(
            Area::Parameter,
            &h.pointer,
            Class::Breaking,
            "parameter-serialization-changed",
            format!(
                "{what}: serialization changed ({}): the value goes on the wire differently",
                wire.join(", ")
            ),
        );
    }
    let other: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| {
            ![
                "name",
                "in",
                "required",
                "schema",
                "deprecated",
                "style",
                "explode",
                "allowReserved",
                "allowEmptyValue",
            ]
            .contains(k)
                && !DOC_KEYS.contains(k)
                && !k.starts_with("x-")
        })
        .filter(changed)
        .collect();
    if !other.is_empty() {
        ctx.push(
            Area::Parameter,
            &h.pointer,
            Class::Unclassified,
            "parameter-changed-unrecognised",
            format!("{what}: keys without a rule changed: {}", other.join(", ")),
        );
    }
    match (bo.get("schema"), ho.get("schema")) {
        (Some(bs), Some(hs)) => SchemaDiff::new(ctx, Direction::Request, Area::Parameter).compare(
            Side {
                value: bs,
                pointer: &format!("{}/schema", b.pointer),
            },
            Side {
                value: hs,
                pointer: &format!("{}/schema", h.pointer),
            },
            !is_required(b.value) && !is_required(h.value),
        ),
        (None, None) => {}
        _ => ctx.push(
            Area::Parameter,
            &h.pointer,
            Class::Unclassified,
            "parameter-changed-unrecognised",
            format!("{what}: switched between `schema` and `content`; review by hand"),
        ),
    }
}

// -------------------------------------------------------------- request body

fn request_body<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) {
    let base_body =
        b.op.get("requestBody")
            .map(|v| resolve(ctx.base, v, &format!("{}/requestBody", b.pointer)));
    let head_body =
        h.op.get("requestBody")
            .map(|v| resolve(ctx.head, v, &format!("{}/requestBody", h.pointer)));
    let pointer = format!("{}/requestBody", h.pointer);
    let (bb, hb) = match (base_body, head_body) {
        (None, None) => return,
        (Some(Err(e)), _) | (_, Some(Err(e))) => {
            ctx.push(
                Area::RequestBody,
                &pointer,
                Class::Unclassified,
                "schema-ref-unresolvable",
                e,
            );
            return;
        }
        (Some(Ok(bb)), None) => {
            ctx.push(
                Area::RequestBody,
                &bb.pointer,
                Class::Breaking,
                "request-body-removed",
                "the request body was removed: the builder's `.body()` setter disappears and old callers still send one".to_string(),
            );
            return;
        }
        (None, Some(Ok(hb))) => {
            let (class, rule, why) = if is_required(hb.value) {
                (
                    Class::Breaking,
                    "request-body-added-required",
                    "a required body was added: old callers send none",
                )
            } else {
                (
                    Class::NonBreaking,
                    "request-body-added-optional",
                    "an optional body was added",
                )
            };
            ctx.push(Area::RequestBody, &hb.pointer, class, rule, why.to_string());
            return;
        }
        (Some(Ok(bb)), Some(Ok(hb))) => (bb, hb),
    };
    match (is_required(bb.value), is_required(hb.value)) {
        (false, true) => ctx.push(
            Area::RequestBody,
            &format!("{}/required", hb.pointer),
            Class::Breaking,
            "request-body-became-required",
            "the request body was optional and is now required".to_string(),
        ),
        (true, false) => ctx.push(
            Area::RequestBody,
            &format!("{}/required", hb.pointer),
            Class::NonBreaking,
            "request-body-became-optional",
            "the request body was required and is now optional".to_string(),
        ),
        _ => {}
    }
    docs_and_unrecognised(
        ctx,
        Area::RequestBody,
        bb.value,
        hb.value,
        &hb.pointer,
        &["content", "required"],
    );
    content(
        ctx,
        Direction::Request,
        Area::RequestBody,
        bb.value,
        &bb.pointer,
        hb.value,
        &hb.pointer,
        true,
    );
}

/// Compares `content` maps (media type -> schema) of bodies or responses.
#[allow(clippy::too_many_arguments)]
fn content<'d>(
    ctx: &mut Ctx<'d>,
    dir: Direction,
    area: Area,
    b: &'d Value,
    bp: &str,
    h: &'d Value,
    hp: &str,
    success: bool,
) {
    let bc = map_of(b, "content");
    let hc = map_of(h, "content");
    let side = if dir == Direction::Request {
        "request"
    } else {
        "response"
    };
    for (media, bm) in bc {
        let bmp = format!("{bp}/content/{}", escape(media));
        let hmp = format!("{hp}/content/{}", escape(media));
        let Some(hm) = hc.get(media) else {
            let (class, why) = if dir == Direction::Request || success {
                (Class::Breaking, "old callers and clients still use it")
            } else {
                (
                    Class::NonBreaking,
                    "this is an error response; the typed error is lost",
                )
            };
            let rule = if dir == Direction::Request {
                "request-media-type-removed"
            } else {
                "response-media-type-removed"
            };
            ctx.push(
                area,
                &bmp,
                class,
                rule,
                format!("{side} media type `{media}` was removed: {why}"),
            );
            continue;
        };
        match (bm.get("schema"), hm.get("schema")) {
            (Some(bs), Some(hs)) => SchemaDiff::new(ctx, dir, area).compare(
                Side {
                    value: bs,
                    pointer: &format!("{bmp}/schema"),
                },
                Side {
                    value: hs,
                    pointer: &format!("{hmp}/schema"),
                },
                false,
            ),
            (None, None) => {}
            _ => ctx.push(
                area,
                &hmp,
                Class::Unclassified,
                "media-schema-changed",
                format!("the schema of `{media}` was added or removed; review by hand"),
            ),
        }
        docs_and_unrecognised(ctx, area, bm, hm, &hmp, &["schema"]);
    }
    for media in hc.keys().filter(|m| !bc.contains_key(*m)) {
        let rule = if dir == Direction::Request {
            "request-media-type-added"
        } else {
            "response-media-type-added"
        };
        ctx.push(
            area,
            &format!("{hp}/content/{}", escape(media)),
            Class::NonBreaking,
            rule,
            format!("{side} media type `{media}` was added"),
        );
    }
}

/// Reports documentation-only keys as non-breaking and any other unhandled key as unclassified.
fn docs_and_unrecognised(
    ctx: &mut Ctx<'_>,
    area: Area,
    b: &Value,
    h: &Value,
    hp: &str,
    handled: &[&str],
) {
    let (Some(bo), Some(ho)) = (b.as_object(), h.as_object()) else {
        return;
    };
    let keys: BTreeSet<&str> = bo.keys().chain(ho.keys()).map(String::as_str).collect();
    let docs: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| DOC_KEYS.contains(k) || k.starts_with("x-"))
        .filter(|k| bo.get(*k) != ho.get(*k))
        .collect();
    if !docs.is_empty() {
        ctx.push(
            area,
            hp,
            Class::NonBreaking,
            "docs-changed",
            format!("documentation changed ({})", docs.join(", ")),
        );
    }
    let other: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !handled.contains(k) && !DOC_KEYS.contains(k) && !k.starts_with("x-"))
        .filter(|k| bo.get(*k) != ho.get(*k))
        .collect();
    if !other.is_empty() {
        ctx.push(
            area,
            hp,
            Class::Unclassified,
            "changed-unrecognised",
            format!("keys without a rule changed: {}", other.join(", ")),
        );
    }
}

// ----------------------------------------------------------------- responses

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

fn responses<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) {
    let br = map_of(b.op, "responses");
    let hr = map_of(h.op, "responses");
    for (status, braw) in br {
        let bptr = format!("{}/responses/{}", b.pointer, escape(status));
        let hptr = format!("{}/responses/{}", h.pointer, escape(status));
        let Some(hraw) = hr.get(status) else {
            if is_success(status) {
                ctx.push(
                    Area::Response,
                    &bptr,
                    Class::Breaking,
                    "response-success-status-removed",
                    format!("success status {status} was removed: old clients expect it"),
                );
            } else {
                ctx.push(
                    Area::Response,
                    &bptr,
                    Class::NonBreaking,
                    "response-status-removed",
                    format!(
                        "status {status} was removed: if the server still sends it, it now arrives as `Error::UnexpectedResponse` rather than `Error::ErrorResponse`"
                    ),
                );
            }
            continue;
        };
        let (bres, hres) = match (
            resolve(ctx.base, braw, &bptr),
            resolve(ctx.head, hraw, &hptr),
        ) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(e), _) | (_, Err(e)) => {
                ctx.push(
                    Area::Response,
                    &hptr,
                    Class::Unclassified,
                    "schema-ref-unresolvable",
                    e,
                );
                continue;
            }
        };
        content(
            ctx,
            Direction::Response,
            Area::Response,
            bres.value,
            &bres.pointer,
            hres.value,
            &hres.pointer,
            is_success(status),
        );
        headers(ctx, bres.value, &bres.pointer, hres.value, &hres.pointer);
        docs_and_unrecognised(
            ctx,
            Area::Response,
            bres.value,
            hres.value,
            &hres.pointer,
            &["content", "headers"],
        );
    }
    for status in hr.keys().filter(|s| !br.contains_key(*s)) {
        let hptr = format!("{}/responses/{}", h.pointer, escape(status));
        if is_success(status) {
            ctx.push(
                Area::Response,
                &hptr,
                Class::Breaking,
                "response-success-status-added",
                format!(
                    "success status {status} was added: old clients treat it as `Error::UnexpectedResponse` (and progenitor requires all success responses to share one type)"
                ),
            );
        } else {
            ctx.push(
                Area::Response,
                &hptr,
                Class::NonBreaking,
                "response-status-added",
                format!("status {status} was added: old clients see it as `Error::UnexpectedResponse`, as before"),
            );
        }
    }
}

fn headers<'d>(ctx: &mut Ctx<'d>, b: &'d Value, bp: &str, h: &'d Value, hp: &str) {
    let bh = map_of(b, "headers");
    let hh = map_of(h, "headers");
    for (name, braw) in bh {
        let bptr = format!("{bp}/headers/{}", escape(name));
        let hptr = format!("{hp}/headers/{}", escape(name));
        let Some(hraw) = hh.get(name) else {
            ctx.push(
                Area::Response,
                &bptr,
                Class::Breaking,
                "response-header-removed",
                format!("response header `{name}` was removed: callers reading it get nothing"),
            );
            continue;
        };
        let (Ok(bres), Ok(hres)) = (
            resolve(ctx.base, braw, &bptr),
            resolve(ctx.head, hraw, &hptr),
        ) else {
            continue;
        };
        if let (Some(bs), Some(hs)) = (bres.value.get("schema"), hres.value.get("schema")) {
            SchemaDiff::new(ctx, Direction::Response, Area::Response).compare(
                Side {
                    value: bs,
                    pointer: &format!("{}/schema", bres.pointer),
                },
                Side {
                    value: hs,
                    pointer: &format!("{}/schema", hres.pointer),
                },
                false,
            );
        }
    }
    for name in hh.keys().filter(|n| !bh.contains_key(*n)) {
        ctx.push(
            Area::Response,
            &format!("{hp}/headers/{}", escape(name)),
            Class::NonBreaking,
            "response-header-added",
            format!("response header `{name}` was added"),
        );
    }
}

// ------------------------------------------------------------------ security

/// Effective security: the operation's own list, else the document's. `None`
/// when no credentials are needed (no list, an empty list, or an empty `{}`
/// alternative).
fn effective_security<'d>(doc: &'d Value, op: &Op<'d>) -> (Option<BTreeSet<String>>, String) {
    let (list, pointer) = match op.op.get("security") {
        Some(list) => (Some(list), format!("{}/security", op.pointer)),
        None => (doc.get("security"), "#/security".to_string()),
    };
    let Some(list) = list.and_then(Value::as_array) else {
        return (None, pointer);
    };
    let alternatives: BTreeSet<String> = list.iter().map(Value::to_string).collect();
    if alternatives.is_empty()
        || list
            .iter()
            .any(|r| r.as_object().is_some_and(|o| o.is_empty()))
    {
        (None, pointer)
    } else {
        (Some(alternatives), pointer)
    }
}

fn security(ctx: &mut Ctx<'_>, b: &Op<'_>, h: &Op<'_>) {
    let (bs, bptr) = effective_security(ctx.base, b);
    let (hs, hptr) = effective_security(ctx.head, h);
    match (bs, hs) {
        (None, Some(_)) => ctx.push(
            Area::Security,
            &hptr,
            Class::Breaking,
            "security-added",
            "the operation now requires credentials where it needed none: old callers send none"
                .to_string(),
        ),
        (Some(_), None) => ctx.push(
            Area::Security,
            &bptr,
            Class::NonBreaking,
            "security-removed",
            "the operation no longer requires credentials".to_string(),
        ),
        (Some(x), Some(y)) if x != y => ctx.push(
            Area::Security,
            &hptr,
            Class::Unclassified,
            "security-changed",
            "the accepted security requirements changed; review by hand".to_string(),
        ),
        _ => {}
    }
}

// ---------------------------------------------------------------- components

/// progenitor emits a Rust type for every component schema, used or not, so
/// removing one removes a public type.
fn components(ctx: &mut Ctx<'_>) {
    let schemas = |doc: &'_ Value| -> serde_json::Map<String, Value> {
        doc.get("components")
            .map(|c| map_of(c, "schemas").clone())
            .unwrap_or_default()
    };
    let (bs, hs) = (schemas(ctx.base), schemas(ctx.head));
    for name in bs.keys().filter(|n| !hs.contains_key(*n)) {
        ctx.subject = format!("SCHEMA {name}");
        ctx.push(
            Area::Component,
            &format!("#/components/schemas/{}", escape(name)),
            Class::Breaking,
            "component-schema-removed",
            format!(
                "component schema `{name}` was removed: the Rust type `types::{name}` disappears"
            ),
        );
    }
    for name in hs.keys().filter(|n| !bs.contains_key(*n)) {
        ctx.subject = format!("SCHEMA {name}");
        ctx.push(
            Area::Component,
            &format!("#/components/schemas/{}", escape(name)),
            Class::NonBreaking,
            "component-schema-added",
            format!("component schema `{name}` was added (new Rust type `types::{name}`)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameter_names_do_not_identify_routes() {
        assert_eq!(normalise_path("/d/{deviceId}/m/{id}"), "/d/{}/m/{}");
    }
}
