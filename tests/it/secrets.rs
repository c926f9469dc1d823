//! The API key is sent as the `Token` header and appears nowhere else: not in `Debug` output of
//! the client or its configuration, not in errors, not in traced logs.

use std::io::Write;
use std::sync::{Arc, Mutex};

use sparkbot_api::{ApiKey, ClientConfig};
use sparkbot_tests::{DEVICE_ID, MockServerExt, TEST_API_KEY, api_error, authed, client, server};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_key_is_in_no_debug_output_error_or_log() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // With a single scoped subscriber, tracing-core asks only the thread that registered a
    // callsite whether it is interesting, so another test's thread could switch the pipeline's
    // callsites off for good; with two it asks them all.
    let _other = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(std::io::sink)
            .finish(),
    );
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let server = server().await;
    server.get_device(|when, then| {
        authed(when.into_inner());
        then.client_error(403, &api_error(403, "auth:forbidden", "Forbidden"));
    });
    let client = client(&server);
    let err = client
        .get_device()
        .device_id(DEVICE_ID)
        .send()
        .await
        .unwrap_err();

    let config = ClientConfig::new(server.base_url(), ApiKey::new(TEST_API_KEY).unwrap());
    let outputs = [
        format!("{client:?}"),
        format!("{config:?}"),
        format!("{:?}", config.api_key()),
        format!("{err}"),
        format!("{err:?}"),
        String::from_utf8(logs.0.lock().unwrap().clone()).unwrap(),
    ];
    for (i, text) in outputs.iter().enumerate() {
        assert!(
            !text.contains(TEST_API_KEY),
            "output {i} leaks the key: {text}"
        );
    }
    // The log did record the request, so the check above looked at real output.
    assert!(
        outputs[5].contains("get_device"),
        "no request was traced: {}",
        outputs[5]
    );
}

#[test]
fn a_bad_key_is_rejected_without_echoing_it() {
    let err = ApiKey::new("bad key with spaces").unwrap_err();
    assert!(!err.to_string().contains("bad key"), "{err}");
}
