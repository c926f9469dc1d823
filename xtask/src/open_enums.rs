//! Open enums: every named string-enum schema becomes a Rust enum with an `Unknown(String)` arm.
//!
//! progenitor (through typify) emits closed enums, so a status value the server adds tomorrow would
//! make today's client fail to decode the whole response. We emit our own enums for the named
//! schemas and tell progenitor to use them instead (`with_replacement`). Parsing a value the
//! caller typed (`FromStr`, `TryFrom<&str>`) stays strict, so a typo is caught before any I/O;
//! only decoding what the server sent is lenient.

use anyhow::{Context, bail};
use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde_json::Value;

/// One named string enum of the spec.
#[derive(Debug, Clone)]
pub struct OpenEnum {
    /// The component schema name (also the Rust type name).
    pub name: String,
    /// The schema's description, for rustdoc.
    pub description: Option<String>,
    /// The wire values, in spec order.
    pub values: Vec<String>,
}

/// Refuses inline enums: they would be generated closed and break on unknown server values.
pub fn reject_inline_enums(spec: &Value) -> anyhow::Result<()> {
    let mut found = Vec::new();
    walk(spec, &mut String::new(), &mut found);
    if found.is_empty() {
        return Ok(());
    }
    bail!(
        "inline `enum` found at {} place(s); declare each as a named schema under \
         components/schemas and `$ref` it:\n  {}",
        found.len(),
        found.join("\n  ")
    )
}

