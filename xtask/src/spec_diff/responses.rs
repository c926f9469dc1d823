//! Response rules: statuses, their content (via [`super::bodies::content`]) and
//! headers. Response schemas are compared in the response direction.

use serde_json::Value;

use super::bodies::{content, docs_and_unrecognised};
use super::ctx::{Ctx, Op, Scope};
use super::model::{Area, Direction, escape, map_of};
use super::registry::{
    RESPONSE_HEADER_ADDED, RESPONSE_HEADER_REMOVED, RESPONSE_STATUS_ADDED, RESPONSE_STATUS_REMOVED,
    RESPONSE_SUCCESS_STATUS_ADDED, RESPONSE_SUCCESS_STATUS_REMOVED, SCHEMA_REF_UNRESOLVABLE,
};
use super::schema::{SchemaDiff, Side};
use crate::refs::resolve;

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

/// Compares the responses of an operation present on both sides.
pub fn compare<'d>(ctx: &mut Ctx<'d>, b: &Op<'d>, h: &Op<'d>) {
    let br = map_of(b.op, "responses");
    let hr = map_of(h.op, "responses");
    for (status, braw) in br {
        let bptr = format!("{}/responses/{}", b.pointer, escape(status));
        let hptr = format!("{}/responses/{}", h.pointer, escape(status));
        let Some(hraw) = hr.get(status) else {
            status_removed(ctx, status, &bptr);
            continue;
        };
        let (bres, hres) = match (
            resolve(ctx.base, braw, &bptr),
            resolve(ctx.head, hraw, &hptr),
        ) {
            (Ok(x), Ok(y)) => (x, y),
            (Err(e), _) | (_, Err(e)) => {
                ctx.push(Area::Response, &hptr, SCHEMA_REF_UNRESOLVABLE, e);
                continue;
            }
        };
        content(
            ctx,
            Direction::Response,
            Area::Response,
            Side {
                value: bres.value,
                pointer: &bres.pointer,
            },
            Side {
                value: hres.value,
                pointer: &hres.pointer,
            },
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
                RESPONSE_SUCCESS_STATUS_ADDED,
                format!(
                    "success status {status} was added: old clients treat it as `Error::UnexpectedResponse` (and progenitor requires all success responses to share one type)"
                ),
            );
        } else {
            ctx.push(
                Area::Response,
                &hptr,
                RESPONSE_STATUS_ADDED,
                format!("status {status} was added: old clients see it as `Error::UnexpectedResponse`, as before"),
            );
        }
    }
}

fn status_removed(ctx: &mut Ctx<'_>, status: &str, pointer: &str) {
    if is_success(status) {
        ctx.push(
            Area::Response,
            pointer,
            RESPONSE_SUCCESS_STATUS_REMOVED,
            format!("success status {status} was removed: old clients expect it"),
        );
    } else {
        ctx.push(
            Area::Response,
            pointer,
            RESPONSE_STATUS_REMOVED,
            format!(
                "status {status} was removed: if the server still sends it, it now arrives as `Error::UnexpectedResponse` rather than `Error::ErrorResponse`"
            ),
        );
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
                RESPONSE_HEADER_REMOVED,
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
            SchemaDiff::new(Scope {
                ctx,
                dir: Direction::Response,
                area: Area::Response,
            })
            .compare(
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
            RESPONSE_HEADER_ADDED,
            format!("response header `{name}` was added"),
        );
    }
}
