//! `spec-diff` behaviour beyond single fixtures: `git:` input, output formats,
//! determinism, usage errors, and the open-enum fact the enum rule relies on.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(case: &str, stem: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec-diff")
        .join(case)
        .join(format!("{stem}.yaml"))
        .to_string_lossy()
        .into_owned()
}

fn spec_diff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("spec-diff")
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("spec-diff-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

/// A repository with two commits of `spec/api.yaml`: base, then head (a parameter removed).
fn repo_with_history(name: &str) -> Scratch {
    let scratch = Scratch::new(name);
    let dir = &scratch.0;
    git(dir, &["init", "-q"]);
    std::fs::create_dir_all(dir.join("spec")).unwrap();
    std::fs::copy(
        fixture("parameter-removed", "base"),
        dir.join("spec/api.yaml"),
    )
    .unwrap();
    git(dir, &["add", "spec/api.yaml"]);
    git(dir, &["commit", "-q", "-m", "base"]);
    std::fs::copy(
        fixture("parameter-removed", "head"),
        dir.join("spec/api.yaml"),
    )
    .unwrap();
    git(dir, &["commit", "-q", "-am", "head"]);
    scratch
}

#[test]
fn git_revisions_on_both_sides() {
    let repo = repo_with_history("both");
    let dir = repo.0.to_string_lossy().into_owned();
    let out = spec_diff(&[
        "git:HEAD~1:spec/api.yaml",
        "git:HEAD:spec/api.yaml",
        "--repo",
        &dir,
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stdout(&out).contains("[parameter-removed]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn git_revision_against_a_working_file() {
    let repo = repo_with_history("mixed");
    let dir = repo.0.to_string_lossy().into_owned();
    let file = repo.0.join("spec/api.yaml").to_string_lossy().into_owned();
    // HEAD and the working file are identical: nothing changes.
    let out = spec_diff(&["git:HEAD:spec/api.yaml", &file, "--repo", &dir]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    assert!(stdout(&out).contains("0 breaking"), "{}", stdout(&out));
}

#[test]
fn git_bad_revision_is_a_usage_error() {
    let repo = repo_with_history("badrev");
    let dir = repo.0.to_string_lossy().into_owned();
    let out = spec_diff(&[
        "git:no-such-rev:spec/api.yaml",
        "git:HEAD:spec/api.yaml",
        "--repo",
        &dir,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("git show no-such-rev:spec/api.yaml failed"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn git_source_without_a_path_is_a_usage_error() {
    let out = spec_diff(&["git:HEAD", "git:HEAD:spec/sparkbot.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("expected git:REV:PATH"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn missing_file_is_a_usage_error() {
    let out = spec_diff(&["/no/such/base.yaml", &fixture("identical", "head")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read /no/such/base.yaml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn clap_usage_errors_exit_2() {
    assert_eq!(spec_diff(&[]).status.code(), Some(2));
    let base = fixture("identical", "base");
    assert_eq!(
        spec_diff(&[&base, &base, "--format", "xml"]).status.code(),
        Some(2)
    );
}

#[test]
fn text_output_names_operation_location_class_and_verdict() {
    let out = spec_diff(&[
        &fixture("parameter-removed", "base"),
        &fixture("parameter-removed", "head"),
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("\nGET /items\n"), "{text}");
    assert!(
        text.contains("BREAKING      parameter at #/paths/~1items/get/parameters/0"),
        "{text}"
    );
    assert!(
        text.contains("the query parameter `limit` was removed"),
        "{text}"
    );
    assert!(
        text.contains("FAIL: 1 unacknowledged breaking change(s)"),
        "{text}"
    );
}

#[test]
fn markdown_output_is_a_table_for_pull_requests() {
    let case = "operation-removed";
    let out = spec_diff(&[
        &fixture(case, "base"),
        &fixture(case, "head"),
        "--format",
        "markdown",
    ]);
    let md = stdout(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(md.starts_with("### Spec diff:"), "{md}");
    assert!(
        md.contains("| class | operation | where | change |"),
        "{md}"
    );
    assert!(
        md.contains("| 🔴 **breaking** | `DELETE /items/{itemId}` | operation"),
        "{md}"
    );
}

#[test]
fn accepted_break_shows_its_reason_in_every_format() {
    let case = "accepted-break";
    let accept = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec-diff")
        .join(case)
        .join("accept.txt")
        .to_string_lossy()
        .into_owned();
    for format in ["text", "markdown", "json"] {
        let out = spec_diff(&[
            &fixture(case, "base"),
            &fixture(case, "head"),
            "--accept",
            &accept,
            "--format",
            format,
        ]);
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(
            stdout(&out).contains("deleting is replaced by archiving"),
            "{format}: {}",
            stdout(&out)
        );
    }
}

#[test]
fn unused_acceptance_lines_warn_on_stderr_in_machine_formats() {
    let case = "accepted-partially";
    let accept = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/spec-diff")
        .join(case)
        .join("accept.txt")
        .to_string_lossy()
        .into_owned();
    let out = spec_diff(&[
        &fixture(case, "base"),
        &fixture(case, "head"),
        "--accept",
        &accept,
        "--format",
        "json",
    ]);
    assert!(
        stderr(&out)
            .contains("warning: acceptance line 2 (POST /items) matched no breaking change"),
        "{}",
        stderr(&out)
    );
    let text = spec_diff(&[
        &fixture(case, "base"),
        &fixture(case, "head"),
        "--accept",
        &accept,
    ]);
    assert!(
        stdout(&text).contains("warning: acceptance line 2 (POST /items)"),
        "{}",
        stdout(&text)
    );
}

#[test]
fn output_is_deterministic() {
    let case = "schema-renamed";
    let args = [fixture(case, "base"), fixture(case, "head")];
    for format in ["text", "json", "markdown"] {
        let run = || stdout(&spec_diff(&[&args[0], &args[1], "--format", format]));
        let first = run();
        for _ in 0..3 {
            assert_eq!(run(), first, "{format}");
        }
    }
}

#[test]
fn drift_panics_are_contained() {
    // drift 0.2.0 hits `assert!` on a removed media type; we must still report and exit 1.
    let case = "request-media-type-removed";
    let out = spec_diff(&[&fixture(case, "base"), &fixture(case, "head")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("note: drift cross-check skipped"),
        "{}",
        stdout(&out)
    );
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
}

#[test]
fn the_project_spec_diffs_cleanly_against_itself() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/sparkbot.yaml");
    if !spec.exists() {
        return;
    }
    let spec = spec.to_string_lossy().into_owned();
    let out = spec_diff(&[&spec, &spec, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let report: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(report["changes"].as_array().unwrap().len(), 0);
}

/// The enum rule classifies a new value in a named string-enum component as
/// non-breaking for responses because the generated type is open. This checks
/// that fact on the real generated client: an unlisted value decodes, as
/// `Unknown`, instead of failing. (If `ButtonKind` is ever renamed, use any other
/// named string-enum component.)
#[test]
fn generated_string_enums_are_open() {
    use sparkbot_api::types::ButtonKind;
    let known: ButtonKind = serde_json::from_str("\"url\"").expect("a listed value decodes");
    assert_eq!(known, ButtonKind::Url);
    let unknown: ButtonKind =
        serde_json::from_str("\"carrier_pigeon\"").expect("an unlisted value decodes too");
    assert_eq!(unknown, ButtonKind::Unknown("carrier_pigeon".to_string()));
    assert_eq!(
        serde_json::to_string(&unknown).unwrap(),
        "\"carrier_pigeon\""
    );
}
