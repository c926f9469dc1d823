//! A second opinion from oxidecomputer's `drift` crate.
//!
//! Our own rules are authoritative (they know about the Rust client); drift
//! walks the same documents independently, and anything it flags as possibly
//! incompatible on an operation where our rules found nothing in that
//! direction is reported as *unclassified*, so a gap in our rules shows up as
//! a question instead of silence. drift 0.2.0 panics (`assert!`/`todo!`) on
//! some inputs, e.g. an added or removed media type, so it runs under
//! `catch_unwind` and a failure only adds a note.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::Duration;

use drift::{ChangeClass, ChangeComparison};
use serde_json::Value;

use super::model::{Area, Change};
use super::operations::normalise_path;
use super::registry::DRIFT_UNMATCHED;

/// The outcome of the cross-check.
pub struct DriftResult {
    /// Findings no rule of ours covered.
    pub extra: Vec<Change>,
    /// A note when drift could not run.
    pub note: Option<String>,
}

/// Which side of an operation a finding concerns, for de-duplication.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Input,
    Output,
    Structural,
}

fn side_of_area(area: Area) -> Side {
    match area {
        Area::Parameter | Area::RequestBody => Side::Input,
        Area::Response => Side::Output,
        Area::Operation | Area::Security | Area::Component => Side::Structural,
    }
}

/// How long drift may take before its result is given up on.
const DRIFT_DEADLINE: Duration = Duration::from_secs(20);

/// One drift finding, reduced to owned data so it can leave drift's thread.
struct Finding {
    side: Side,
    endpoint: String,
    pointer: String,
    message: String,
}

/// Keeps the findings that may be incompatible, one per path that reached them.
fn summarise(changes: &[drift::Change]) -> Vec<Finding> {
    let mut out = Vec::new();
    for change in changes {
        for info in &change.changes {
            if !matches!(
                info.class,
                ChangeClass::BackwardIncompatible
                    | ChangeClass::Incompatible
                    | ChangeClass::Unhandled
            ) {
                continue;
            }
            for path in &change.paths {
                let side = match path.comparison {
                    ChangeComparison::Input => Side::Input,
                    ChangeComparison::Output => Side::Output,
                    ChangeComparison::Structural => Side::Structural,
                };
                let Some(endpoint) = path
                    .new
                    .endpoint_base()
                    .or_else(|| path.old.endpoint_base())
                else {
                    continue;
                };
                let (base_pointer, _) = path.new.base_and_subpath();
                let subpath = if info.new_subpath.is_empty() {
                    &info.old_subpath
                } else {
                    &info.new_subpath
                };
                let pointer = if subpath.is_empty() {
                    base_pointer.to_string()
                } else {
                    format!("{base_pointer}/{subpath}")
                };
                out.push(Finding {
                    side,
                    endpoint: endpoint.to_string(),
                    pointer,
                    message: format!("\"{}\" ({:?})", info.message, info.class),
                });
            }
        }
    }
    out
}

/// Runs drift on a thread with a deadline and without panic noise.
fn run_drift(base: &Value, head: &Value) -> Result<Vec<Finding>, String> {
    let previous = std::panic::take_hook();
    // Silence drift's panic message; we report the failure ourselves.
    std::panic::set_hook(Box::new(|_| {}));
    // Should drift ever loop, its thread is abandoned (it dies with the
    // process) instead of stalling CI.
    let (sender, receiver) = mpsc::channel();
    let (old, new) = (base.clone(), head.clone());
    std::thread::spawn(move || {
        let outcome = catch_unwind(AssertUnwindSafe(|| drift::compare(&old, &new)))
            .map(|result| result.map(|changes| summarise(&changes)));
        let _ = sender.send(outcome);
    });
    let outcome = receiver.recv_timeout(DRIFT_DEADLINE);
    std::panic::set_hook(previous);
    match outcome {
        Ok(Ok(Ok(findings))) => Ok(findings),
        Ok(Ok(Err(err))) => Err(format!("drift cross-check skipped: {err:#}")),
        Ok(Err(_)) => Err(
            "drift cross-check skipped: drift 0.2.0 gave up on this pair (it cannot handle added or removed media types or path parameters); our own rules still ran"
                .to_string(),
        ),
        Err(_) => Err(format!(
            "drift cross-check skipped: drift did not finish within {} s; our own rules still ran",
            DRIFT_DEADLINE.as_secs()
        )),
    }
}

