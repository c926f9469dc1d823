//! Sends at most once, then exactly once: every point where a send can fail without saying
//! whether the server took it, against the test kit's simulator (and httpmock where the kit
//! cannot play the server), and the pacer that holds sends after a 429.
//!
//! Every test counts what the server stored per reference and the requests it saw; none
//! measures time. Lookup windows are 100 ms, and one second where a test needs the slack.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::join_all;
use httpmock::Method::{GET, POST};
use serde_json::{Value, json};
use sparkbot_api::pacing::{PaceStore, Rule, Scope, ScopeKind};
use sparkbot_api::types::{self, SessionStatus};
use sparkbot_api::{
    Client, ClientConfig, ErrorFacts, Lookup, MemoryPacer, Pacing, RetryPolicy, SendPolicy,
    with_attempts,
};
use sparkbot_extras::{Error, SparkBot};
use sparkbot_testkit::{Fault, Simulator, demo};
use sparkbot_tests::{DEVICE_ID, MESSAGE_ID, TEST_API_KEY, fast_retries, server};

/// Long enough for anything on loopback; only reached when a test is about to fail.
const PATIENCE: Duration = Duration::from_secs(10);

/// The lookup schedule of these tests: two lookups over 100 ms.
fn quick_lookups(policy: SendPolicy) -> SendPolicy {
    policy.with_lookups(2, Duration::from_millis(100))
}

/// A client of `sim` with millisecond backoffs and `policy` for unknown outcomes.
fn client_with(sim: &Simulator, policy: SendPolicy) -> Client {
    sim.config()
        .with_retry(fast_retries())
        .with_send_policy(policy)
        .build()
        .expect("a valid configuration")
}

fn text(
    device: &str,
    phone: &str,
    body: &str,
    reference: Option<&str>,
) -> types::SendMessageRequest {
    let mut fields = json!({ "device": device, "phone": phone, "message": body });
    if let Some(reference) = reference {
        fields["reference"] = json!(reference);
    }
    serde_json::from_value(fields).expect("a text message")
}

async fn send(
    client: &Client,
    body: types::SendMessageRequest,
) -> Result<types::Message, sparkbot_api::Error<types::ApiError>> {
    client
        .send_message()
        .body(body)
        .send()
        .await
        .map(|r| r.into_inner())
}

/// `(method, status, fault)` of every request to `/messages`, in order.
fn message_requests(sim: &Simulator) -> Vec<(String, Option<u16>, Option<&'static str>)> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path == "/messages")
        .map(|r| (r.method, r.status, r.fault))
        .collect()
}

fn post(
    status: Option<u16>,
    fault: Option<&'static str>,
) -> (String, Option<u16>, Option<&'static str>) {
    ("POST".to_owned(), status, fault)
}

fn get(
    status: Option<u16>,
    fault: Option<&'static str>,
) -> (String, Option<u16>, Option<&'static str>) {
    ("GET".to_owned(), status, fault)
}

/// The one message stored with `reference`, checked to be the only one.
fn stored_once(sim: &Simulator, reference: &str) -> sparkbot_testkit::StoredMessage {
    let stored = sim.messages_with_reference(reference);
    assert_eq!(
        stored.len(),
        1,
        "messages stored with reference {reference}: {stored:?}"
    );
    stored.into_iter().next().unwrap()
}

// ---- an unknown outcome at every point of a send -----------------------------------------------

#[tokio::test]
async fn a_connection_dropped_before_processing_is_looked_up_then_resent_once() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    let client = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));
    let (result, attempts) = with_attempts(send(
        &client,
        text(demo::SALES, "+34600000001", "before", Some("drop-before")),
    ))
    .await;
    let message = result.expect("resent once the lookups found nothing");
    let stored = stored_once(&sim, "drop-before");
    assert_eq!(message.id.as_deref(), Some(stored.id.as_str()));
    assert_eq!(message.reference.as_deref(), Some("drop-before"));
    assert_eq!(
        message_requests(&sim),
        [
            post(None, Some("drop_before")),
            get(Some(200), None),
            get(Some(200), None),
            post(Some(201), None),
        ]
    );
    let lookups: Vec<Lookup> = attempts.iter().filter_map(|a| a.lookup).collect();
    assert_eq!(lookups, [Lookup::Absent]);
}

