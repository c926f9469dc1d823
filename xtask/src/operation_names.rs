//! The public table of every operation's names: operationId, HTTP method, path and progenitor's
//! method name (`sparkbot_api::OPERATIONS`). The tests read their operation names from it, so
//! the generator is the one place that turns an operationId into a method name.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::spec_walk::{operations, snake_case};

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    /// The spec's `operationId` (`listDevices`).
    pub operation_id: String,
    /// The upper-case HTTP method (`GET`).
    pub method: String,
    /// The path template (`/devices/{deviceId}`).
    pub path: String,
    /// progenitor's method name on `Client` (`list_devices`).
    pub method_name: String,
    /// `x-sparkbot-handwritten`: left out of generation, its method is hand-written in
    /// sparkbot-api under the same name.
    pub handwritten: bool,
}

/// The names of every operation with an operationId in the spec as written (before the overlay,
/// so the hand-written operations are listed too), sorted by method name.
pub fn collect(spec: &Value) -> Vec<Names> {
    let mut out: Vec<Names> = operations(spec)
        .filter_map(|op| {
            let id = op.id()?;
            Some(Names {
                operation_id: id.to_owned(),
                method: op.method.to_uppercase(),
                path: op.path.to_owned(),
                method_name: snake_case(id),
                handwritten: op.op.get("x-sparkbot-handwritten").and_then(Value::as_bool)
                    == Some(true),
            })
        })
        .collect();
    out.sort_by(|a, b| a.method_name.cmp(&b.method_name));
    out
}

/// Fails naming each row whose method name is not a method of progenitor's `impl Client`, so
/// the table holds the names progenitor generated and not a guess at them.
pub fn check_against_client(names: &[Names], client: &syn::File) -> anyhow::Result<()> {
    let methods: BTreeSet<String> = client
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(imp) if imp.trait_.is_none() => Some(imp),
            _ => None,
        })
        .filter(|imp| matches!(&*imp.self_ty, syn::Type::Path(p) if p.path.is_ident("Client")))
        .flat_map(|imp| &imp.items)
        .filter_map(|item| match item {
            syn::ImplItem::Fn(f) => Some(f.sig.ident.to_string()),
            _ => None,
        })
        .collect();
    let missing: Vec<String> = names
        .iter()
        .filter(|n| !n.handwritten && !methods.contains(&n.method_name))
        .map(|n| {
            format!(
                "{} {} ({}): progenitor generated no `Client::{}`",
                n.method, n.path, n.operation_id, n.method_name
            )
        })
        .collect();
    if !missing.is_empty() {
        anyhow::bail!(
            "the operation-name table disagrees with progenitor:\n  {}",
            missing.join("\n  ")
        );
    }
    Ok(())
}

/// The table as Rust items for the generated file, referring to `crate::OperationName`, with
/// a reference to each `Client::<method_name>` so that a name that is not a method (the
/// hand-written ones included) does not compile.
pub fn tokens(names: &[Names]) -> TokenStream {
    let entries = names.iter().map(|n| {
        let (operation_id, method, path, method_name, handwritten) = (
            &n.operation_id,
            &n.method,
            &n.path,
            &n.method_name,
            n.handwritten,
        );
        quote!(crate::OperationName {
            operation_id: #operation_id,
            method: #method,
            path: #path,
            method_name: #method_name,
            handwritten: #handwritten,
        })
    });
    let methods = names
        .iter()
        .map(|n| syn::Ident::new(&n.method_name, proc_macro2::Span::call_site()));
    quote! {
        /// Every operation of the spec: its operationId, HTTP method, path and the name of its
        /// method on [`Client`], sorted by method name. Written by `cargo xtask generate`.
        pub static OPERATIONS: &[crate::OperationName] = &[
            #( #entries ),*
        ];
        /// Each row of [`OPERATIONS`] names a method of [`Client`].
        const _: () = {
            fn methods_exist() {
                #( let _ = Client::#methods; )*
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_operation_with_an_id_is_a_row_sorted_by_method_name() {
        let spec = json!({"paths": {
            "/m": {"post": {"operationId": "sendMessage"}, "get": {"operationId": "searchMessages"}},
            "/q/{id}": {"get": {"operationId": "getQRCode", "x-sparkbot-handwritten": true}, "delete": {}}
        }});
        let names = collect(&spec);
        let rows: Vec<_> = names
            .iter()
            .map(|n| {
                (
                    n.operation_id.as_str(),
                    n.method.as_str(),
                    n.path.as_str(),
                    n.method_name.as_str(),
                    n.handwritten,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("getQRCode", "GET", "/q/{id}", "get_qr_code", true),
                ("searchMessages", "GET", "/m", "search_messages", false),
                ("sendMessage", "POST", "/m", "send_message", false),
            ]
        );
    }

    #[test]
    fn a_name_progenitor_did_not_generate_is_an_error_naming_the_operation() {
        let client: syn::File = syn::parse_quote! {
            impl Client { pub fn send_message(&self) {} }
            impl Other for Client { fn search_messages(&self) {} }
        };
        let spec = json!({"paths": {
            "/m": {"post": {"operationId": "sendMessage"}, "get": {"operationId": "searchMessages"}},
            "/s": {"get": {"operationId": "scan", "x-sparkbot-handwritten": true}}
        }});
        let err = check_against_client(&collect(&spec), &client)
            .unwrap_err()
            .to_string();
        assert!(err.contains("GET /m (searchMessages)"), "{err}");
        assert!(!err.contains("sendMessage"), "{err}");
        assert!(
            !err.contains("scan"),
            "hand-written methods are not progenitor's: {err}"
        );
    }
}
