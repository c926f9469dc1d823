//! The kit's faults, each through a client: what the client sees, and whether the request was
//! processed (a send stored) first. Clients here have short timeouts and fast or no retries.

use std::time::Duration;

use serde_json::{Value, json};
use sparkbot_api::{ErrorFacts, RetryPolicy, SendPolicy};
use sparkbot_extras::SparkBot;
use sparkbot_testkit::{Answer, Fault, Simulator, demo};
use sparkbot_tests::fast_retries;

use super::{PATIENCE, client_with, get_json, ids, raw, text};

#[tokio::test]
async fn a_429_carries_retry_after_and_the_send_goes_through_on_retry() {
    let sim = Simulator::builder().manual_clock().start().await;
    sim.inject(Fault::rate_limited(7).on("GET", "/devices"));
    let limited = raw()
        .get(format!("{}/devices", sim.base_url()))
        .header("Token", sim.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "7");
    assert!(sim.pending_faults().is_empty(), "used up");

    // `Retry-After: 0`: the client's policy retries a 429 even for a send.
    sim.inject(Fault::rate_limited(0).on("POST", "/messages"));
    let client = client_with(&sim, fast_retries());
    client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "limited"))
        .send()
        .await
        .expect("the retry succeeds");
    assert_eq!(sim.request_count("POST", "/messages"), 2);
    assert_eq!(sim.messages_with_reference("limited").len(), 1);
    let posts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| (r.status, r.fault))
        .collect();
    assert_eq!(
        posts,
        [(Some(429), Some("rate_limited")), (Some(201), None)]
    );
}

#[tokio::test]
async fn a_5xx_comes_as_json_or_as_an_html_page() {
    let sim = Simulator::start().await;
    sim.inject(Fault::server_error(503).on("GET", "/devices"));
    sim.inject(Fault::server_error_html(502).on("GET", "/devices"));
    let get = || {
        raw()
            .get(format!("{}/devices/{}", sim.base_url(), demo::SALES))
            .header("Token", sim.api_key())
            .send()
    };
    let json_error = get().await.unwrap();
    assert_eq!(json_error.status(), 503);
    let body: Value = json_error.json().await.unwrap();
    assert_eq!(body["status"], 503);
    let html = get().await.unwrap();
    assert_eq!(html.status(), 502);
    assert!(
        html.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(html.text().await.unwrap().starts_with("<html>"));
    assert_eq!(get().await.unwrap().status(), 200, "both faults used up");

    // Through the SDK, without retries, each one is an error with its status.
    sim.inject(Fault::server_error_html(502).on("GET", "/devices").times(1));
    let error = client_with(&sim, RetryPolicy::none())
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
}

#[tokio::test]
async fn a_connection_dropped_before_processing_stores_nothing() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    let error = client_with(&sim, RetryPolicy::none())
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "before"))
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "no response: {error}");
    assert!(sim.messages().is_empty());
    let record = sim.requests().pop().unwrap();
    assert_eq!((record.status, record.fault), (None, Some("drop_before")));
}

#[tokio::test]
async fn a_connection_dropped_after_processing_leaves_the_message_stored_once() {
    let sim = Simulator::start().await;
    sim.inject(Fault::drop_after().on("POST", "/messages"));
    let bot = SparkBot::new(client_with(&sim, fast_retries()));
    let error = bot
        .send_text(demo::SALES, "+34 600 000 000", "exactly once")
        .await
        .unwrap_err();
    assert!(error.is_outcome_unknown(), "{error}");
    // The message went out, and the SDK did not send it a second time.
    assert_eq!(sim.messages().len(), 1);
    assert_eq!(sim.request_count("POST", "/messages"), 1);
    assert_eq!(sim.messages()[0].text.as_deref(), Some("exactly once"));

    // With the default send policy the SDK looks the reference up and returns the message.
    sim.inject(Fault::drop_after().on("POST", "/messages"));
    let reconciling = sim
        .config()
        .with_send_policy(SendPolicy::never_resend().with_lookups(2, Duration::from_millis(100)))
        .build()
        .unwrap();
    let found = SparkBot::new(reconciling)
        .send_text(demo::SALES, "+34 600 000 000", "found again")
        .await
        .expect("found by its reference");
    let stored = sim.messages_with_reference(found.reference.as_deref().unwrap());
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].text.as_deref(), Some("found again"));
    assert_eq!(sim.request_count("POST", "/messages"), 2);
}