#[tokio::test]
async fn a_connection_dropped_after_the_server_stored_it_is_found_and_not_resent() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_after().on("POST", "/messages"));
    let client = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));
    let (result, attempts) = with_attempts(send(
        &client,
        text(demo::SALES, "+34600000002", "after", Some("drop-after")),
    ))
    .await;
    let message = result.expect("found by its reference");
    let stored = stored_once(&sim, "drop-after");
    assert_eq!(message.id.as_deref(), Some(stored.id.as_str()));
    assert_eq!(message.phone.as_deref(), Some("+34600000002"));
    assert_eq!(
        message_requests(&sim),
        [post(None, Some("drop_after")), get(Some(200), None)]
    );
    let lookups: Vec<Lookup> = attempts.iter().filter_map(|a| a.lookup).collect();
    assert_eq!(lookups, [Lookup::Found]);
}

/// The kit's 5xx faults answer before processing (nothing is stored), so the lookups find
/// nothing and the send goes once more: one message per reference, two POSTs each.
#[tokio::test]
async fn a_5xx_other_than_503_is_looked_up_then_resent_once() {
    let sim = Simulator::start().await;
    let client = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));
    let faults = [
        ("json-500", Fault::server_error(500), "server_error"),
        (
            "html-502",
            Fault::server_error_html(502),
            "server_error_html",
        ),
        ("json-504", Fault::server_error(504), "server_error"),
    ];
    for (n, (reference, fault, name)) in faults.into_iter().enumerate() {
        sim.inject(fault.on("POST", "/messages"));
        let message = send(
            &client,
            text(demo::SALES, "+34600000003", "5xx", Some(reference)),
        )
        .await
        .unwrap_or_else(|e| panic!("{reference}: resent after the lookups: {e}"));
        assert_eq!(
            message.id,
            Some(stored_once(&sim, reference).id),
            "{reference}"
        );
        let seen = message_requests(&sim);
        let status = seen[4 * n].1;
        assert_eq!(
            seen[4 * n..],
            [
                post(status, Some(name)),
                get(Some(200), None),
                get(Some(200), None),
                post(Some(201), None),
            ],
            "{reference}"
        );
    }
    assert_eq!(sim.messages().len(), 3);
}

#[tokio::test]
async fn a_503_is_a_refusal_that_is_neither_looked_up_nor_resent() {
    let sim = Simulator::start().await;
    sim.inject(Fault::server_error(503).on("POST", "/messages"));
    let client = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));
    let err = send(
        &client,
        text(demo::SALES, "+34600000004", "x", Some("r503")),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status_code(), Some(503));
    assert!(!err.outcome_unknown(), "a 503 was not processed: {err}");
    assert!(sim.messages().is_empty());
    assert_eq!(
        message_requests(&sim),
        [post(Some(503), Some("server_error"))]
    );
}

