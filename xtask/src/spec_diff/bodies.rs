//! Request bodies, and the `content` maps (media type -> schema) that request
//! bodies and responses share. Body schemas go to [`super::schema`], in the
//! direction of the body.

use serde_json::Value;

use super::ctx::{Ctx, Op, Scope, changed_keys, is_doc_key, is_required};
use super::model::{Area, Class, Direction, escape, map_of};
use super::registry::{
    CHANGED_UNRECOGNISED, DOCS_CHANGED, Judged, MEDIA_SCHEMA_CHANGED, REQUEST_BODY_ADDED_OPTIONAL,
    REQUEST_BODY_ADDED_REQUIRED, REQUEST_BODY_BECAME_OPTIONAL, REQUEST_BODY_BECAME_REQUIRED,
    REQUEST_BODY_REMOVED, REQUEST_MEDIA_TYPE_ADDED, REQUEST_MEDIA_TYPE_REMOVED,
    RESPONSE_MEDIA_TYPE_ADDED, RESPONSE_MEDIA_TYPE_REMOVED, SCHEMA_REF_UNRESOLVABLE,
};
use super::schema::{SchemaDiff, Side};
use crate::refs::{Resolved, resolve};

/// Compares the request bodies of an operation present on both sides.
pub fn compare_request_body<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) {
    let Some((bb, hb)) = presence(ctx, b, h) else {
        return;
    };
    match (is_required(bb.value), is_required(hb.value)) {
        (false, true) => ctx.push(
            Area::RequestBody,
            &format!("{}/required", hb.pointer),
            REQUEST_BODY_BECAME_REQUIRED,
            "the request body was optional and is now required".to_string(),
        ),
        (true, false) => ctx.push(
            Area::RequestBody,
            &format!("{}/required", hb.pointer),
            REQUEST_BODY_BECAME_OPTIONAL,
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
        Side {
            value: bb.value,
            pointer: &bb.pointer,
        },
        Side {
            value: hb.value,
            pointer: &hb.pointer,
        },
        true,
    );
}

/// Both request bodies, resolved; `None` (after reporting) when a side has
/// none or one cannot be resolved.
fn presence<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) -> Option<(Resolved<'d>, Resolved<'d>)> {
    let base_body =
        b.op.get("requestBody")
            .map(|v| resolve(ctx.base, v, &format!("{}/requestBody", b.pointer)));
    let head_body =
        h.op.get("requestBody")
            .map(|v| resolve(ctx.head, v, &format!("{}/requestBody", h.pointer)));
    match (base_body, head_body) {
        (None, None) => None,
        (Some(Err(e)), _) | (_, Some(Err(e))) => {
            let pointer = format!("{}/requestBody", h.pointer);
            ctx.push(Area::RequestBody, &pointer, SCHEMA_REF_UNRESOLVABLE, e);
            None
        }
        (Some(Ok(bb)), None) => {
            ctx.push(
                Area::RequestBody,
                &bb.pointer,
                REQUEST_BODY_REMOVED,
                "the request body was removed: the builder's `.body()` setter disappears and old callers still send one".to_string(),
            );
            None
        }
        (None, Some(Ok(hb))) => {
            let (rule, why) = if is_required(hb.value) {
                (
                    REQUEST_BODY_ADDED_REQUIRED,
                    "a required body was added: old callers send none",
                )
            } else {
                (REQUEST_BODY_ADDED_OPTIONAL, "an optional body was added")
            };
            ctx.push(Area::RequestBody, &hb.pointer, rule, why.to_string());
            None
        }
        (Some(Ok(bb)), Some(Ok(hb))) => Some((bb, hb)),
    }
}

/// Compares `content` maps (media type -> schema) of bodies or responses;
/// `success` says a response has a 2xx status (always true for requests).
pub fn content<'d>(
    ctx: &mut Ctx<'d>,
    dir: Direction,
    area: Area,
    b: Side<'d, '_>,
    h: Side<'d, '_>,
    success: bool,
) {
    let bc = map_of(b.value, "content");
    let hc = map_of(h.value, "content");
    let side = if dir == Direction::Request {
        "request"
    } else {
        "response"
    };
    for (media, bm) in bc {
        let bmp = format!("{}/content/{}", b.pointer, escape(media));
        let hmp = format!("{}/content/{}", h.pointer, escape(media));
        let Some(hm) = hc.get(media) else {
            media_type_removed(ctx, dir, area, media, &bmp, success);
            continue;
        };
        match (bm.get("schema"), hm.get("schema")) {
            (Some(bs), Some(hs)) => SchemaDiff::new(Scope { ctx, dir, area }).compare(
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
                MEDIA_SCHEMA_CHANGED,
                format!("the schema of `{media}` was added or removed; review by hand"),
            ),
        }
        docs_and_unrecognised(ctx, area, bm, hm, &hmp, &["schema"]);
    }
    for media in hc.keys().filter(|m| !bc.contains_key(*m)) {
        let rule = if dir == Direction::Request {
            REQUEST_MEDIA_TYPE_ADDED
        } else {
            RESPONSE_MEDIA_TYPE_ADDED
        };
        ctx.push(
            area,
            &format!("{}/content/{}", h.pointer, escape(media)),
            rule,
            format!("{side} media type `{media}` was added"),
        );
    }
}

/// A media type of a request body or response present in base only.
fn media_type_removed(
    ctx: &mut Ctx<'_>,
    dir: Direction,
    area: Area,
    media: &str,
    pointer: &str,
    success: bool,
) {
    let (finding, side, why): (Judged, _, _) = if dir == Direction::Request {
        (
            REQUEST_MEDIA_TYPE_REMOVED.into(),
            "request",
            "old callers and clients still use it",
        )
    } else if success {
        (
            RESPONSE_MEDIA_TYPE_REMOVED.with(Class::Breaking),
            "response",
            "old callers and clients still use it",
        )
    } else {
        (
            RESPONSE_MEDIA_TYPE_REMOVED.with(Class::NonBreaking),
            "response",
            "this is an error response; the typed error is lost",
        )
    };
    ctx.push(
        area,
        pointer,
        finding,
        format!("{side} media type `{media}` was removed: {why}"),
    );
}

/// Reports documentation-only keys as non-breaking and any other unhandled key as unclassified.
pub fn docs_and_unrecognised(
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
    let docs = changed_keys(bo, ho, is_doc_key);
    if !docs.is_empty() {
        ctx.push(
            area,
            hp,
            DOCS_CHANGED,
            format!("documentation changed ({})", docs.join(", ")),
        );
    }
    let other = changed_keys(bo, ho, |k| !handled.contains(&k) && !is_doc_key(k));
    if !other.is_empty() {
        ctx.push(
            area,
            hp,
            CHANGED_UNRECOGNISED,
            format!("keys without a rule changed: {}", other.join(", ")),
        );
    }
}