#[tokio::test]
async fn a_slow_answer_times_the_client_out_after_the_work_is_done() {
    let sim = Simulator::start().await;
    sim.inject(Fault::delay(Duration::from_secs(60)).on("POST", "/messages"));
    let impatient = sim
        .config()
        .with_retry(RetryPolicy::none())
        .with_send_policy(SendPolicy::no_lookup())
        .with_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = impatient
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "slow"))
        .send()
        .await
        .unwrap_err();
    assert!(error.status().is_none(), "a timeout, not a status: {error}");
    assert!(
        error.transport_error().is_some_and(|e| e.is_timeout()),
        "{error}"
    );
    assert_eq!(sim.messages_with_reference("slow").len(), 1);

    // A short delay is only slow: the answer still comes.
    sim.inject(Fault::delay(Duration::from_millis(20)).on("GET", "/devices"));
    let device = sim
        .client()
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .unwrap();
    assert_eq!(device.status().as_u16(), 200);
    assert_eq!(sim.requests().last().unwrap().fault, Some("delay"));
}

#[tokio::test]
async fn faults_apply_to_their_requests_only_and_as_many_times_as_asked() {
    let sim = Simulator::start().await;
    sim.inject(Fault::server_error(500).on("POST", "/messages").times(2));
    let client = client_with(&sim, RetryPolicy::none());
    for _ in 0..2 {
        client.list_devices().send().await.expect("not a send");
    }
    for _ in 0..2 {
        let error = client
            .send_message()
            .body(text(demo::SALES, "+34600000000", "x", "r"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    }
    client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "r"))
        .send()
        .await
        .expect("the fault is used up");
    assert_eq!(sim.messages().len(), 1);
    assert_eq!(sim.request_count("POST", "/messages"), 3);
    assert_eq!(sim.request_count("GET", "/devices"), 2);
}

// ---- faults for exactly-once sending -------------------------------------------------------

/// A client that makes one attempt, never looks a send up, and gives up after 200 ms.
fn impatient(sim: &Simulator) -> sparkbot_api::Client {
    sim.config()
        .with_retry(RetryPolicy::none())
        .with_send_policy(SendPolicy::no_lookup())
        .with_timeout(Duration::from_millis(200))
        .build()
        .expect("a valid configuration")
}

/// The status answered and the fault met by each request on this route, oldest first.
fn met(sim: &Simulator, method: &str, route: &str) -> Vec<(Option<u16>, Option<&'static str>)> {
    sim.requests_on(method, route)
        .into_iter()
        .map(|r| (r.status, r.fault))
        .collect()
}

#[tokio::test]
async fn a_5xx_after_processing_leaves_the_message_stored() {
    let sim = Simulator::start().await;
    sim.inject(Fault::server_error_after(500).on("POST", "/messages"));
    let error = client_with(&sim, RetryPolicy::none())
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "after-500"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status_code(), Some(500));
    assert_eq!(error.error_code(), Some("server_error"));
    assert!(error.outcome_unknown(), "a 500 may hide a success: {error}");
    // The API has it all the same, as a lookup by its reference finds.
    let (status, found) = get_json(&sim, "/messages?reference=after-500").await;
    assert_eq!(status, 200);
    let stored = sim.messages_with_reference("after-500");
    assert_eq!(stored.len(), 1);
    assert_eq!(ids(&found), [stored[0].id.clone()]);
    assert_eq!(
        met(&sim, "POST", "/messages"),
        [(Some(500), Some("server_error_after"))]
    );

    // A client that looks the reference up returns the stored message, not a second one.
    sim.inject(Fault::server_error_after(502).on("POST", "/messages"));
    let reconciling = sim
        .config()
        .with_retry(fast_retries())
        .with_send_policy(SendPolicy::never_resend().with_lookups(2, Duration::from_millis(100)))
        .build()
        .unwrap();
    let message = reconciling
        .send_message()
        .body(text(demo::SALES, "+34600000000", "y", "after-502"))
        .send()
        .await
        .expect("found by its reference")
        .into_inner();
    let stored = sim.messages_with_reference("after-502");
    assert_eq!(stored.len(), 1);
    assert_eq!(message.id.as_deref(), Some(stored[0].id.as_str()));
    assert_eq!(sim.route_count("POST", "/messages"), 2, "no second send");
    assert!(sim.route_count("GET", "/messages") >= 2, "the lookup");
}

