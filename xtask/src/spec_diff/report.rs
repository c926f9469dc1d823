//! Rendering: plain text (default), JSON, and markdown for a pull-request comment.

use std::fmt::Write as _;

use serde::Serialize;

use super::accept::Acceptance;
use super::model::{Change, Class};

/// A change plus its acknowledgement, if one applies.
#[derive(Debug, Serialize)]
pub struct Entry {
    /// The change.
    #[serde(flatten)]
    pub change: Change,
    /// The reason from the acceptance file, for an acknowledged breaking change.
    pub accepted: Option<String>,
}

/// Counts per class.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Breaking changes, acknowledged or not.
    pub breaking: usize,
    /// Of those, acknowledged in the acceptance file.
    pub accepted: usize,
    /// Non-breaking changes.
    pub non_breaking: usize,
    /// Changes no rule classified.
    pub unclassified: usize,
}

/// Everything one run found.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The base spec as named on the command line.
    pub base: String,
    /// The head spec as named on the command line.
    pub head: String,
    /// Counts.
    pub summary: Summary,
    /// The changes, in report order.
    pub changes: Vec<Entry>,
    /// Acceptance lines that matched no breaking change.
    pub unused_acceptances: Vec<Acceptance>,
    /// Remarks about the run itself (e.g. the drift cross-check was skipped).
    pub notes: Vec<String>,
    /// Whether the run fails (exit 1).
    pub failed: bool,
}

impl Report {
    /// Pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report is plain data") + "\n"
    }

    /// Human-readable text, grouped by operation.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "spec-diff: {} -> {}", self.base, self.head);
        let _ = writeln!(out, "{}", self.summary_line());
        let mut current = None;
        for entry in &self.changes {
            let c = &entry.change;
            if current != Some(&c.operation) {
                let _ = writeln!(out, "\n{}", c.operation);
                current = Some(&c.operation);
            }
            let class = match (&entry.accepted, c.class) {
                (Some(_), _) => "BREAKING (accepted)".to_string(),
                (None, Class::Breaking) => "BREAKING".to_string(),
                (None, other) => other.label().to_string(),
            };
            let _ = writeln!(out, "  {class:<13} {} at {}", c.area.label(), c.pointer);
            let _ = writeln!(out, "                {} [{}]", c.message, c.rule);
            if let Some(reason) = &entry.accepted {
                let _ = writeln!(out, "                accepted: {reason}");
            }
        }
        if !self.changes.is_empty() {
            out.push('\n');
        }
        for a in &self.unused_acceptances {
            let _ = writeln!(
                out,
                "warning: acceptance line {} ({}) matched no breaking change; delete it",
                a.line, a.subject
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "note: {note}");
        }
        let _ = writeln!(out, "{}", self.verdict());
        out
    }

    /// Markdown for a pull-request comment.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "### Spec diff: `{}` → `{}`\n", self.base, self.head);
        let _ = writeln!(out, "**{}**\n", self.verdict());
        let s = &self.summary;
        let _ = writeln!(out, "| breaking | accepted | non-breaking | unclassified |");
        let _ = writeln!(out, "|---:|---:|---:|---:|");
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |\n",
            s.breaking, s.accepted, s.non_breaking, s.unclassified
        );
        if !self.changes.is_empty() {
            let _ = writeln!(out, "| class | operation | where | change |");
            let _ = writeln!(out, "|---|---|---|---|");
            for entry in &self.changes {
                let c = &entry.change;
                let class = match (&entry.accepted, c.class) {
                    (Some(_), _) => "🟡 breaking (accepted)",
                    (None, Class::Breaking) => "🔴 **breaking**",
                    (None, Class::NonBreaking) => "🟢 non-breaking",
                    (None, Class::Unclassified) => "⚪ unclassified",
                };
                let mut message = format!("{} (`{}`)", md_escape(&c.message), c.rule);
                if let Some(reason) = &entry.accepted {
                    let _ = write!(message, "<br>accepted: {}", md_escape(reason));
                }
                let _ = writeln!(
                    out,
                    "| {class} | `{}` | {} `{}` | {message} |",
                    md_escape(&c.operation),
                    c.area.label(),
                    md_escape(&c.pointer)
                );
            }
            out.push('\n');
        }
        for a in &self.unused_acceptances {
            let _ = writeln!(
                out,
                "- ⚠️ acceptance line {} (`{}`) matched no breaking change; delete it",
                a.line,
                md_escape(&a.subject)
            );
        }
        for note in &self.notes {
            let _ = writeln!(out, "- note: {}", md_escape(note));
        }
        out
    }

    fn summary_line(&self) -> String {
        let s = &self.summary;
        format!(
            "{} breaking ({} accepted), {} non-breaking, {} unclassified",
            s.breaking, s.accepted, s.non_breaking, s.unclassified
        )
    }

    fn verdict(&self) -> String {
        let open = self.summary.breaking - self.summary.accepted;
        if self.failed && open > 0 {
            format!("FAIL: {open} unacknowledged breaking change(s)")
        } else if self.failed {
            format!(
                "FAIL: {} unclassified change(s) (--strict)",
                self.summary.unclassified
            )
        } else {
            "OK: no unacknowledged breaking changes".to_string()
        }
    }
}

/// Keeps table cells intact: pipes and newlines would break the row.
fn md_escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
