//! Every operation of the spec must be exercised by some test, so coverage cannot silently drop
//! as the spec grows: this test fails naming each operationId whose client method no test calls.

use std::collections::BTreeSet;
use std::path::Path;

use sparkbot_tests::{snake_case, spec, spec_operations};

fn test_sources(dir: &Path) -> String {
    let mut all = String::new();
    for entry in std::fs::read_dir(dir).expect("tests/it exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "rs")
            && !path.ends_with("coverage.rs")
            && !path.ends_with("main.rs")
        {
            all.push_str(&std::fs::read_to_string(&path).expect("readable test file"));
        }
    }
    all
}

#[test]
fn every_spec_operation_has_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let spec = spec();
    let ids: BTreeSet<String> = spec_operations(&spec)
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert!(
        ids.len() >= 10,
        "suspiciously few operations: {}",
        ids.len()
    );
    let sources = test_sources(&root.join("it"));
    let missing: Vec<String> = ids
        .iter()
        .filter(|id| !sources.contains(&format!(".{}()", snake_case(id))))
        .map(|id| format!("{id} (client method `{}`)", snake_case(id)))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} spec operations are called by no test in tests/it/:\n  {}",
        missing.len(),
        ids.len(),
        missing.join("\n  ")
    );
}

#[test]
fn snake_case_matches_progenitor_method_names() {
    assert_eq!(snake_case("listDevices"), "list_devices");
    assert_eq!(snake_case("scanDeviceQr"), "scan_device_qr");
}
