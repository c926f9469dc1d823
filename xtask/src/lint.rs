//! `cargo xtask lint`: the spec's house rules, each failure named with its operation.
//!
//! Rules: every operation has a lowerCamelCase `operationId` (unique), a `summary`, a
//! `description`, exactly one tag among the 23 SparkBot sections, `x-sparkbot-evidence` (node |
//! client | reported | inferred) with the `x-sparkbot-sources` it rests on, `x-sparkbot-actions`
//! naming only actions of the node catalogue (`spec/node-actions.json`), and the shared error
//! responses (`4XX` → ClientError, `5XX` → ServerError). Every action of the catalogue is served
//! exactly as the node calls it ([`catalogue::check`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use serde_json::Value;

use crate::catalogue::{self, Action, NODE_REPO};
use crate::spec_io;
use crate::spec_walk::{Operation, operations};

/// The evidence levels, strongest first, with what each requires of `x-sparkbot-sources`.
pub const EVIDENCE: [&str; 4] = ["node", "client", "reported", "inferred"];

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
    let actions = catalogue::load(&path.with_file_name("node-actions.json"))?;
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
    /// How much of the node's traffic the spec serves.
    pub coverage: catalogue::Coverage,
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
            "{} problem(s); {} operations ({}); {}; per section: {}",
            self.problems.len(),
            self.operations,
            evidence.join(", "),
            self.coverage,
            sections.join(", ")
        )
    }
}