/// A server that stored the message and then failed with a 500 (the kit cannot do this, so
/// httpmock plays it): the lookup finds the message and the send is not repeated.
#[tokio::test]
async fn a_500_after_the_server_stored_the_message_is_found_by_its_reference() {
    let server = server().await;
    let stored = json!({
        "id": MESSAGE_ID,
        "phone": "+447362053576",
        "status": "queued",
        "reference": "order-500",
    });
    let posted = server.mock(|when, then| {
        when.method(POST)
            .path("/messages")
            .json_body_includes(r#"{"reference":"order-500"}"#);
        then.status(500)
            .json_body(json!({"status": 500, "message": "oops"}));
    });
    let looked_up = server.mock(|when, then| {
        when.method(GET)
            .path("/messages")
            .query_param("reference[]", "order-500")
            .query_param("device", DEVICE_ID);
        then.status(200).json_body(json!([
            // Another send with the same reference to someone else is not this one.
            {"id": "60b7c8d9e0f1a2b3c4d5e6f8", "phone": "+15550000000", "reference": "order-500"},
            stored,
        ]));
    });
    let client = sparkbot_tests::config(&server)
        .with_retry(fast_retries())
        .with_send_policy(quick_lookups(SendPolicy::reconcile_then_resend()))
        .build()
        .unwrap();
    let message = send(
        &client,
        text(DEVICE_ID, "+447362053576", "hi", Some("order-500")),
    )
    .await
    .expect("found by its reference");
    assert_eq!(message.id.as_deref(), Some(MESSAGE_ID));
    assert_eq!(posted.calls(), 1, "not sent twice");
    assert_eq!(looked_up.calls(), 1, "found at the first lookup");
}

/// The kit processes a delayed request at once and answers late: the client times out, and
/// the first lookup finds the message.
#[tokio::test]
async fn an_answer_later_than_the_timeout_is_found_by_its_reference() {
    let sim = Simulator::start().await;
    sim.inject(Fault::delay(Duration::from_secs(30)).on("POST", "/messages"));
    let client = sim
        .config()
        .with_retry(fast_retries())
        .with_timeout(Duration::from_millis(300))
        .with_send_policy(quick_lookups(SendPolicy::reconcile_then_resend()))
        .build()
        .unwrap();
    let message = send(
        &client,
        text(demo::SALES, "+34600000005", "slow", Some("slow")),
    )
    .await
    .expect("found by its reference");
    assert_eq!(message.id, Some(stored_once(&sim, "slow").id));
    assert_eq!(sim.request_count("POST", "/messages"), 1);
    assert_eq!(sim.request_count("GET", "/messages"), 1);
}

/// A message the server lists only after the first lookup (it was slow to store it) is seen
/// by the second one, within the window, and not sent again.
#[tokio::test]
async fn a_message_stored_after_the_first_lookup_is_seen_by_the_next() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    let client = sim
        .config()
        .with_retry(fast_retries())
        .with_send_policy(
            SendPolicy::reconcile_then_resend().with_lookups(2, Duration::from_secs(1)),
        )
        .build()
        .unwrap();
    let body = text(demo::SALES, "+34600000006", "late", Some("late"));
    let late_store = async {
        sim.wait_until("the first lookup was answered", PATIENCE, |s| {
            s.requests()
                .iter()
                .any(|r| r.method == "GET" && r.path == "/messages" && r.status.is_some())
        })
        .await;
        // The server stores it now, as if the dropped request had been slow to land.
        let status = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .post(format!("{}/messages", sim.base_url()))
            .header("Token", sim.api_key())
            .json(&body)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201);
    };
    let (result, ()) = tokio::join!(send(&client, body.clone()), late_store);
    let message = result.expect("found by the second lookup");
    assert_eq!(message.id, Some(stored_once(&sim, "late").id));
    assert_eq!(
        message_requests(&sim),
        [
            post(None, Some("drop_before")),
            get(Some(200), None),
            post(Some(201), None),
            get(Some(200), None),
        ],
        "the second POST is the late store, not a resend"
    );
}

// ---- what the policies leave to the caller -----------------------------------------------------

#[tokio::test]
async fn never_resend_leaves_an_unknown_outcome_that_names_the_reference() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    let bot = SparkBot::new(client_with(&sim, quick_lookups(SendPolicy::never_resend())));
    let err = bot
        .send_text(demo::SALES, "+34 600 000 007", "once at most")
        .await
        .unwrap_err();
    assert!(err.is_outcome_unknown(), "{err}");
    assert!(!err.is_transient(), "retrying blindly could send it twice");
    let Error::OutcomeUnknown {
        reference: Some(reference),
        ..
    } = &err
    else {
        panic!("no reference named: {err:?}")
    };
    assert!(
        reference.starts_with("sb-") && reference.len() == 35,
        "{reference}"
    );
    assert!(err.to_string().contains(reference.as_str()), "{err}");
    assert!(sim.messages().is_empty());
    assert_eq!(sim.request_count("POST", "/messages"), 1, "never resent");
    // Both lookups asked for that reference.
    let lookups: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path == "/messages")
        .map(|r| r.query)
        .collect();
    assert_eq!(lookups.len(), 2);
    for query in &lookups {
        assert!(
            query.contains(&format!("reference%5B%5D={reference}")),
            "{query}"
        );
        assert!(
            query.contains(&format!("device={}", demo::SALES)),
            "{query}"
        );
    }

    // The same through the low-level client and `Error::from_send`.
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    let low = send(
        bot.api(),
        text(demo::SALES, "+34600000007", "x", Some("mine-7")),
    )
    .await
    .unwrap_err();
    assert!(low.outcome_unknown());
    let err = Error::from_send(low).with_reference("mine-7");
    assert!(err.is_outcome_unknown());
    assert!(err.to_string().contains("with reference mine-7"), "{err}");
    assert!(sim.messages().is_empty());
    assert_eq!(sim.request_count("POST", "/messages"), 2);
    assert_eq!(sim.request_count("GET", "/messages"), 4);
}