fn walk(node: &Value, pointer: &mut String, found: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if map.contains_key("enum") && !is_component_schema(pointer) {
                found.push(pointer.clone());
            }
            for (key, child) in map {
                if key.starts_with("x-") {
                    continue;
                }
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                walk(child, pointer, found);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                let len = pointer.len();
                pointer.push_str(&format!("/{i}"));
                walk(child, pointer, found);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn is_component_schema(pointer: &str) -> bool {
    pointer
        .strip_prefix("/components/schemas/")
        .is_some_and(|rest| !rest.contains('/'))
}

/// Collects the named string enums of `components/schemas`, sorted by name.
pub fn collect(spec: &Value) -> anyhow::Result<Vec<OpenEnum>> {
    let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    else {
        return Ok(Vec::new());
    };
    let mut enums = Vec::new();
    for (name, schema) in schemas {
        let Some(values) = schema.get("enum").and_then(Value::as_array) else {
            continue;
        };
        if schema.get("type").and_then(Value::as_str) != Some("string") {
            bail!("components/schemas/{name}: only string enums are supported");
        }
        let values = values
            .iter()
            .map(|v| {
                v.as_str().map(str::to_owned).with_context(|| {
                    format!("components/schemas/{name}: non-string enum value {v}")
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let description = schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned);
        enums.push(OpenEnum {
            name: name.clone(),
            description,
            values,
        });
    }
    enums.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(enums)
}

/// `"offline_panel"` → `OfflinePanel`, `"message:in:new"` → `MessageInNew`, `"APPROVED"` → `Approved`.
pub fn variant_name(value: &str) -> String {
    let mut out = String::new();
    for word in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let all_upper = word.chars().all(|c| !c.is_ascii_lowercase());
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            for c in chars {
                out.push(if all_upper { c.to_ascii_lowercase() } else { c });
            }
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// Emits the Rust items for one open enum; they are placed inside the generated `types` module.
///
/// Long (about 130 lines) on purpose: almost all of it is one `quote!` template of the emitted
/// items, which reads best as the code it produces.
pub fn tokens(e: &OpenEnum) -> anyhow::Result<TokenStream> {
    let name = Ident::new(&e.name, Span::call_site());
    let mut variants = Vec::new();
    for value in &e.values {
        let v = variant_name(value);
        if v == "Unknown" {
            bail!(
                "{}: value {value:?} collides with the Unknown fallback",
                e.name
            );
        }
        if variants
            .iter()
            .any(|(existing, _): &(String, String)| *existing == v)
        {
            bail!("{}: two values map to the variant name {v}", e.name);
        }
        variants.push((v, value.clone()));
    }
    let idents: Vec<Ident> = variants
        .iter()
        .map(|(v, _)| Ident::new(v, Span::call_site()))
        .collect();
    let wires: Vec<&str> = variants.iter().map(|(_, w)| w.as_str()).collect();
    let variant_docs: Vec<String> = wires.iter().map(|w| format!("`{w}`")).collect();
    let doc = format!(
        "{}\n\nAn open enum: a value the spec does not list yet decodes as [`{}::Unknown`] \
         instead of failing, while parsing a string you supply (`FromStr`, `TryFrom<&str>`) \
         accepts only the listed values.",
        e.description.as_deref().unwrap_or(&e.name),
        e.name
    );
    // One `#[doc]` per line, so prettyplease prints `///` lines rather than a block comment.
    let doc_lines: Vec<String> = doc.lines().map(|l| format!(" {l}")).collect();
    let type_name = &e.name;
    Ok(quote! {
        #( #[doc = #doc_lines] )*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum #name {
            #( #[doc = #variant_docs] #idents, )*
            /// A value sent by the server that this version of the spec does not list.
            Unknown(::std::string::String),
        }

        impl #name {
            /// The values the spec lists, in spec order.
            pub const KNOWN: &'static [&'static str] = &[ #( #wires, )* ];

            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#idents => #wires, )*
                    Self::Unknown(other) => other.as_str(),
                }
            }

            /// Whether the value is one the spec lists.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Unknown(_))
            }

            /// Decodes a wire value, keeping an unlisted one as `Unknown`; never fails.
            pub fn from_wire(value: &str) -> Self {
                match value {
                    #( #wires => Self::#idents, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for #name {
            type Err = self::error::ConversionError;
            fn from_str(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                match Self::from_wire(value) {
                    Self::Unknown(_) => Err(format!(
                        "invalid {} value {:?}; expected one of: {}",
                        #type_name,
                        value,
                        Self::KNOWN.join(", ")
                    )
                    .into()),
                    known => Ok(known),
                }
            }
        }

        impl ::std::convert::TryFrom<&str> for #name {
            type Error = self::error::ConversionError;
            fn try_from(value: &str) -> ::std::result::Result<Self, self::error::ConversionError> {
                value.parse()
            }
        }

        impl ::std::convert::TryFrom<&::std::string::String> for #name {
            type Error = self::error::ConversionError;
            fn try_from(value: &::std::string::String) -> ::std::result::Result<Self, self::error::ConversionError> {
                value.parse()
            }
        }

        impl ::std::convert::TryFrom<::std::string::String> for #name {
            type Error = self::error::ConversionError;
            fn try_from(value: ::std::string::String) -> ::std::result::Result<Self, self::error::ConversionError> {
                value.parse()
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(deserializer)?;
                Ok(Self::from_wire(&value))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names_follow_rust_conventions() {
        assert_eq!(variant_name("offline_panel"), "OfflinePanel");
        assert_eq!(variant_name("message:in:new"), "MessageInNew");
        assert_eq!(variant_name("APPROVED"), "Approved");
        assert_eq!(variant_name("base64_uri"), "Base64Uri");
        assert_eq!(variant_name("date:desc"), "DateDesc");
        assert_eq!(variant_name("2fa"), "V2fa");
        assert_eq!(variant_name("grayDark"), "GrayDark");
    }

    #[test]
    fn inline_enums_are_rejected_with_their_pointer() {
        let spec = serde_json::json!({
            "components": {"schemas": {
                "Named": {"type": "string", "enum": ["a"]},
                "Obj": {"properties": {"p": {"type": "string", "enum": ["x"]}}}
            }}
        });
        let err = reject_inline_enums(&spec).unwrap_err().to_string();
        assert!(
            err.contains("/components/schemas/Obj/properties/p"),
            "{err}"
        );
        assert!(!err.contains("Named"), "{err}");
    }

    #[test]
    fn colliding_variant_names_are_an_error() {
        let e = OpenEnum {
            name: "E".into(),
            description: None,
            values: vec!["a-b".into(), "a_b".into()],
        };
        assert!(tokens(&e).is_err());
    }
}
