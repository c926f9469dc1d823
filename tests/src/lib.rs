//! Test support for the sparkbot-rs integration tests: the typed httpmock extension that
//! `cargo xtask generate` writes from the spec (it lives in `sparkbot-testkit`, feature
//! `mocks`, so that users can depend on it too), plus a few helpers shared by every test file.

/// The generated types, as the tests name them (`sparkbot_tests::types::…`).
pub use sparkbot_api::types;
pub use sparkbot_testkit::mocks::*;

use httpmock::MockServer;
use sparkbot_api::Client;

/// The API key every test client sends. Tests assert it is on the wire and nowhere else.
pub const TEST_API_KEY: &str = "test-0123456789abcdef0123456789abcdef-key";

/// A 24-hex device id used across tests.
pub const DEVICE_ID: &str = "5f0a1b2c3d4e5f6a7b8c9d0e";

/// A 24-hex message id used across tests.
pub const MESSAGE_ID: &str = "60b7c8d9e0f1a2b3c4d5e6f7";

/// [`DEVICE_ID`] as the generated id type, for typed mock matchers.
pub fn device_id() -> types::DeviceId {
    DEVICE_ID.parse().expect("DEVICE_ID is 24 hex")
}

/// Reads a streamed response body to the end.
pub async fn read_all(stream: sparkbot_api::ByteStream) -> Vec<u8> {
    use futures::TryStreamExt;
    stream
        .into_inner()
        .map_ok(|chunk| chunk.to_vec())
        .try_concat()
        .await
        .expect("the body streams without error")
}

/// The workspace's spec, parsed; tests that check coverage against it read it from here.
pub fn spec() -> serde_yaml::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/sparkbot.yaml");
    let text = std::fs::read_to_string(&path).expect("spec/sparkbot.yaml exists");
    serde_yaml::from_str(&text).expect("the spec is YAML")
}

/// Every generated operation ([`sparkbot_api::OPERATIONS`], which holds progenitor's method
/// names) with its operation object in `spec`.
pub fn spec_operations(
    spec: &serde_yaml::Value,
) -> Vec<(&'static sparkbot_api::OperationName, &serde_yaml::Value)> {
    sparkbot_api::OPERATIONS
        .iter()
        .map(|op| {
            let object = spec
                .get("paths")
                .and_then(|paths| paths.get(op.path))
                .and_then(|item| item.get(op.method.to_ascii_lowercase()))
                .unwrap_or_else(|| {
                    panic!(
                        "{} {} ({}) is not in the spec: run `cargo xtask generate`",
                        op.method, op.path, op.operation_id
                    )
                });
            (op, object)
        })
        .collect()
}

/// Starts a mock server for one test.
pub async fn server() -> MockServer {
    MockServer::start_async().await
}

/// A client aimed at `server`, with the default retry policy but millisecond backoffs. The
/// generated mocks match the spec's paths without `/v1`, so the mock's root is the API root.
pub fn client(server: &MockServer) -> Client {
    config(server)
        .with_retry(fast_retries())
        .build()
        .expect("valid test configuration")
}

/// A client aimed at `server` that makes one attempt per call, for tests of how one response
/// is mapped.
pub fn client_without_retries(server: &MockServer) -> Client {
    config(server)
        .with_retry(sparkbot_api::RetryPolicy::none())
        .build()
        .expect("valid test configuration")
}

/// The configuration of [`client`], to change before building.
pub fn config(server: &MockServer) -> sparkbot_api::ClientConfig {
    sparkbot_api::ClientConfig::new(
        server.base_url(),
        sparkbot_api::ApiKey::new(TEST_API_KEY).expect("a valid key"),
    )
}

/// The default retry policy with backoffs of 1 to 5 ms, so tests of retries stay fast.
pub fn fast_retries() -> sparkbot_api::RetryPolicy {
    sparkbot_api::RetryPolicy::default().with_backoff(
        std::time::Duration::from_millis(1),
        std::time::Duration::from_millis(5),
    )
}

/// Adds the checks every request must pass: the `Token` header carries the key, the SDK's
/// user agent is sent, and progenitor's `api-version` header is not.
pub fn authed(when: httpmock::When) -> httpmock::When {
    when.header("token", TEST_API_KEY)
        .header("user-agent", sparkbot_api::USER_AGENT)
        .header_missing("api-version")
}

/// The API's JSON error body, as the server sends it.
pub fn api_error(status: u16, error_code: &str, message: &str) -> types::ApiError {
    serde_json::from_value(serde_json::json!({
        "status": status,
        "errorCode": error_code,
        "message": message,
    }))
    .expect("ApiError accepts the documented shape")
}

/// Parses a JSON literal into a generated type, so tests don't depend on struct field lists.
pub fn from_json<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> T {
    serde_json::from_value(value).expect("fixture matches the generated type")
}

/// Asserts that a call was refused before any I/O, as `Error::InvalidRequest` (a bad argument,
/// a value outside the spec's limits).
#[track_caller]
pub fn assert_invalid_request<T: std::fmt::Debug>(err: &sparkbot_api::Error<T>) {
    assert!(
        matches!(err, sparkbot_api::Error::InvalidRequest(_)),
        "{err:?}"
    );
}