#[tokio::test]
async fn no_lookup_asks_nothing_and_leaves_the_outcome_to_the_caller() {
    let sim = Simulator::start().await;
    let client = sim
        .config()
        .with_retry(fast_retries())
        .build()
        .unwrap()
        .with_send_policy(SendPolicy::no_lookup());
    assert_eq!(client.send_policy().lookups, 0);
    for fault in [
        Fault::drop_after(),
        Fault::drop_before(),
        Fault::server_error(500),
    ] {
        sim.inject(fault.on("POST", "/messages"));
        let err = send(&client, text(demo::SALES, "+34600000008", "x", Some("nl")))
            .await
            .unwrap_err();
        assert!(err.outcome_unknown(), "{err}");
    }
    assert_eq!(sim.request_count("POST", "/messages"), 3, "nothing resent");
    assert_eq!(
        sim.request_count("GET", "/messages"),
        0,
        "nothing looked up"
    );
    assert_eq!(
        sim.messages_with_reference("nl").len(),
        1,
        "the drop after stored it"
    );
}

// ---- the reference on the wire -----------------------------------------------------------------

#[tokio::test]
async fn the_callers_reference_is_kept_and_a_missing_one_is_an_sb_reference() {
    let server = server().await;
    let own = server.mock(|when, then| {
        when.method(POST)
            .path("/messages")
            .json_body_includes(r#"{"reference":"order-9"}"#);
        then.status(201)
            .json_body(json!({"id": MESSAGE_ID, "reference": "order-9"}));
    });
    let added = server.mock(|when, then| {
        when.method(POST)
            .path("/messages")
            .body_matches(r#""reference":"sb-[0-9a-f]{32}""#)
            .json_body_includes(r#"{"message":"no reference"}"#);
        then.status(201).json_body(json!({"id": MESSAGE_ID}));
    });
    let client = sparkbot_tests::client(&server);
    send(
        &client,
        text(DEVICE_ID, "+447362053576", "mine", Some("order-9")),
    )
    .await
    .unwrap();
    send(
        &client,
        text(DEVICE_ID, "+447362053576", "no reference", None),
    )
    .await
    .unwrap();
    assert_eq!(own.calls(), 1);
    assert_eq!(added.calls(), 1);
}

#[tokio::test]
async fn find_sent_message_looks_a_reference_up_by_device() {
    let sim = Simulator::start().await;
    let client = client_with(&sim, SendPolicy::default());
    let sent = send(
        &client,
        text(demo::SALES, "+34600000009", "x", Some("findme")),
    )
    .await
    .unwrap();
    let found = client
        .find_sent_message("findme", Some(demo::SALES))
        .await
        .unwrap()
        .expect("the server has it");
    assert_eq!(found.id, sent.id);
    let anywhere = client.find_sent_message("findme", None).await.unwrap();
    assert_eq!(anywhere.map(|m| m.id), Some(sent.id));
    assert!(
        client
            .find_sent_message("findme", Some(demo::SUPPORT))
            .await
            .unwrap()
            .is_none(),
        "not from that device"
    );
    assert!(
        client
            .find_sent_message("nobody", None)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(sim.request_count("GET", "/messages"), 4);
}

// ---- a lookup that fails -----------------------------------------------------------------------

#[tokio::test]
async fn a_failed_lookup_leaves_the_outcome_unknown_and_sends_nothing_more() {
    let sim = Simulator::start().await;
    let client = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));

    // Every lookup fails.
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    sim.inject(Fault::server_error(500).on("GET", "/messages").times(2));
    let (result, attempts) = with_attempts(send(
        &client,
        text(demo::SALES, "+34600000010", "x", Some("lookup-fails")),
    ))
    .await;
    let err = Error::from_send(result.unwrap_err()).with_reference("lookup-fails");
    assert!(err.is_outcome_unknown(), "{err}");
    let lookups: Vec<Lookup> = attempts.iter().filter_map(|a| a.lookup).collect();
    assert_eq!(lookups, [Lookup::Failed]);
    assert_eq!(
        message_requests(&sim),
        [
            post(None, Some("drop_before")),
            get(Some(500), Some("server_error")),
            get(Some(500), Some("server_error")),
        ]
    );

    // One lookup fails and the other finds nothing: still nobody knows, still no resend.
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    sim.inject(Fault::server_error(500).on("GET", "/messages"));
    let err = send(
        &client,
        text(demo::SALES, "+34600000010", "x", Some("half-known")),
    )
    .await
    .unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
    assert_eq!(
        message_requests(&sim)[3..],
        [
            post(None, Some("drop_before")),
            get(Some(500), Some("server_error")),
            get(Some(200), None),
        ]
    );
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn resends_stop_at_max_resends() {
    let sim = Simulator::start().await;
    // The default allows one resend: two drops before processing leave the outcome unknown.
    sim.inject(Fault::drop_before().on("POST", "/messages").times(2));
    let once = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));
    let err = send(
        &once,
        text(demo::SALES, "+34600000012", "x", Some("resend-1")),
    )
    .await
    .unwrap_err();
    assert!(err.outcome_unknown(), "{err}");
    assert_eq!(sim.request_count("POST", "/messages"), 2);
    assert_eq!(sim.request_count("GET", "/messages"), 2 * 2);
    assert!(sim.messages().is_empty());

    // Two resends ride out the same two drops: stored once, three POSTs.
    sim.inject(Fault::drop_before().on("POST", "/messages").times(2));
    let twice = client_with(
        &sim,
        quick_lookups(SendPolicy::reconcile_then_resend().with_max_resends(2)),
    );
    let message = send(
        &twice,
        text(demo::SALES, "+34600000012", "x", Some("resend-2")),
    )
    .await
    .unwrap();
    assert_eq!(message.id, Some(stored_once(&sim, "resend-2").id));
    assert_eq!(sim.request_count("POST", "/messages"), 2 + 3);
    assert_eq!(sim.request_count("GET", "/messages"), 4 + 2 * 2);
}

// ---- attempt records -------------------------------------------------------------------------

/// `with_attempts` promises "the history of its attempts" and `AttemptRecord::lookup` "for a
/// send whose outcome was unknown: what the lookup of its reference found". The record of the
/// send whose outcome was unknown should carry the lookup.
#[tokio::test]
async fn the_attempt_whose_outcome_was_unknown_carries_its_lookup() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_after().on("POST", "/messages"));
    let client = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));
    let (result, attempts) = with_attempts(send(
        &client,
        text(demo::SALES, "+34600000011", "x", Some("records")),
    ))
    .await;
    result.unwrap();
    let unknown: Vec<_> = attempts.iter().filter(|a| a.status.is_none()).collect();
    assert_eq!(unknown.len(), 1, "{attempts:?}");
    assert_eq!(unknown[0].lookup, Some(Lookup::Found), "{attempts:?}");
}

