//! The registry is the one list of rules: well-formed, documented in
//! `SPEC-DIFF.md` exactly (id, area, classes, meaning), and the only place a
//! rule id is spelled.

use std::collections::BTreeSet;
use std::path::Path;

use super::super::model::Direction;
use super::super::registry::{RULES, Rule, RuleArea};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

#[test]
fn rule_ids_are_unique_kebab_case_and_meanings_are_one_line() {
    let mut seen = BTreeSet::new();
    for r in RULES {
        assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
        assert!(
            !r.id.is_empty()
                && r.id.split('-').all(|w| !w.is_empty()
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "rule id {:?} is not kebab-case",
            r.id
        );
        assert!(
            !r.meaning.trim().is_empty() && !r.meaning.contains('\n') && !r.meaning.contains('|'),
            "rule {}: the meaning must be one line without `|`",
            r.id
        );
    }
    for area in RuleArea::ALL {
        assert!(
            RULES.iter().any(|r| r.area == *area),
            "no rule in area {area:?}"
        );
    }
}

/// One row of a table in the rules chapter of `SPEC-DIFF.md`.
struct DocRow {
    /// The `###` heading above the table.
    heading: String,
    /// The header row's first cell (should be `rule`).
    first_column: String,
    /// The cells of the row.
    cells: Vec<String>,
    /// 1-based line number.
    line: usize,
}

fn cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?.strip_suffix('|')?;
    Some(inner.split('|').map(|c| c.trim().to_string()).collect())
}

/// The table rows under each `###` heading of the `## Rules` chapter.
fn documented_rows(text: &str) -> Vec<DocRow> {
    let mut rows = Vec::new();
    let mut in_rules = false;
    let mut heading = String::new();
    let mut header: Option<Vec<String>> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(title) = line.strip_prefix("## ") {
            in_rules = title == "Rules";
            continue;
        }
        if !in_rules {
            continue;
        }
        if let Some(title) = line.strip_prefix("### ") {
            heading = title.trim().to_string();
            header = None;
            continue;
        }
        let Some(cells) = cells(line) else {
            header = None;
            continue;
        };
        let separator = cells
            .iter()
            .all(|c| c.chars().all(|ch| ch == '-' || ch == ':'));
        match &header {
            None => header = Some(cells),
            Some(_) if separator => {}
            Some(h) => rows.push(DocRow {
                heading: heading.clone(),
                first_column: h[0].clone(),
                cells,
                line: i + 1,
            }),
        }
    }
    rows
}

/// The cells of the row for `rule` in `SPEC-DIFF.md`: id, class (or request
/// and response for a schema rule), meaning.
fn expected_cells(rule: &Rule) -> Vec<String> {
    let mut cells = vec![format!("`{}`", rule.id)];
    if rule.area == RuleArea::Schemas {
        cells.push(rule.verdict.label(Some(Direction::Request)));
        cells.push(rule.verdict.label(Some(Direction::Response)));
    } else {
        cells.push(rule.verdict.label(None));
    }
    cells.push(rule.meaning.to_string());
    cells
}

fn row_text(cells: &[String]) -> String {
    format!("| {} |", cells.join(" | "))
}

#[test]
fn spec_diff_md_documents_exactly_the_registry() {
    let path = manifest_dir().join("SPEC-DIFF.md");
    let text = std::fs::read_to_string(&path).expect("xtask/SPEC-DIFF.md");
    let mut documented = BTreeSet::new();
    let mut problems = Vec::new();
    for row in documented_rows(&text) {
        let at = format!("SPEC-DIFF.md:{}", row.line);
        if row.first_column != "rule" {
            problems.push(format!(
                "{at}: a table in the rules chapter must start with a `rule` column"
            ));
            continue;
        }
        let id = row.cells[0].trim_matches('`');
        let Some(rule) = rule(id) else {
            problems.push(format!(
                "{at}: `{id}` is documented but is not in the registry"
            ));
            continue;
        };
        if !documented.insert(rule.id) {
            problems.push(format!("{at}: `{id}` is documented twice"));
        }
        if row.heading != rule.area.title() {
            problems.push(format!(
                "{at}: `{id}` belongs under `### {}`, not `### {}`",
                rule.area.title(),
                row.heading
            ));
        }
        let expected = expected_cells(rule);
        if row.cells != expected {
            problems.push(format!(
                "{at}: the row for `{id}` should read\n    {}\n  not\n    {}",
                row_text(&expected),
                row_text(&row.cells)
            ));
        }
    }
    for r in RULES {
        if !documented.contains(r.id) {
            problems.push(format!(
                "`{}` is in the registry but not documented; add under `### {}`:\n    {}",
                r.id,
                r.area.title(),
                row_text(&expected_cells(r))
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "SPEC-DIFF.md and the rule registry disagree:\n{}",
        problems.join("\n")
    );
}

#[test]
fn rule_ids_are_spelled_only_in_the_registry() {
    let dir = manifest_dir().join("src/spec_diff");
    let mut offenders = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("src/spec_diff") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("registry.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a source file");
        for r in RULES {
            if text.contains(&format!("\"{}\"", r.id)) {
                offenders.push(format!("{}: \"{}\"", path.display(), r.id));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "use the registry constants instead of rule id strings:\n{}",
        offenders.join("\n")
    );
}