#[tokio::test]
async fn a_delayed_answer_comes_late_but_the_message_is_stored_at_once() {
    let sim = Simulator::start().await;
    // Held for a minute: the message is there while the client still waits.
    sim.inject(Fault::delay(Duration::from_secs(60)).on("POST", "/messages"));
    let client = client_with(&sim, RetryPolicy::none());
    let waiting = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .send_message()
                .body(text(demo::SALES, "+34600000000", "x", "held"))
                .send()
                .await
        }
    });
    sim.wait_until("the held send is stored", PATIENCE, |sim| {
        sim.messages_with_reference("held").len() == 1
    })
    .await;
    assert!(!waiting.is_finished(), "no answer yet");
    assert_eq!(met(&sim, "POST", "/messages"), [(None, Some("delay"))]);
    waiting.abort();

    // A short delay: the answer comes, and it is the message stored.
    sim.inject(Fault::delay(Duration::from_millis(30)).on("POST", "/messages"));
    let message = client
        .send_message()
        .body(text(demo::SALES, "+34600000000", "y", "late"))
        .send()
        .await
        .expect("answered after the delay")
        .into_inner();
    let stored = sim.messages_with_reference("late");
    assert_eq!(stored.len(), 1);
    assert_eq!(message.id.as_deref(), Some(stored[0].id.as_str()));
    assert_eq!(
        met(&sim, "POST", "/messages").last(),
        Some(&(Some(201), Some("delay")))
    );
}

#[tokio::test]
async fn a_hang_times_the_client_out_and_stores_nothing() {
    let sim = Simulator::start().await;
    sim.inject(Fault::hang().on("POST", "/messages"));
    let error = impatient(&sim)
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "hung"))
        .send()
        .await
        .unwrap_err();
    assert!(
        error.transport_error().is_some_and(|e| e.is_timeout()),
        "a timeout: {error}"
    );
    assert!(error.outcome_unknown(), "the client cannot know: {error}");
    assert!(sim.messages().is_empty());
    assert_eq!(met(&sim, "POST", "/messages"), [(None, Some("hang"))]);

    // A client that looks the reference up finds nothing, and sends once more.
    sim.inject(Fault::hang().on("POST", "/messages"));
    let resending = sim
        .config()
        .with_retry(RetryPolicy::none())
        .with_send_policy(
            SendPolicy::reconcile_then_resend().with_lookups(1, Duration::from_millis(10)),
        )
        .with_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let message = resending
        .send_message()
        .body(text(demo::SALES, "+34600000000", "y", "resent"))
        .send()
        .await
        .expect("sent again after a lookup found nothing")
        .into_inner();
    let stored = sim.messages_with_reference("resent");
    assert_eq!(stored.len(), 1);
    assert_eq!(message.id.as_deref(), Some(stored[0].id.as_str()));
    assert_eq!(
        met(&sim, "POST", "/messages")[1..],
        [(None, Some("hang")), (Some(201), None)]
    );
}

// ---- scripted routes -----------------------------------------------------------------------