// ---- pacing ------------------------------------------------------------------------------------

/// A storm of 429s (`Retry-After: 1`) on concurrent sends, with pacing on and off: each 429
/// is retried, every message is stored once, nothing is looked up.
#[tokio::test]
async fn a_429_storm_is_retried_and_every_message_stored_once() {
    for pacing in [Pacing::default(), Pacing::off()] {
        let sim = Simulator::start().await;
        sim.inject(Fault::rate_limited(1).on("POST", "/messages").times(3));
        let client = sim
            .config()
            .with_retry(fast_retries().with_max_attempts(6))
            .with_pacing(pacing.clone())
            .with_send_policy(quick_lookups(SendPolicy::reconcile_then_resend()))
            .build()
            .unwrap();
        let references: Vec<String> = (0..8).map(|n| format!("storm-{n}")).collect();
        let sends = references.iter().enumerate().map(|(n, r)| {
            send(
                &client,
                text(demo::SALES, &format!("+3460000010{n}"), "x", Some(r)),
            )
        });
        for result in join_all(sends).await {
            result.unwrap_or_else(|e| panic!("{pacing:?}: {e}"));
        }
        for reference in &references {
            stored_once(&sim, reference);
        }
        let limited = sim
            .requests()
            .iter()
            .filter(|r| r.status == Some(429))
            .count();
        assert_eq!(limited, 3, "{pacing:?}");
        assert_eq!(sim.request_count("POST", "/messages"), 8 + 3, "{pacing:?}");
        assert_eq!(sim.request_count("GET", "/messages"), 0, "{pacing:?}");
        assert!(sim.pending_faults().is_empty());
    }
}

