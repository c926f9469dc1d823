//! Every spec-diff rule, declared once: its id, the area it belongs to, the
//! classes it can give, and what it means.
//!
//! The comparisons name rules by these constants, never by string: a
//! [`Fixed`] rule always gives one class, so a finding states only the rule; a
//! [`Varies`] rule depends on the case, so the finding picks one of the
//! declared classes ([`Varies::with`]), which debug builds check. Both are
//! checked when the constant is built: a `Fixed` rule with two classes, or a
//! `Varies` rule with one, does not compile. `xtask/SPEC-DIFF.md` documents
//! exactly this list, which a unit test enforces.

use super::model::{Class, Direction};

/// Which part of the spec a rule compares: the sections of the rules chapter of `SPEC-DIFF.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleArea {
    /// Operations: existence, `operationId`, documentation.
    Operations,
    /// Path, query and header parameters.
    Parameters,
    /// Request bodies and their media types.
    RequestBodies,
    /// Response statuses, media types and headers.
    Responses,
    /// Rules shared by request bodies and responses.
    BodiesAndResponses,
    /// The effective security requirements.
    Security,
    /// Component schemas as Rust types of their own.
    Components,
    /// Schemas, following `$ref`s, judged per direction.
    Schemas,
    /// The cross-check with the `drift` crate.
    CrossCheck,
}

#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "read by the tests that hold SPEC-DIFF.md to the registry"
    )
)]
impl RuleArea {
    /// Every area, in documentation order.
    pub const ALL: &[RuleArea] = &[
        RuleArea::Operations,
        RuleArea::Parameters,
        RuleArea::RequestBodies,
        RuleArea::Responses,
        RuleArea::BodiesAndResponses,
        RuleArea::Security,
        RuleArea::Components,
        RuleArea::Schemas,
        RuleArea::CrossCheck,
    ];

    /// The heading of the area's section in `SPEC-DIFF.md`.
    pub fn title(self) -> &'static str {
        match self {
            RuleArea::Operations => "Operations",
            RuleArea::Parameters => "Parameters",
            RuleArea::RequestBodies => "Request bodies",
            RuleArea::Responses => "Responses",
            RuleArea::BodiesAndResponses => "Request bodies and responses",
            RuleArea::Security => "Security",
            RuleArea::Components => "Components",
            RuleArea::Schemas => "Schemas",
            RuleArea::CrossCheck => "Cross-check with `drift`",
        }
    }
}

/// The classes a rule can give.
#[derive(Clone, Copy, Debug)]
pub enum Verdict {
    /// Judged the same whatever the direction.
    Any(&'static [Class]),
    /// A schema rule, judged per direction; an empty list means the rule never
    /// fires in that direction.
    PerDirection {
        /// The classes in parameters and request bodies.
        request: &'static [Class],
        /// The classes in response bodies and headers.
        response: &'static [Class],
    },
}

impl Verdict {
    /// The classes possible in `dir`, or in any direction for `None`.
    fn classes(self, dir: Option<Direction>) -> (&'static [Class], &'static [Class]) {
        match (self, dir) {
            (Verdict::Any(all), _) => (all, &[]),
            (Verdict::PerDirection { request, .. }, Some(Direction::Request)) => (request, &[]),
            (Verdict::PerDirection { response, .. }, Some(Direction::Response)) => (response, &[]),
            (Verdict::PerDirection { request, response }, None) => (request, response),
        }
    }

    /// Whether the rule may give `class` in `dir` (in any direction for `None`).
    pub fn allows(self, class: Class, dir: Option<Direction>) -> bool {
        let (x, y) = self.classes(dir);
        x.contains(&class) || y.contains(&class)
    }