#[tokio::test]
async fn a_scripted_route_is_answered_in_order_then_by_the_model() {
    let sim = Simulator::start().await;
    let route = "/devices/{id}";
    sim.inject_sequence(
        "GET",
        route,
        [
            Fault::answer(
                Answer::new(429)
                    .retry_after(3)
                    .header("X-Scripted", "yes")
                    .json(json!({ "message": "slow down" })),
            ),
            Fault::server_error_html(502),
            Fault::answer(Answer::new(200).json(json!({ "id": "scripted" }))),
            Fault::drop_before(),
            Fault::hang(),
            Fault::server_error(500).times(2),
        ],
    );
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let get = |path: String| {
        client
            .get(format!("{}{path}", sim.base_url()))
            .header("Token", sim.api_key())
            .send()
    };
    let read = || get(format!("/devices/{}", demo::SALES));

    // Other routes of the same prefix are the model's, and use nothing up.
    assert_eq!(get("/devices".into()).await.unwrap().status(), 200);
    let health = get(format!("/devices/{}/health", demo::SALES));
    assert_eq!(health.await.unwrap().status(), 200);

    let limited = read().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "3");
    assert_eq!(limited.headers()["x-scripted"], "yes");
    assert_eq!(
        limited.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(
        limited.json::<Value>().await.unwrap(),
        json!({ "message": "slow down" })
    );
    let html = read().await.unwrap();
    assert_eq!(html.status(), 502);
    assert!(html.text().await.unwrap().starts_with("<html>"));
    let scripted: Value = read().await.unwrap().json().await.unwrap();
    assert_eq!(scripted, json!({ "id": "scripted" }));
    let dropped = read().await.unwrap_err();
    assert!(!dropped.is_timeout(), "closed, not timed out: {dropped}");
    let hung = read().await.unwrap_err();
    assert!(hung.is_timeout(), "never answered: {hung}");
    for _ in 0..2 {
        assert_eq!(read().await.unwrap().status(), 500);
    }
    let device: Value = read().await.unwrap().json().await.unwrap();
    assert_eq!(device["id"], demo::SALES, "the model again");

    assert!(sim.pending_faults().is_empty());
    assert_eq!(sim.route_count("GET", route), 8);
    assert_eq!(
        met(&sim, "GET", route),
        [
            (Some(429), Some("answer")),
            (Some(502), Some("server_error_html")),
            (Some(200), Some("answer")),
            (None, Some("drop_before")),
            (None, Some("hang")),
            (Some(500), Some("server_error")),
            (Some(500), Some("server_error")),
            (Some(200), None),
        ]
    );
}

#[tokio::test]
async fn the_sdks_retries_ride_out_a_scripted_route() {
    let sim = Simulator::start().await;
    sim.inject_sequence(
        "GET",
        "/devices/{id}",
        [
            Fault::drop_before(),
            Fault::hang(),
            Fault::server_error_html(502),
        ],
    );
    let client = sim
        .config()
        .with_retry(fast_retries())
        .with_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let device = client
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .expect("the fourth attempt is the model's")
        .into_inner();
    assert_eq!(device.id.as_deref(), Some(demo::SALES));
    let faults: Vec<_> = met(&sim, "GET", "/devices/{id}")
        .into_iter()
        .map(|(_, fault)| fault)
        .collect();
    assert_eq!(
        faults,
        [
            Some("drop_before"),
            Some("hang"),
            Some("server_error_html"),
            None
        ]
    );

    // A sequence left unused can be cleared.
    sim.inject_sequence("GET", "/devices/{id}", [Fault::server_error(500)]);
    assert_eq!(sim.pending_faults().len(), 1);
    sim.clear_faults();
    assert!(sim.pending_faults().is_empty());
    client
        .get_device()
        .device_id(demo::SALES)
        .send()
        .await
        .expect("the model answers");
}

#[tokio::test]
async fn a_cut_off_answer_keeps_its_status_but_not_its_body_and_the_message_is_stored() {
    let sim = Simulator::start().await;
    sim.inject(Fault::cut_off(5).on_route("POST", "/messages"));
    let error = impatient(&sim)
        .send_message()
        .body(text(demo::SALES, "+34600000000", "x", "r-cut"))
        .send()
        .await
        .expect_err("the body breaks off");
    assert!(error.outcome_unknown(), "{error:?}");
    assert!(error.transport_error().is_some(), "{error:?}");
    assert_eq!(sim.messages_with_reference("r-cut").len(), 1);
    assert_eq!(
        met(&sim, "POST", "/messages"),
        [(Some(201), Some("cut_off"))]
    );
}