fn shared_client(sim: &Simulator, store: &Arc<MemoryPacer>, retry: RetryPolicy) -> Client {
    sim.config()
        .with_retry(retry)
        .with_pace_store(store.clone())
        .build()
        .unwrap()
}

fn device_scope(device: &str) -> Scope {
    Scope {
        kind: ScopeKind::Device,
        name: format!("device:{device}").into(),
    }
}

/// A 429 with a long `Retry-After` holds the device's sends for every client pacing through
/// the same store; other devices, other requests, and clients that do not pace go on.
#[tokio::test]
async fn a_429_holds_the_device_for_every_client_sharing_the_pace_store() {
    let sim = Simulator::start().await;
    let store = Arc::new(MemoryPacer::new());
    sim.inject(Fault::rate_limited(30).on("POST", "/messages"));
    let first = shared_client(&sim, &store, RetryPolicy::none());
    let err = send(
        &first,
        text(demo::SALES, "+34600000020", "x", Some("held-1")),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status_code(), Some(429));
    assert_eq!(
        store.learned_rate(&device_scope(demo::SALES)),
        None,
        "one 429 learns nothing"
    );
    let rule = Rule {
        min_interval: None,
        adaptive: true,
        default_hold: Duration::from_millis(500),
        max_hold: Duration::from_secs(60),
    };
    assert!(
        store
            .try_take(&device_scope(demo::SALES), &rule)
            .await
            .is_err(),
        "the device is held"
    );
    assert_eq!(
        store.try_take(&device_scope(demo::SUPPORT), &rule).await,
        Ok(())
    );

    // A second client on the same store waits for the hold: nothing leaves.
    let second = shared_client(&sim, &store, fast_retries());
    let held = tokio::time::timeout(
        Duration::from_millis(300),
        send(
            &second,
            text(demo::SALES, "+34600000021", "x", Some("held-2")),
        ),
    )
    .await;
    assert!(held.is_err(), "the send left during the hold: {held:?}");
    assert_eq!(sim.request_count("POST", "/messages"), 1);
    // The key is not held: its other requests, and sends from another device, go at once.
    second
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap();
    send(
        &second,
        text(demo::SUPPORT, "+34600000021", "x", Some("other-device")),
    )
    .await
    .unwrap();

    // A client that does not pace, and one with a store of its own, are not held.
    let unpaced = sim
        .config()
        .with_retry(fast_retries())
        .with_pacing(Pacing::off())
        .with_pace_store(store.clone())
        .build()
        .unwrap();
    send(
        &unpaced,
        text(demo::SALES, "+34600000022", "x", Some("unpaced")),
    )
    .await
    .unwrap();
    send(
        &sim.client(),
        text(demo::SALES, "+34600000023", "x", Some("own-store")),
    )
    .await
    .unwrap();
    assert_eq!(sim.request_count("POST", "/messages"), 4);
    assert!(sim.messages_with_reference("held-1").is_empty());
    assert!(sim.messages_with_reference("held-2").is_empty());
}