    /// How `SPEC-DIFF.md` spells the classes in `dir` (`None`: any direction):
    /// `breaking`, `breaking or non-breaking`, or `–` when the rule never fires there.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "read by the tests that hold SPEC-DIFF.md to the registry"
        )
    )]
    pub fn label(self, dir: Option<Direction>) -> String {
        let (x, y) = self.classes(dir);
        let mut labels: Vec<&str> = Vec::new();
        for class in x.iter().chain(y) {
            if !labels.contains(&class.label()) {
                labels.push(class.label());
            }
        }
        if labels.is_empty() {
            "–".to_string()
        } else {
            labels.join(" or ")
        }
    }

    /// The one class of the rule, if it can give only one (checked at compile time for [`Fixed`]).
    const fn single(self) -> Option<Class> {
        let (a, b) = match self {
            Verdict::Any(all) => (all, &[] as &[Class]),
            Verdict::PerDirection { request, response } => (request, response),
        };
        let mut found: Option<Class> = None;
        let mut i = 0;
        while i < a.len() + b.len() {
            let class = if i < a.len() { a[i] } else { b[i - a.len()] };
            match found {
                Some(seen) if seen as u8 != class as u8 => return None,
                _ => found = Some(class),
            }
            i += 1;
        }
        found
    }
}

/// One rule of the registry.
#[derive(Debug)]
pub struct Rule {
    /// The stable id, reported with each change (`[rule-id]` in text output).
    pub id: &'static str,
    /// The section it is documented in.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "read by the tests that hold SPEC-DIFF.md to the registry"
        )
    )]
    pub area: RuleArea,
    /// The classes it can give.
    pub verdict: Verdict,
    /// What it means, in one line.
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "read by the tests that hold SPEC-DIFF.md to the registry"
        )
    )]
    pub meaning: &'static str,
}

/// A rule that always gives one class.
#[derive(Clone, Copy, Debug)]
pub struct Fixed(&'static Rule);

impl Fixed {
    const fn new(rule: &'static Rule) -> Self {
        assert!(
            rule.verdict.single().is_some(),
            "a Fixed rule must have exactly one class"
        );
        Fixed(rule)
    }

    /// The rule.
    pub const fn rule(self) -> &'static Rule {
        self.0
    }

    /// Its id.
    pub const fn id(self) -> &'static str {
        self.0.id
    }

    /// Its one class.
    pub const fn class(self) -> Class {
        match self.0.verdict.single() {
            Some(class) => class,
            None => unreachable!(),
        }
    }
}

/// A rule whose class depends on the case; the finding picks it with [`Varies::with`].
#[derive(Clone, Copy, Debug)]
pub struct Varies(&'static Rule);

impl Varies {
    const fn new(rule: &'static Rule) -> Self {
        assert!(
            rule.verdict.single().is_none(),
            "a Varies rule must have more than one class"
        );
        Varies(rule)
    }

    /// The rule.
    pub const fn rule(self) -> &'static Rule {
        self.0
    }

    /// Its id.
    #[cfg(test)]
    pub const fn id(self) -> &'static str {
        self.0.id
    }

    /// A finding of this rule with `class`, one of the rule's declared classes.
    pub fn with(self, class: Class) -> Judged {
        debug_assert!(
            self.0.verdict.allows(class, None),
            "rule {} does not declare class {class:?}",
            self.0.id
        );
        Judged {
            rule: self.0,
            class,
        }
    }
}

/// A rule with the class of one finding.
#[derive(Clone, Copy, Debug)]
pub struct Judged {
    /// The rule.
    pub rule: &'static Rule,
    /// The class of this finding.
    pub class: Class,
}

impl From<Fixed> for Judged {
    fn from(rule: Fixed) -> Self {
        Judged {
            rule: rule.0,
            class: rule.class(),
        }
    }
}

/// The classes of a rule: `[Breaking]` for one, `[Breaking, Unclassified]` for
/// several, or `request [..] response [..]` for a schema rule judged per direction.
macro_rules! verdict {
    ([$($class:ident),+]) => {
        Verdict::Any(&[$(Class::$class),+])
    };
    (request [$($req:ident),*] response [$($resp:ident),*]) => {
        Verdict::PerDirection {
            request: &[$(Class::$req),*],
            response: &[$(Class::$resp),*],
        }
    };
}