/// Checks `spec` against the rules and the node catalogue `catalogue`.
///
/// Long (about 110 lines) on purpose: one flat list of independent checks over each operation,
/// each a few lines with its message, read top to bottom as the lint's rule book.
pub fn lint(spec: &Value, catalogue: &[Action]) -> Report {
    let mut report = Report::default();
    let actions: BTreeSet<String> = catalogue.iter().map(Action::key).collect();
    check_declared_tags(spec, &mut report);
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
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
            Some(level) if EVIDENCE.contains(&level) => {
                *report.per_evidence.entry(level.to_owned()).or_default() += 1;
                if let Err(why) = check_sources(level, op.get("x-sparkbot-sources")) {
                    problem(why);
                }
            }
            Some(other) => problem(format!(
                "x-sparkbot-evidence {other:?} must be one of {}",
                EVIDENCE.join(", ")
            )),
            None => problem("missing x-sparkbot-evidence".into()),
        }
        match op.get("x-sparkbot-actions").and_then(Value::as_array) {
            None => problem("missing x-sparkbot-actions (use [] when none is known)".into()),
            Some(list) => {
                for action in list {
                    match action.as_str() {
                        Some(a) if actions.contains(a) => {}
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
        if let Some(marker) = op.get("x-sparkbot-idempotent")
            && !marker.is_boolean()
        {
            problem(format!(
                "x-sparkbot-idempotent must be true or false, not {marker}"
            ));
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
    let (problems, coverage) = catalogue::check(spec, catalogue);
    report.problems.extend(problems);
    report.coverage = coverage;
    report
}

/// Every level names where it comes from; `node` names the node's repository, and `client`
/// names something else (the node alone would make it `node`).
fn check_sources(level: &str, sources: Option<&Value>) -> Result<(), String> {
    let list: Vec<&str> = match sources.and_then(Value::as_array) {
        Some(list) => list.iter().filter_map(Value::as_str).collect(),
        None => return Err("missing x-sparkbot-sources (where the evidence is)".into()),
    };
    let named = |s: &&str| s.split_whitespace().count() >= 2;
    if list.is_empty() && level != "inferred" {
        return Err(format!(
            "x-sparkbot-evidence {level} needs x-sparkbot-sources"
        ));
    }
    if let Some(bad) = list.iter().find(|s| !named(s)) {
        return Err(format!(
            "x-sparkbot-sources entry {bad:?} must be `<owner>/<repo> <file>` or `<label> <what>`"
        ));
    }
    let from_node = |s: &&str| s.starts_with(&format!("{NODE_REPO} "));
    match level {
        "node" if !list.iter().any(from_node) => Err(format!(
            "x-sparkbot-evidence node needs a {NODE_REPO} source"
        )),
        "client" if list.iter().all(from_node) => Err(
            "x-sparkbot-evidence client needs a source other than the node (else it is node)"
                .into(),
        ),
        _ => Ok(()),
    }
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

    fn catalogue() -> Vec<Action> {
        serde_json::from_value(json!([
            {"section": "Chats", "action": "Get Chats", "node": "getDeviceChats", "method": "GET",
             "path": "/a", "query": [], "body": [], "source": "src/actions/chats.ts"},
            {"section": "Labels", "action": "Delete Label", "node": "deleteLabel",
             "method": "DELETE", "path": "/b", "query": [], "body": [], "source": "src/actions/labels.ts"}
        ]))
        .unwrap()
    }

    fn good_op(id: &str, actions: &[&str]) -> Value {
        json!({
            "operationId": id, "summary": "s", "description": "d", "tags": ["Chats"],
            "x-sparkbot-evidence": "node", "x-sparkbot-actions": actions,
            "x-sparkbot-sources": ["walichat/n8n-walichat src/actions/chats.ts"],
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
        assert_eq!(report.per_evidence["node"], 2);
        assert_eq!(report.coverage.matched, 2);
    }

    #[test]
    fn each_rule_is_reported_precisely() {
        let mut bad = good_op("getQRCode", &["Chats: Nope"]);
        bad["tags"] = json!(["Chats", "Labels"]);
        bad.as_object_mut().unwrap().remove("summary");
        bad.as_object_mut().unwrap().remove("x-sparkbot-evidence");
        bad["responses"] = json!({});
        bad["x-sparkbot-idempotent"] = json!("yes");
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
            "GET /a (getQRCode): x-sparkbot-idempotent must be true or false",
            "GET /b (listChats): operationId \"listChats\" repeats (first used by POST /a (listChats))",
            "action \"Chats: Get Chats\": GET /a exists but does not name it",
            "action \"Labels: Delete Label\" (deleteLabel, src/actions/labels.ts): no operation DELETE /b",
        ] {
            assert!(
                problems.contains(expected),
                "missing {expected:?} in:\n{problems}"
            );
        }
    }

    #[test]
    fn evidence_names_its_sources() {
        let cases = [
            (
                "node",
                json!(["alresiainc/laravel-wassenger src/Wassenger.php"]),
                "needs a walichat/n8n-walichat source",
            ),
            (
                "client",
                json!(["walichat/n8n-walichat src/actions/chats.ts"]),
                "needs a source other than the node",
            ),
            (
                "reported",
                json!([]),
                "x-sparkbot-evidence reported needs x-sparkbot-sources",
            ),
            (
                "client",
                json!(["justaword"]),
                "must be `<owner>/<repo> <file>`",
            ),
            (
                "confirmed",
                json!(["S1 x"]),
                "x-sparkbot-evidence \"confirmed\" must be one of node, client",
            ),
        ];
        for (level, sources, expected) in cases {
            let mut op = good_op("listChats", &["Chats: Get Chats"]);
            op["x-sparkbot-evidence"] = json!(level);
            op["x-sparkbot-sources"] = sources;
            let problems = lint(&spec_with(json!({"/a": {"get": op}})), &catalogue())
                .problems
                .join("\n");
            assert!(
                problems.contains(expected),
                "{level}: missing {expected:?} in\n{problems}"
            );
        }
        let mut op = good_op("listChats", &["Chats: Get Chats"]);
        op.as_object_mut().unwrap().remove("x-sparkbot-sources");
        let problems = lint(&spec_with(json!({"/a": {"get": op}})), &catalogue())
            .problems
            .join("\n");
        assert!(
            problems.contains("missing x-sparkbot-sources"),
            "{problems}"
        );
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