/// The first 429 only starts the count; the second one, after accepted sends, sets a rate for
/// the device's scope (not for another device's).
#[tokio::test]
async fn two_429s_teach_the_device_scope_a_rate() {
    let sim = Simulator::start().await;
    let store = Arc::new(MemoryPacer::new());
    let client = shared_client(&sim, &store, fast_retries());
    sim.inject(Fault::rate_limited(0).on("POST", "/messages"));
    send(
        &client,
        text(demo::SALES, "+34600000030", "x", Some("rate-0")),
    )
    .await
    .unwrap();
    assert_eq!(store.learned_rate(&device_scope(demo::SALES)), None);
    for n in 1..=3 {
        let reference = format!("rate-{n}");
        send(
            &client,
            text(demo::SALES, "+34600000030", "x", Some(&reference)),
        )
        .await
        .unwrap();
    }
    sim.inject(Fault::rate_limited(0).on("POST", "/messages"));
    send(
        &client,
        text(demo::SALES, "+34600000030", "x", Some("rate-4")),
    )
    .await
    .unwrap();
    let rate = store.learned_rate(&device_scope(demo::SALES));
    assert!(rate.is_some_and(|r| r > 0.0), "{rate:?}");
    assert_eq!(store.learned_rate(&device_scope(demo::SUPPORT)), None);
    assert_eq!(sim.request_count("POST", "/messages"), 5 + 2);
    assert_eq!(sim.messages().len(), 5);
}

/// A cap per device spaces that device's sends; another device's sends and the key's other
/// requests are not held by it.
#[tokio::test]
async fn a_cap_per_device_holds_the_next_send_of_that_device_only() {
    let sim = Simulator::start().await;
    let client = sim
        .config()
        .with_retry(fast_retries())
        .with_pacing(Pacing::default().with_max_sends_per_second(0.5))
        .build()
        .unwrap();
    send(
        &client,
        text(demo::SALES, "+34600000060", "x", Some("cap-1")),
    )
    .await
    .unwrap();
    let held = tokio::time::timeout(
        Duration::from_millis(300),
        send(
            &client,
            text(demo::SALES, "+34600000061", "x", Some("cap-2")),
        ),
    )
    .await;
    assert!(held.is_err(), "a second send left within the cap: {held:?}");
    send(
        &client,
        text(demo::SUPPORT, "+34600000062", "x", Some("cap-other")),
    )
    .await
    .unwrap();
    client
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap();
    assert_eq!(stored_references(&sim), ["cap-1", "cap-other"]);
}

/// Rate-limit headers that say nothing is left hold the device's sends until the reset, on
/// a success too (httpmock sends the headers; the kit does not).
#[tokio::test]
async fn rate_limit_headers_at_zero_hold_the_device_until_the_reset() {
    let server = server().await;
    let posted = server.mock(|when, then| {
        when.method(POST).path("/messages");
        then.status(201)
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-reset", "30")
            .json_body(json!({"id": MESSAGE_ID}));
    });
    let client = sparkbot_tests::client(&server);
    send(&client, text(DEVICE_ID, "+447362053576", "x", Some("rl-1")))
        .await
        .unwrap();
    let held = tokio::time::timeout(
        Duration::from_millis(300),
        send(&client, text(DEVICE_ID, "+447362053576", "x", Some("rl-2"))),
    )
    .await;
    assert!(held.is_err(), "sent before the reset: {held:?}");
    assert_eq!(posted.calls(), 1);
}

/// With a gap per recipient, a second send to one recipient waits while sends to others go
/// ahead of it; it is stored last, once.
#[tokio::test]
async fn a_gap_per_recipient_holds_only_the_second_send_to_that_recipient() {
    let sim = Simulator::start().await;
    sim.set_session(demo::SALES, SessionStatus::Online);
    let client = sim
        .config()
        .with_retry(fast_retries())
        .with_pacing(Pacing::default().with_min_gap_per_recipient(Duration::from_millis(800)))
        .build()
        .unwrap();
    assert!(client.pacing().min_gap_per_recipient.is_some());
    let to = |phone: &str, reference: &str| text(demo::SALES, phone, "x", Some(reference));
    send(&client, to("+34600000040", "x-1")).await.unwrap();
    let order = Mutex::new(Vec::new());
    let others = async {
        for reference in ["y-1", "z-1"] {
            let phone = if reference == "y-1" {
                "+34600000041"
            } else {
                "+34600000042"
            };
            send(&client, to(phone, reference)).await.unwrap();
        }
        order.lock().unwrap().extend(stored_references(&sim));
    };
    let (second, ()) = tokio::join!(send(&client, to("+34600000040", "x-2")), others);
    second.unwrap();
    assert_eq!(
        *order.lock().unwrap(),
        ["x-1", "y-1", "z-1"],
        "x-2 was held while the others went"
    );
    assert_eq!(stored_references(&sim), ["x-1", "y-1", "z-1", "x-2"]);
    assert_eq!(sim.request_count("POST", "/messages"), 4);
}