/// Declares each rule as a constant and lists them all in [`RULES`].
macro_rules! rules {
    ($($name:ident: $kind:ident = $id:literal in $area:ident ($($verdict:tt)*) $meaning:literal;)*) => {
        $(
            #[doc = concat!("`", $id, "`: ", $meaning)]
            pub const $name: $kind = $kind::new(&Rule {
                id: $id,
                area: RuleArea::$area,
                verdict: verdict!($($verdict)*),
                meaning: $meaning,
            });
        )*

        /// Every rule, in documentation order.
        #[cfg_attr(not(test), expect(dead_code, reason = "read by the tests that hold SPEC-DIFF.md to the registry"))]
        pub static RULES: &[&Rule] = &[$($name.rule()),*];
    };
}

rules! {
    // ---------------------------------------------------------------- operations
    PATH_REMOVED: Fixed = "path-removed" in Operations ([Breaking])
        "the path was removed, and every operation on it; the message names the Rust method";
    OPERATION_REMOVED: Fixed = "operation-removed" in Operations ([Breaking])
        "the operation was removed; the message names the Rust method that disappears";
    OPERATION_ADDED: Fixed = "operation-added" in Operations ([NonBreaking])
        "a new operation";
    OPERATION_ID_CHANGED: Fixed = "operation-id-changed" in Operations ([Breaking])
        "the Rust method is renamed (`sendMessage` → `send_message()`); an added or removed id also counts";
    OPERATION_DOCS_CHANGED: Fixed = "operation-docs-changed" in Operations ([NonBreaking])
        "summary, description, tags, externalDocs, example(s) or `x-*` changed";
    OPERATION_DEPRECATION_CHANGED: Fixed = "operation-deprecation-changed" in Operations ([NonBreaking])
        "`deprecated` changed";
    OPERATION_CHANGED_UNRECOGNISED: Fixed = "operation-changed-unrecognised" in Operations ([Unclassified])
        "an operation key without a rule changed (e.g. `callbacks`, `servers`)";

    // ---------------------------------------------------------------- parameters
    PARAMETER_REMOVED: Fixed = "parameter-removed" in Parameters ([Breaking])
        "the builder setter disappears, and old callers still send it";
    PARAMETER_ADDED_REQUIRED: Fixed = "parameter-added-required" in Parameters ([Breaking])
        "old callers do not send it; a new path parameter is always required";
    PARAMETER_ADDED_OPTIONAL: Fixed = "parameter-added-optional" in Parameters ([NonBreaking])
        "old callers may omit it";
    PARAMETER_BECAME_REQUIRED: Fixed = "parameter-became-required" in Parameters ([Breaking])
        "old callers may omit it";
    PARAMETER_BECAME_OPTIONAL: Fixed = "parameter-became-optional" in Parameters ([NonBreaking])
        "every old call stays valid";
    PARAMETER_RENAMED: Fixed = "parameter-renamed" in Parameters ([Breaking])
        "path parameters are matched by position, so `{id}` → `{deviceId}` is a rename, and the builder setter is renamed";
    PARAMETER_NAME_CASE_CHANGED: Fixed = "parameter-name-case-changed" in Parameters ([NonBreaking])
        "header names are case-insensitive, and the snake-cased setter stays the same";
    PARAMETER_SERIALIZATION_CHANGED: Fixed = "parameter-serialization-changed" in Parameters ([Breaking])
        "style, explode, allowReserved or allowEmptyValue changed: the value goes on the wire differently";
    PARAMETER_DOCS_CHANGED: Fixed = "parameter-docs-changed" in Parameters ([NonBreaking])
        "description, example(s), deprecated or `x-*` changed";
    PARAMETER_CHANGED_UNRECOGNISED: Fixed = "parameter-changed-unrecognised" in Parameters ([Unclassified])
        "a parameter key without a rule changed, or the parameter switched between `schema` and `content`";

    // ------------------------------------------------------------ request bodies
    REQUEST_BODY_REMOVED: Fixed = "request-body-removed" in RequestBodies ([Breaking])
        "`.body()` disappears, and old callers still send one";
    REQUEST_BODY_ADDED_REQUIRED: Fixed = "request-body-added-required" in RequestBodies ([Breaking])
        "old callers send no body";
    REQUEST_BODY_ADDED_OPTIONAL: Fixed = "request-body-added-optional" in RequestBodies ([NonBreaking])
        "old callers may omit it";
    REQUEST_BODY_BECAME_REQUIRED: Fixed = "request-body-became-required" in RequestBodies ([Breaking])
        "old callers may omit it";
    REQUEST_BODY_BECAME_OPTIONAL: Fixed = "request-body-became-optional" in RequestBodies ([NonBreaking])
        "every old call stays valid";
    REQUEST_MEDIA_TYPE_REMOVED: Fixed = "request-media-type-removed" in RequestBodies ([Breaking])
        "old callers still send it";
    REQUEST_MEDIA_TYPE_ADDED: Fixed = "request-media-type-added" in RequestBodies ([NonBreaking])
        "callers may now send it";

    // ----------------------------------------------------------------- responses
    RESPONSE_SUCCESS_STATUS_REMOVED: Fixed = "response-success-status-removed" in Responses ([Breaking])
        "old clients expect it";
    RESPONSE_SUCCESS_STATUS_ADDED: Fixed = "response-success-status-added" in Responses ([Breaking])
        "old clients turn an unknown 2xx into `Error::UnexpectedResponse`, and progenitor needs every success response to have the same type";
    RESPONSE_STATUS_REMOVED: Fixed = "response-status-removed" in Responses ([NonBreaking])
        "an error status or `default` was removed; if the server still sends it, it arrives as `Error::UnexpectedResponse`";
    RESPONSE_STATUS_ADDED: Fixed = "response-status-added" in Responses ([NonBreaking])
        "an error status or `default` was added; old clients see it as `Error::UnexpectedResponse`, as before";
    RESPONSE_MEDIA_TYPE_REMOVED: Varies = "response-media-type-removed" in Responses ([Breaking, NonBreaking])
        "breaking on a success status; non-breaking on an error status, where only the typed error is lost";
    RESPONSE_MEDIA_TYPE_ADDED: Fixed = "response-media-type-added" in Responses ([NonBreaking])
        "old clients keep decoding the media types they know";
    RESPONSE_HEADER_REMOVED: Fixed = "response-header-removed" in Responses ([Breaking])
        "callers reading it get nothing";
    RESPONSE_HEADER_ADDED: Fixed = "response-header-added" in Responses ([NonBreaking])
        "header schemas are compared as responses";

    // --------------------------------------------- request bodies and responses
    DOCS_CHANGED: Fixed = "docs-changed" in BodiesAndResponses ([NonBreaking])
        "documentation of a body, media type or response changed";
    CHANGED_UNRECOGNISED: Fixed = "changed-unrecognised" in BodiesAndResponses ([Unclassified])
        "a key without a rule changed in a body, media type or response (e.g. `encoding`, `links`)";
    MEDIA_SCHEMA_CHANGED: Fixed = "media-schema-changed" in BodiesAndResponses ([Unclassified])
        "a media type gained or lost its schema";

    // ------------------------------------------------------------------ security
    SECURITY_ADDED: Fixed = "security-added" in Security ([Breaking])
        "the effective requirement (the operation's own, else the global one) went from none to some; an empty list or a `{}` alternative counts as none";
    SECURITY_REMOVED: Fixed = "security-removed" in Security ([NonBreaking])
        "the operation no longer requires credentials";
    SECURITY_CHANGED: Fixed = "security-changed" in Security ([Unclassified])
        "both sides require credentials, but not the same ones";

    // ---------------------------------------------------------------- components
    COMPONENT_SCHEMA_REMOVED: Fixed = "component-schema-removed" in Components ([Breaking])
        "progenitor emits every component as `types::Name`, used or not, so the type disappears";
    COMPONENT_SCHEMA_ADDED: Fixed = "component-schema-added" in Components ([NonBreaking])
        "a new Rust type `types::Name`";

    // ------------------------------------------------------------------- schemas
    SCHEMA_REF_UNRESOLVABLE: Fixed = "schema-ref-unresolvable" in Schemas (request [Unclassified] response [Unclassified])
        "a `$ref` (of a schema, request body or response) could not be followed; the loader rejects dangling refs and loops, so this is the safety net";
    SCHEMA_TYPE_CHANGED: Fixed = "schema-type-changed" in Schemas (request [Breaking] response [Breaking])
        "includes untyped ↔ typed; `object`/`array` are inferred from `properties`/`items`";
    SCHEMA_FORMAT_CHANGED: Fixed = "schema-format-changed" in Schemas (request [Breaking] response [Breaking])
        "the Rust type changes (String vs chrono/uuid, i32 vs i64)";
    SCHEMA_RUST_TYPE_RENAMED: Fixed = "schema-rust-type-renamed" in Schemas (request [Breaking] response [Breaking])
        "the `$ref` target changed, or a schema moved between inline and `$ref`, so `types::X` is renamed (the structure is still compared)";
    ENUM_VALUE_REMOVED: Fixed = "enum-value-removed" in Schemas (request [Breaking] response [Breaking])
        "callers sending it are rejected; in responses, the Rust variant disappears";
    ENUM_VALUE_ADDED: Fixed = "enum-value-added" in Schemas (request [NonBreaking] response [])
        "callers may now send it";
    RESPONSE_ENUM_VALUE_ADDED: Fixed = "response-enum-value-added" in Schemas (request [] response [NonBreaking])
        "a named string-enum component is an open Rust enum (`Unknown(String)`), so old clients decode the new value; matches need a wildcard arm";
    RESPONSE_STRICT_ENUM_VALUE_ADDED: Fixed = "response-strict-enum-value-added" in Schemas (request [] response [Breaking])
        "inline enums and non-string enums are closed Rust enums, so decoding fails";
    SCHEMA_ENUM_INTRODUCED: Fixed = "schema-enum-introduced" in Schemas (request [Breaking] response [Breaking])
        "the Rust type changes from a plain type to an enum";
    SCHEMA_ENUM_DROPPED: Fixed = "schema-enum-dropped" in Schemas (request [Breaking] response [Breaking])
        "the Rust type changes from an enum to a plain type";
    REQUEST_CONSTRAINT_TIGHTENED: Fixed = "request-constraint-tightened" in Schemas (request [Breaking] response [])
        "min/max, exclusive bounds, lengths, pattern, items, uniqueItems, properties or multipleOf narrowed: values callers sent are rejected";
    REQUEST_CONSTRAINT_RELAXED: Fixed = "request-constraint-relaxed" in Schemas (request [NonBreaking] response [])
        "every value valid before stays valid";
    RESPONSE_CONSTRAINT_TIGHTENED: Fixed = "response-constraint-tightened" in Schemas (request [] response [NonBreaking])
        "the server promises narrower values";
    RESPONSE_CONSTRAINT_RELAXED: Fixed = "response-constraint-relaxed" in Schemas (request [] response [Breaking])
        "old clients validate constrained values while decoding and reject the new ones";
    CONSTRAINT_CHANGED: Fixed = "constraint-changed" in Schemas (request [Unclassified] response [Unclassified])
        "a change that cannot be ordered, e.g. one pattern replaced by another";
    SCHEMA_RUST_TYPE_CHANGED: Fixed = "schema-rust-type-changed" in Schemas (request [Breaking] response [Breaking])
        "a string gains its first length/pattern constraint or loses its last, so typify switches between `String` and a validated newtype (reported when the wire change alone is not breaking)";
    REQUEST_PROPERTY_ADDED_REQUIRED: Fixed = "request-property-added-required" in Schemas (request [Breaking] response [])
        "old callers do not send it";
    REQUEST_PROPERTY_ADDED_OPTIONAL: Fixed = "request-property-added-optional" in Schemas (request [NonBreaking] response [])
        "old callers may omit it";
    REQUEST_PROPERTY_BECAME_REQUIRED: Fixed = "request-property-became-required" in Schemas (request [Breaking] response [])
        "old callers may omit it";
    REQUEST_PROPERTY_BECAME_OPTIONAL: Fixed = "request-property-became-optional" in Schemas (request [NonBreaking] response [])
        "the builder setter still takes a plain value";
    REQUEST_PROPERTY_REMOVED: Fixed = "request-property-removed" in Schemas (request [Breaking] response [])
        "its field and builder setter disappear, and old callers still send it";
    RESPONSE_PROPERTY_ADDED: Fixed = "response-property-added" in Schemas (request [] response [NonBreaking])
        "generated structs ignore unknown fields…";
    RESPONSE_PROPERTY_ADDED_CLOSED: Fixed = "response-property-added-closed" in Schemas (request [] response [Breaking])
        "…unless the base had `additionalProperties: false` (`deny_unknown_fields`)";
    RESPONSE_PROPERTY_REMOVED: Fixed = "response-property-removed" in Schemas (request [] response [Breaking])
        "its Rust field disappears";
    RESPONSE_PROPERTY_BECAME_OPTIONAL: Fixed = "response-property-became-optional" in Schemas (request [] response [Breaking])
        "old clients fail when it is absent, and the Rust field becomes an `Option`";
    RESPONSE_PROPERTY_BECAME_REQUIRED: Varies = "response-property-became-required" in Schemas (request [] response [Breaking, NonBreaking])
        "compatible on the wire, but the Rust field changes from `Option<T>` to `T`; non-breaking if the property is nullable";
    SCHEMA_NULLABLE_ADDED: Fixed = "schema-nullable-added" in Schemas (request [NonBreaking] response [])
        "callers may now send null";
    SCHEMA_NULLABLE_REMOVED: Fixed = "schema-nullable-removed" in Schemas (request [Breaking] response [])
        "callers sending null are rejected";
    RESPONSE_BECAME_NULLABLE: Fixed = "response-became-nullable" in Schemas (request [] response [Breaking])
        "old clients fail to decode null, and the Rust type becomes an `Option`";
    RESPONSE_NULLABLE_REMOVED: Varies = "response-nullable-removed" in Schemas (request [] response [Breaking, NonBreaking])
        "the Rust `Option` goes away; non-breaking for an optional property";
    ADDITIONAL_PROPERTIES_CHANGED: Varies = "additional-properties-changed" in Schemas (request [Breaking, NonBreaking] response [Breaking, NonBreaking])
        "in requests closing breaks, in responses opening breaks; map ↔ struct always breaks";
    SCHEMA_VARIANT_REMOVED: Fixed = "schema-variant-removed" in Schemas (request [Breaking] response [Breaking])
        "a oneOf/anyOf variant, matched by `$ref` name, was removed: its Rust enum variant disappears";
    SCHEMA_VARIANT_ADDED: Varies = "schema-variant-added" in Schemas (request [NonBreaking] response [Breaking])
        "a oneOf/anyOf variant was added: callers may send it, but the generated untagged enum is closed";
    SCHEMA_COMPOSITION_CHANGED: Varies = "schema-composition-changed" in Schemas (request [Breaking, Unclassified] response [Breaking, Unclassified])
        "a composition keyword added or removed is breaking; a different count of inline members is unclassified";
    DEFAULT_CHANGED: Varies = "default-changed" in Schemas (request [Unclassified] response [NonBreaking])
        "callers that omit the value get different behaviour; in responses it only fills in absent values";
    SCHEMA_ACCESS_CHANGED: Fixed = "schema-access-changed" in Schemas (request [Unclassified] response [Unclassified])
        "readOnly/writeOnly changed: which side may send the value";
    SCHEMA_DOCS_CHANGED: Fixed = "schema-docs-changed" in Schemas (request [NonBreaking] response [NonBreaking])
        "description, title, example(s), externalDocs, deprecated, xml or `x-*` changed";
    SCHEMA_ITEMS_CHANGED: Fixed = "schema-items-changed" in Schemas (request [Unclassified] response [Unclassified])
        "`items` was added or removed";
    SCHEMA_CHANGED_UNRECOGNISED: Fixed = "schema-changed-unrecognised" in Schemas (request [Unclassified] response [Unclassified])
        "the catch-all: a keyword with no rule (e.g. `not`, `discriminator`) changed, or the schema is not an object on one side";

    // --------------------------------------------------------------- cross-check
    DRIFT_UNMATCHED: Fixed = "drift-unmatched" in CrossCheck ([Unclassified])
        "drift reports a possibly incompatible change on an operation side where no rule of ours matched";
}
