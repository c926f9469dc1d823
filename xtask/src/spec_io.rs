//! Reading spec files: YAML or JSON, as a JSON value or as a typed `openapiv3::OpenAPI`.

use std::path::Path;

use anyhow::Context;

/// Parses spec text; YAML is a superset of JSON, but JSON goes through serde_json for exact numbers.
pub fn parse_text(text: &str, origin: &str) -> anyhow::Result<serde_json::Value> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        serde_json::from_str(text).with_context(|| format!("{origin}: not valid JSON"))
    } else {
        serde_yaml::from_str(text).with_context(|| format!("{origin}: not valid YAML"))
    }
}

/// Reads a spec file into a JSON value.
pub fn read_value(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_text(&text, &path.display().to_string())
}

/// Converts a JSON value into the typed OpenAPI document, naming the origin on failure.
pub fn to_openapi(value: serde_json::Value, origin: &str) -> anyhow::Result<openapiv3::OpenAPI> {
    serde_json::from_value(value)
        .with_context(|| format!("{origin}: not an OpenAPI 3.0 document openapiv3 can read"))
}