fn stored_references(sim: &Simulator) -> Vec<String> {
    sim.messages()
        .into_iter()
        .filter_map(|m| m.reference)
        .collect()
}

// ---- the key stays secret ----------------------------------------------------------------------

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_key_is_in_no_reference_and_no_trace_of_a_lookup() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // While one scoped subscriber exists, tracing-core asks only the registering thread's own
    // subscriber whether a callsite is interesting, so another test's thread can switch the
    // pipeline's callsites off for good; with two it asks them all.
    let _other = tracing::subscriber::set_default(
        tracing_subscriber::fmt()
            .with_writer(std::io::sink)
            .finish(),
    );
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let sim = Simulator::builder().api_key(TEST_API_KEY).start().await;
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    let config: ClientConfig = sim
        .config()
        .with_retry(fast_retries())
        .with_send_policy(quick_lookups(SendPolicy::reconcile_then_resend()));
    let bot = SparkBot::new(config.build().unwrap());
    let message = bot
        .send_text(demo::SALES, "+34600000050", "secret-free")
        .await
        .unwrap();
    let reference = message.reference.expect("the reference comes back");
    assert!(reference.starts_with("sb-"), "{reference}");
    assert!(!reference.contains(TEST_API_KEY));
    assert_eq!(sim.request_count("GET", "/messages"), 2);

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains(sparkbot_api::delivery::LOOKUP_OPERATION_ID),
        "no lookup was traced: {logs}"
    );
    assert!(
        !logs.contains(TEST_API_KEY),
        "the log leaks the key: {logs}"
    );
    let queries: Value = sim
        .requests()
        .iter()
        .map(|r| r.query.clone())
        .collect::<Vec<_>>()
        .into();
    assert!(!queries.to_string().contains(TEST_API_KEY));
}

// ---- a 2xx whose body breaks off -----------------------------------------------------------

/// The server stored the send and answered 201, but the body broke off: the outcome is unknown
/// until the lookup finds the message, which is then the answer; nothing is sent again.
#[tokio::test]
async fn a_2xx_whose_body_breaks_off_is_settled_by_the_lookup_not_resent() {
    let sim = Simulator::start().await;
    sim.inject(Fault::cut_off(7).on("POST", "/messages"));
    let client = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));
    let (result, attempts) = with_attempts(send(
        &client,
        text(demo::SALES, "+34600000009", "cut", Some("cut-off")),
    ))
    .await;
    let message = result.expect("the lookup found the message the cut-off answer was about");
    assert_eq!(message.id, Some(stored_once(&sim, "cut-off").id));
    assert_eq!(
        message_requests(&sim),
        [post(Some(201), Some("cut_off")), get(Some(200), None)]
    );
    let lookups: Vec<Lookup> = attempts.iter().filter_map(|a| a.lookup).collect();
    assert_eq!(lookups, [Lookup::Found]);
}

/// The same cut-off answer when the lookups fail too: the call is an unknown outcome, never a
/// success and never a second POST.
#[tokio::test]
async fn a_2xx_whose_body_breaks_off_and_cannot_be_looked_up_stays_unknown() {
    let sim = Simulator::start().await;
    sim.inject(Fault::cut_off(7).on("POST", "/messages"));
    sim.inject(Fault::server_error(500).on("GET", "/messages").times(10));
    let client = client_with(&sim, quick_lookups(SendPolicy::reconcile_then_resend()));
    let err = send(
        &client,
        text(demo::SALES, "+34600000010", "cut", Some("cut-2")),
    )
    .await
    .expect_err("nothing confirms the send");
    assert!(err.outcome_unknown(), "{err:?}");
    stored_once(&sim, "cut-2");
    let posts = message_requests(&sim)
        .into_iter()
        .filter(|(method, ..)| method == "POST")
        .count();
    assert_eq!(posts, 1);
}
