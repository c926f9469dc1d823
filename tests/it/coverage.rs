//! Every operation of the spec must be exercised by some test, so coverage cannot silently drop
//! as the spec grows: this test fails naming each operationId whose client method no test calls.
//!
//! The operations and their method names are the generator's ([`sparkbot_api::OPERATIONS`]).
//! A call counts only when it is a method-call expression in the syntax tree of a test file
//! (parsed with `syn`), so a comment or a string that spells the call does not.

use std::collections::BTreeSet;
use std::path::Path;

use syn::visit::Visit;

/// The name of every method called in `source` (`x.name(…)`), including calls inside the
/// arguments of macros such as `assert!` that hold expressions.
fn called_methods(source: &str) -> syn::Result<BTreeSet<String>> {
    let file = syn::parse_file(source)?;
    let mut calls = Calls::default();
    calls.visit_file(&file);
    Ok(calls.names)
}

#[derive(Default)]
struct Calls {
    names: BTreeSet<String>,
}

impl<'ast> Visit<'ast> for Calls {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.names.insert(call.method.to_string());
        syn::visit::visit_expr_method_call(self, call);
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        // A macro's input is tokens, not syntax: read as much of it as parses as expressions
        // separated by `,` or `;` (`assert_eq!(a, b)`, `vec![x; n]`, `matches!(e, P)`).
        let exprs = mac
            .parse_body_with(|input: syn::parse::ParseStream| {
                let mut exprs = Vec::new();
                while !input.is_empty() {
                    let Ok(expr) = input.parse::<syn::Expr>() else {
                        break;
                    };
                    exprs.push(expr);
                    if input.parse::<syn::Token![,]>().is_err()
                        && input.parse::<syn::Token![;]>().is_err()
                    {
                        break;
                    }
                }
                // The rest (a pattern, say) is skipped.
                input.step(|cursor| {
                    let mut rest = *cursor;
                    while let Some((_, next)) = rest.token_tree() {
                        rest = next;
                    }
                    Ok(((), rest))
                })?;
                Ok(exprs)
            })
            .unwrap_or_default();
        for expr in &exprs {
            self.visit_expr(expr);
        }
        syn::visit::visit_macro(self, mac);
    }
}

/// Every method called by the test files of `dir`, but for this file and the module list.
fn methods_called_by_tests(dir: &Path) -> BTreeSet<String> {
    let mut all = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("tests/it exists") {
        let path = entry.expect("readable entry").path();
        if path.extension().is_some_and(|e| e == "rs")
            && !path.ends_with("coverage.rs")
            && !path.ends_with("main.rs")
        {
            let source = std::fs::read_to_string(&path).expect("readable test file");
            let calls = called_methods(&source)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
            all.extend(calls);
        }
    }
    all
}

#[test]
fn every_spec_operation_has_a_test() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let operations = sparkbot_api::OPERATIONS;
    assert!(
        operations.len() >= 10,
        "suspiciously few operations: {}",
        operations.len()
    );
    let called = methods_called_by_tests(&root.join("it"));
    let missing: Vec<String> = operations
        .iter()
        .filter(|op| !called.contains(op.method_name))
        .map(|op| {
            format!(
                "{} ({} {}, client method `{}`)",
                op.operation_id, op.method, op.path, op.method_name
            )
        })
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} spec operations are called by no test in tests/it/:\n  {}",
        missing.len(),
        operations.len(),
        missing.join("\n  ")
    );
}

#[test]
fn a_call_in_a_comment_or_a_string_does_not_count() {
    let source = r#"
        // client.in_line_comment().send().await;
        /// client.in_doc_comment().send().await;
        /* client.in_block_comment().send().await; */
        #[test]
        fn t() {
            let s = "client.in_string().send()";
            let r = r"client.in_raw_string()";
            println!("{}", "client.in_macro_string()");
            client.really_called().send();
            assert!(client.called_in_assert().is_ok(), "client.in_message()");
            assert_eq!(vec![x.called_in_vec(); 2], y);
        }
    "#;
    let called = called_methods(source).expect("the snippet parses");
    for name in [
        "really_called",
        "send",
        "called_in_assert",
        "is_ok",
        "called_in_vec",
    ] {
        assert!(called.contains(name), "{name} is called: {called:?}");
    }
    for name in [
        "in_line_comment",
        "in_doc_comment",
        "in_block_comment",
        "in_string",
        "in_raw_string",
        "in_macro_string",
        "in_message",
    ] {
        assert!(!called.contains(name), "{name} is not a call: {called:?}");
    }
}

#[test]
fn the_table_names_progenitor_methods_by_operation_id() {
    let names = |id: &str| {
        let op = sparkbot_api::OPERATIONS
            .iter()
            .find(|op| op.operation_id == id)
            .unwrap_or_else(|| panic!("{id} is an operation"));
        (op.method, op.method_name)
    };
    assert_eq!(names("listDevices"), ("GET", "list_devices"));
    assert_eq!(names("scanDeviceQr"), ("GET", "scan_device_qr"));
    // The table is sorted by method name and names each method once.
    let methods: Vec<&str> = sparkbot_api::OPERATIONS
        .iter()
        .map(|op| op.method_name)
        .collect();
    assert!(methods.windows(2).all(|w| w[0] < w[1]), "{methods:?}");
}