/// Runs drift and returns what it found beyond `ours`.
pub fn cross_check(base: &Value, head: &Value, ours: &[Change]) -> DriftResult {
    let findings = match run_drift(base, head) {
        Ok(findings) => findings,
        Err(note) => {
            return DriftResult {
                extra: Vec::new(),
                note: Some(note),
            };
        }
    };
    let covered: BTreeSet<(String, String, Side)> = ours
        .iter()
        .filter_map(|c| {
            let (method, path) = c.operation.split_once(' ')?;
            Some((
                method.to_string(),
                normalise_path(path),
                side_of_area(c.area),
            ))
        })
        .collect();
    let mut extra = Vec::new();
    for finding in findings {
        let Some((route, method)) = split_endpoint(&finding.endpoint) else {
            continue;
        };
        let route_key = normalise_path(&route);
        let methods: BTreeSet<String> = match method {
            Some(m) => BTreeSet::from([m]),
            // A path-item-level finding concerns every method we saw on that path.
            None => covered
                .iter()
                .filter(|(_, p, _)| *p == route_key)
                .map(|(m, _, _)| m.clone())
                .collect(),
        };
        for method in methods {
            if covered.contains(&(method.clone(), route_key.clone(), finding.side)) {
                continue;
            }
            let area = match finding.side {
                Side::Input if finding.pointer.contains("param") => Area::Parameter,
                Side::Input => Area::RequestBody,
                Side::Output => Area::Response,
                Side::Structural => Area::Operation,
            };
            extra.push(Change {
                operation: format!("{method} {route}"),
                area,
                pointer: finding.pointer.clone(),
                class: DRIFT_UNMATCHED.class(),
                rule: DRIFT_UNMATCHED.id(),
                message: format!(
                    "drift reports {} and no rule of ours matched; review by hand",
                    finding.message
                ),
            });
        }
    }
    extra.sort();
    extra.dedup();
    DriftResult { extra, note: None }
}

/// `#/paths/~1a~1{id}/get` -> (`/a/{id}`, Some(`GET`)); a path-item pointer has no method.
fn split_endpoint(pointer: &str) -> Option<(String, Option<String>)> {
    let rest = pointer.strip_prefix("#/paths/")?;
    let unescape = |s: &str| s.replace("~1", "/").replace("~0", "~");
    match rest.split_once('/') {
        Some((route, method)) => Some((unescape(route), Some(method.to_uppercase()))),
        None => Some((unescape(rest), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec_diff::model::Class;
    use crate::spec_diff::registry::PARAMETER_NAME_CASE_CHANGED;
    use serde_json::json;

    fn spec(header: &str) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {
                "operationId": "getA",
                "parameters": [{"name": header, "in": "header", "schema": {"type": "string"}}],
                "responses": {"204": {"description": "none"}}
            }}}
        })
    }

    #[test]
    fn findings_our_rules_missed_become_unclassified() {
        // drift keys headers case-sensitively, so a re-cased header looks removed to it.
        let result = cross_check(&spec("X-Trace"), &spec("x-trace"), &[]);
        assert!(result.note.is_none());
        assert!(!result.extra.is_empty());
        assert!(
            result
                .extra
                .iter()
                .all(|c| c.class == Class::Unclassified && c.operation == "GET /a")
        );
    }

    #[test]
    fn findings_on_a_covered_operation_side_are_dropped() {
        let ours = super::super::operations::compare(&spec("X-Trace"), &spec("x-trace"));
        assert!(
            ours.iter()
                .any(|c| c.rule == PARAMETER_NAME_CASE_CHANGED.id())
        );
        let result = cross_check(&spec("X-Trace"), &spec("x-trace"), &ours);
        assert!(result.extra.is_empty(), "{:?}", result.extra);
    }

    #[test]
    fn endpoint_pointers_split_into_route_and_method() {
        assert_eq!(
            split_endpoint("#/paths/~1a~1{id}/get"),
            Some(("/a/{id}".to_string(), Some("GET".to_string())))
        );
        assert_eq!(
            split_endpoint("#/paths/~1a"),
            Some(("/a".to_string(), None))
        );
        assert_eq!(split_endpoint("#/components/schemas/X"), None);
    }
}
