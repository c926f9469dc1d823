//! `cargo xtask lint`: the spec's house rules, each failure named with its operation.
//!
//! Rules: every operation has a lowerCamelCase `operationId` (unique), a `summary`, a
//! `description`, exactly one tag among the 23 SparkBot sections, `x-sparkbot-evidence` (confirmed |
//! reported | inferred), `x-sparkbot-actions` naming only actions of `spec/sparkbot-actions.json`,
//! and the shared error responses (`4XX` → ClientError, `5XX` → ServerError). Every action of the
//! catalogue is mapped by some operation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::Value;

use crate::spec_io;
use crate::spec_walk::{Operation, operations};

/// The SparkBot node's 23 sections, spelled as the node spells them.
pub const SECTIONS: [&str; 23] = [
    "Chats",
    "Chat Contacts",
    "Chat Messages",
    "Chat Files",
    "Files",
    "Team",
    "Labels",
    "Departments",
    "Quick replies",
    "Queue",
    "WhatsApp session",
    "WhatsApp profile",
    "Business catalog",
    "Campaigns",
    "Meeting Links",
    "User Status",
    "Webhooks",
    "Other",
    "Send messages",
    "Outbound Messages",
    "WhatsApp Numbers",
    "Groups",
    "Channels",
];

/// Lints the spec at `path` against the action catalogue beside it.
pub fn run(path: &Path) -> anyhow::Result<ExitCode> {
    let spec = spec_io::read_value(path)?;
    let catalogue_path = path.with_file_name("sparkbot-actions.json");
    let catalogue: Value = serde_json::from_str(
        &std::fs::read_to_string(&catalogue_path)
            .with_context(|| format!("cannot read {}", catalogue_path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", catalogue_path.display()))?;
    let actions = catalogue_actions(&catalogue)?;
    let report = lint(&spec, &actions);
    for problem in &report.problems {
        eprintln!("lint: {problem}");
    }
    eprintln!("{}", report.summary());
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `"<Section>: <Action>"` for every action of the catalogue.
pub fn catalogue_actions(catalogue: &Value) -> anyhow::Result<BTreeSet<String>> {
    let entries = catalogue
        .as_array()
        .context("the action catalogue must be a JSON array")?;
    entries
        .iter()
        .map(|entry| {
            let resource = entry.get("resource").and_then(Value::as_str);
            let operation = entry.get("operation").and_then(Value::as_str);
            match (resource, operation) {
                (Some(r), Some(o)) => Ok(format!("{r}: {o}")),
                _ => anyhow::bail!("catalogue entry without resource/operation: {entry}"),
            }
        })
        .collect()
}

/// What the lint found.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per broken rule.
    pub problems: Vec<String>,
    /// Operations per section.
    pub per_section: BTreeMap<String, usize>,
    /// Operations per evidence level.
    pub per_evidence: BTreeMap<String, usize>,
    /// Number of operations.
    pub operations: usize,
}

impl Report {
    fn summary(&self) -> String {
        let sections: Vec<String> = SECTIONS
            .iter()
            .map(|s| format!("{s} {}", self.per_section.get(*s).copied().unwrap_or(0)))
            .collect();
        let evidence: Vec<String> = self
            .per_evidence
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!(
            "{} problem(s); {} operations ({}); per section: {}",
            self.problems.len(),
            self.operations,
            evidence.join(", "),
            sections.join(", ")
        )
    }
}

/// Checks `spec` against the rules; `actions` is the catalogue (`"<Section>: <Action>"`).
pub fn lint(spec: &Value, actions: &BTreeSet<String>) -> Report {
    let mut report = Report::default();
    check_declared_tags(spec, &mut report);
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut mapped: BTreeSet<String> = BTreeSet::new();
    for Operation {
        path, method, op, ..
    } in operations(spec)
    {
        report.operations += 1;
        let id = op.get("operationId").and_then(Value::as_str);
        let label = format!(
            "{} {path} ({})",
            method.to_uppercase(),
            id.unwrap_or("no operationId")
        );
        let mut problem = |what: String| report.problems.push(format!("{label}: {what}"));
        match id {
            None => problem("missing operationId".into()),
            Some(id) => {
                if !is_lower_camel(id) {
                    problem(format!(
                        "operationId {id:?} must be lowerCamelCase with no two capitals in a row \
                             (it becomes the Rust method name)"
                    ));
                }
                if let Some(first) = ids.insert(id.to_owned(), label.clone()) {
                    problem(format!(
                        "operationId {id:?} repeats (first used by {first})"
                    ));
                }
            }
        }
        for field in ["summary", "description"] {
            if op
                .get(field)
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
            {
                problem(format!("missing {field}"));
            }
        }
        let tags: Vec<&str> = op
            .get("tags")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        match tags.as_slice() {
            [tag] if SECTIONS.contains(tag) => {
                *report.per_section.entry((*tag).to_owned()).or_default() += 1;
            }
            [tag] => problem(format!(
                "tag {tag:?} is not one of the 23 SparkBot sections"
            )),
            other => problem(format!(
                "needs exactly one tag (a SparkBot section), has {}",
                other.len()
            )),
        }
        match op.get("x-sparkbot-evidence").and_then(Value::as_str) {
            Some(level @ ("confirmed" | "reported" | "inferred")) => {
                *report.per_evidence.entry(level.to_owned()).or_default() += 1;
            }
            Some(other) => problem(format!(
                "x-sparkbot-evidence {other:?} must be confirmed, reported or inferred"
            )),
            None => problem("missing x-sparkbot-evidence".into()),
        }
        match op.get("x-sparkbot-actions").and_then(Value::as_array) {
            None => problem("missing x-sparkbot-actions (use [] when none is known)".into()),
            Some(list) => {
                for action in list {
                    match action.as_str() {
                        Some(a) if actions.contains(a) => {
                            mapped.insert(a.to_owned());
                        }
                        Some(a) => problem(format!(
                            "x-sparkbot-actions names {a:?}, which is not in the action catalogue"
                        )),
                        None => {
                            problem(format!("x-sparkbot-actions entry {action} is not a string"))
                        }
                    }
                }
            }
        }
        for (range, component) in [("4XX", "ClientError"), ("5XX", "ServerError")] {
            let target = format!("#/components/responses/{component}");
            let found = op
                .pointer(&format!("/responses/{range}/$ref"))
                .and_then(Value::as_str);
            if found != Some(target.as_str()) {
                problem(format!("responses must include {range}: $ref {target}"));
            }
        }
    }
    for action in actions.difference(&mapped) {
        report.problems.push(format!(
            "action {action:?} of the catalogue is mapped by no operation"
        ));
    }
    report
}

fn check_declared_tags(spec: &Value, report: &mut Report) {
    let declared: BTreeSet<&str> = spec
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| {
            t.iter()
                .filter_map(|tag| tag.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    for section in SECTIONS {
        if !declared.contains(section) {
            report.problems.push(format!(
                "top-level tags: section {section:?} is not declared"
            ));
        }
    }
}

fn is_lower_camel(id: &str) -> bool {
    let mut chars = id.chars();
    let starts_lower = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    starts_lower
        && id.chars().all(|c| c.is_ascii_alphanumeric())
        && !id
            .as_bytes()
            .windows(2)
            .any(|w| w[0].is_ascii_uppercase() && w[1].is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn catalogue() -> BTreeSet<String> {
        [
            "Chats: Get Chats".to_owned(),
            "Labels: Delete Label".to_owned(),
        ]
        .into_iter()
        .collect()
    }

    fn good_op(id: &str, actions: &[&str]) -> Value {
        json!({
            "operationId": id, "summary": "s", "description": "d", "tags": ["Chats"],
            "x-sparkbot-evidence": "confirmed", "x-sparkbot-actions": actions,
            "responses": {
                "4XX": {"$ref": "#/components/responses/ClientError"},
                "5XX": {"$ref": "#/components/responses/ServerError"}
            }
        })
    }

    fn spec_with(paths: Value) -> Value {
        let tags: Vec<Value> = SECTIONS.iter().map(|s| json!({"name": s})).collect();
        json!({"tags": tags, "paths": paths})
    }

    #[test]
    fn a_clean_spec_passes() {
        let spec = spec_with(json!({
            "/a": {"get": good_op("listChats", &["Chats: Get Chats"])},
            "/b": {"delete": good_op("deleteLabel", &["Labels: Delete Label"])}
        }));
        let report = lint(&spec, &catalogue());
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.operations, 2);
        assert_eq!(report.per_evidence["confirmed"], 2);
    }

    #[test]
    fn each_rule_is_reported_precisely() {
        let mut bad = good_op("getQRCode", &["Chats: Nope"]);
        bad["tags"] = json!(["Chats", "Labels"]);
        bad.as_object_mut().unwrap().remove("summary");
        bad.as_object_mut().unwrap().remove("x-sparkbot-evidence");
        bad["responses"] = json!({});
        let spec = spec_with(json!({
            "/a": {"get": bad, "post": good_op("listChats", &[])},
            "/b": {"get": good_op("listChats", &[])}
        }));
        let problems = lint(&spec, &catalogue()).problems.join("\n");
        for expected in [
            "GET /a (getQRCode): operationId \"getQRCode\" must be lowerCamelCase",
            "GET /a (getQRCode): missing summary",
            "GET /a (getQRCode): needs exactly one tag (a SparkBot section), has 2",
            "GET /a (getQRCode): missing x-sparkbot-evidence",
            "names \"Chats: Nope\", which is not in the action catalogue",
            "GET /a (getQRCode): responses must include 4XX",
            "GET /b (listChats): operationId \"listChats\" repeats (first used by POST /a (listChats))",
            "action \"Chats: Get Chats\" of the catalogue is mapped by no operation",
            "action \"Labels: Delete Label\" of the catalogue is mapped by no operation",
        ] {
            assert!(
                problems.contains(expected),
                "missing {expected:?} in:\n{problems}"
            );
        }
    }

    #[test]
    fn undeclared_sections_and_foreign_tags_fail() {
        let mut op = good_op("listChats", &["Chats: Get Chats", "Labels: Delete Label"]);
        op["tags"] = json!(["Inbox"]);
        let spec = json!({"tags": [{"name": "Chats"}], "paths": {"/a": {"get": op}}});
        let problems = lint(&spec, &catalogue()).problems.join("\n");
        assert!(
            problems.contains("section \"Labels\" is not declared"),
            "{problems}"
        );
        assert!(
            problems.contains("tag \"Inbox\" is not one of the 23"),
            "{problems}"
        );
    }
}
