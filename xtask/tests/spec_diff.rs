//! Fixture-driven tests of `cargo xtask spec-diff`, run through the built binary.
//!
//! Each directory under `tests/fixtures/spec-diff/` holds `base.yaml` (or
//! `.json`), `head.yaml` (or `.json`), an optional `accept.txt` (passed as
//! `--accept`), and `expect.txt`, one expectation a line:
//!
//! - `exit N`: the exit status;
//! - `args A B ...`: extra command-line arguments;
//! - `CLASS RULE [SUBJECT]`: a change with that class (`breaking`,
//!   `non-breaking`, `unclassified`, or `accepted` for an acknowledged break)
//!   and rule exists, on that subject (`METHOD /path` or `SCHEMA Name`);
//! - `absent RULE`: no change has that rule;
//! - `count CLASS N`: exactly N changes have that class;
//! - `message TEXT`: some message contains TEXT;
//! - `unused N`: N acceptance lines matched nothing;
//! - `note TEXT`: some note contains TEXT;
//! - `stderr TEXT`: standard error contains TEXT (for exit 2 cases).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/spec-diff")
}

fn spec_diff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("spec-diff")
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

fn side(dir: &Path, stem: &str) -> String {
    let yaml = dir.join(format!("{stem}.yaml"));
    let path = if yaml.exists() {
        yaml
    } else {
        dir.join(format!("{stem}.json"))
    };
    path.to_string_lossy().into_owned()
}

fn run_case(name: &str) {
    let dir = fixtures().join(name);
    let expect = std::fs::read_to_string(dir.join("expect.txt")).expect("expect.txt");
    let lines: Vec<Vec<&str>> = expect
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.splitn(3, ' ').collect())
        .collect();
    let mut args = vec![
        side(&dir, "base"),
        side(&dir, "head"),
        "--format".into(),
        "json".into(),
    ];
    let accept = dir.join("accept.txt");
    if accept.exists() {
        args.push("--accept".into());
        args.push(accept.to_string_lossy().into_owned());
    }
    for line in lines.iter().filter(|l| l[0] == "args") {
        args.extend(line[1..].join(" ").split(' ').map(String::from));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = spec_diff(&args);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let context = format!("case {name}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let report: Option<Value> = serde_json::from_str(&stdout).ok();
    let changes = || -> Vec<Value> {
        report.as_ref().expect("a JSON report")["changes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    for line in &lines {
        match line[0] {
            "args" => {}
            "exit" => assert_eq!(
                out.status.code(),
                Some(line[1].parse().unwrap()),
                "{context}"
            ),
            "stderr" => assert!(
                stderr.contains(&line[1..].join(" ")),
                "stderr lacks {:?}: {context}",
                line[1..].join(" ")
            ),
            "absent" => assert!(
                !changes().iter().any(|c| c["rule"] == line[1]),
                "rule {} should be absent: {context}",
                line[1]
            ),
            "count" => {
                let n = changes().iter().filter(|c| c["class"] == line[1]).count();
                assert_eq!(n.to_string(), line[2], "count of {}: {context}", line[1]);
            }
            "message" => {
                let text = line[1..].join(" ");
                assert!(
                    changes()
                        .iter()
                        .any(|c| c["message"].as_str().unwrap_or("").contains(&text)),
                    "no message contains {text:?}: {context}"
                );
            }
            "unused" => {
                let report = report.as_ref().expect("a JSON report");
                let n = report["unused_acceptances"].as_array().map_or(0, Vec::len);
                assert_eq!(n.to_string(), line[1], "unused acceptances: {context}");
            }
            "note" => {
                let report = report.as_ref().expect("a JSON report");
                let text = line[1..].join(" ");
                assert!(
                    report["notes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|n| n.as_str().unwrap().contains(&text)),
                    "no note contains {text:?}: {context}"
                );
            }
            class @ ("breaking" | "non-breaking" | "unclassified" | "accepted") => {
                let rule = line[1];
                let subject = line.get(2).copied();
                let found = changes().iter().any(|c| {
                    let class_ok = if class == "accepted" {
                        c["class"] == "breaking" && c["accepted"].is_string()
                    } else {
                        c["class"] == class && (class != "breaking" || c["accepted"].is_null())
                    };
                    class_ok && c["rule"] == rule && subject.is_none_or(|s| c["operation"] == s)
                });
                assert!(found, "expected {class} {rule} {subject:?}: {context}");
            }
            other => panic!("case {name}: unknown expectation {other:?}"),
        }
    }
}

macro_rules! cases {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_case(&stringify!($name).replace('_', "-"));
            }
        )*
        /// Every case listed above, to catch a fixture directory without a test.
        const CASES: &[&str] = &[$(stringify!($name)),*];
    };
}

cases! {
    accepted_break,
    accepted_partially,
    component_schema_removed,
    documentation_only,
    identical,
    json_input,
    operation_added,
    operation_id_renamed,
    operation_removed,
    parameter_added_optional,
    parameter_added_required,
    parameter_became_optional,
    parameter_became_required,
    parameter_format_changed,
    parameter_range_relaxed,
    parameter_removed,
    parameter_serialization_changed,
    parameter_type_changed,
    parse_error_bad_accept_line,
    parse_error_dangling_ref,
    parse_error_not_openapi,
    parse_error_ref_loop,
    parse_error_yaml,
    path_parameter_renamed,
    path_removed,
    recursive_schema_cycle,
    request_body_added_optional,
    request_body_added_required,
    request_body_became_required,
    request_body_removed,
    request_constraint_dropped_changes_rust_type,
    request_constraint_relaxed,
    request_enum_value_added,
    request_enum_value_removed,
    request_max_items_tightened,
    request_max_length_tightened,
    request_media_type_added,
    request_media_type_removed,
    request_pattern_added,
    request_property_added_optional,
    request_property_added_required,
    request_property_became_required,
    request_property_removed,
    request_range_tightened,
    response_constraint_relaxed,
    response_enum_value_added_inline,
    response_enum_value_added_open,
    response_error_status_added,
    response_error_status_removed,
    response_media_type_removed,
    response_oneof_variant_added,
    response_property_added,
    response_property_added_to_closed_object,
    response_property_became_nullable,
    response_property_became_optional,
    response_property_became_required,
    response_property_removed,
    response_property_retyped,
    response_success_status_removed,
    schema_renamed,
    security_added,
    security_added_globally,
    security_removed,
    unclassified_keyword,
    unclassified_strict,
}

#[test]
fn every_fixture_directory_has_a_test() {
    let mut dirs: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().replace('-', "_"))
        .collect();
    dirs.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(dirs, listed);
}
