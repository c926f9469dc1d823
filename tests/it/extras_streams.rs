//! The list builders' own streams (`client.list_chats().device_id(id).stream()`, from the
//! `Paginated` table generated into sparkbot-api) against httpmock: pages of the endpoint's
//! `maxSize` with the caller's filters on every page, the end on a short or empty page or a 400
//! past the end, a repeated page and the loop guard as typed errors, lazy fetching, retries per
//! page, a missing required parameter before any I/O; the extras' `devices_stream` on top; and
//! one stream impl for exactly each paginated operation of the spec.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use httpmock::{Method, MockServer};
use serde_json::json;
use sparkbot_api::paging::{
    DEFAULT_MAX_PAGES, PAGINATED_OPERATIONS, PageError, Pages, Paginated, PaginatedOperation,
};
use sparkbot_api::types::{self, ChatStatusFilter, ChatType};
use sparkbot_api::{Client, builder};
use sparkbot_extras::{DeviceFilter, Error, RetryPolicy, SparkBot};
use sparkbot_tests::{DEVICE_ID, authed, spec, spec_operations};

/// A client on `server` making at most three attempts per call, with millisecond backoffs.
fn client(server: &MockServer) -> Client {
    sparkbot_tests::config(server)
        .with_timeout(Duration::from_secs(5))
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(3)
                .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
        )
        .build()
        .expect("valid configuration")
}

/// `count` items `{"id": "<prefix>-<n>"}` numbered from `from`.
fn items(prefix: &str, from: usize, count: usize) -> Vec<serde_json::Value> {
    (from..from + count)
        .map(|n| json!({"id": format!("{prefix}-{n}")}))
        .collect()
}

/// Mocks one page of a GET list endpoint: `page`, `size` and `filters` must all be in the query.
fn page_mock<'a>(
    server: &'a MockServer,
    path: &str,
    page: u64,
    size: u64,
    filters: &[(&str, &str)],
    body: &[serde_json::Value],
) -> httpmock::Mock<'a> {
    server.mock(|when, then| {
        let mut when = authed(
            when.method(Method::GET)
                .path(path)
                .query_param("page", page.to_string())
                .query_param("size", size.to_string()),
        );
        for (name, value) in filters {
            when = when.query_param(*name, *value);
        }
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!(body));
    })
}

/// Mocks every request to `path`, whatever its query, with `status` and `body`.
fn any_page_mock<'a>(
    server: &'a MockServer,
    path: &str,
    status: u16,
    body: serde_json::Value,
) -> httpmock::Mock<'a> {
    server.mock(|when, then| {
        authed(when.method(Method::GET).path(path));
        then.status(status)
            .header("content-type", "application/json")
            .json_body(body);
    })
}

fn ids<T: serde::Serialize>(items: &[T]) -> Vec<String> {
    items
        .iter()
        .map(|i| {
            serde_json::to_value(i).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn list_chats_streams_pages_of_50_with_the_callers_filters_until_a_short_page() {
    let server = sparkbot_tests::server().await;
    let path = format!("/chat/{DEVICE_ID}/chats");
    let filters = [("status", "active"), ("type", "group"), ("unread", "true")];
    let p0 = page_mock(&server, &path, 0, 50, &filters, &items("chat", 0, 50));
    let p1 = page_mock(&server, &path, 1, 50, &filters, &items("chat", 50, 50));
    let p2 = page_mock(&server, &path, 2, 50, &filters, &items("chat", 100, 7));
    let p3 = page_mock(&server, &path, 3, 50, &filters, &[]);

    let client = client(&server);
    let chats: Vec<types::Chat> = client
        .list_chats()
        .device_id(DEVICE_ID)
        .status(vec![ChatStatusFilter::Active])
        .type_(vec![ChatType::Group])
        .unread(true)
        // Replaced by the stream's own `page` and `size`.
        .page(7u64)
        .size(std::num::NonZeroU64::new(3).unwrap())
        .stream()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(chats.len(), 107);
    let expected: Vec<String> = (0..107).map(|n| format!("chat-{n}")).collect();
    assert_eq!(ids(&chats), expected);
    // Each page once, with the filters (an unmatched request would fail the stream), and
    // nothing after the short page.
    p0.assert();
    p1.assert();
    p2.assert();
    assert_eq!(p3.calls(), 0);
}

#[tokio::test]
async fn list_groups_pages_at_its_own_max_size_and_page_size_is_clamped_to_it() {
    let server = sparkbot_tests::server().await;
    let path = format!("/devices/{DEVICE_ID}/groups");
    let p0 = page_mock(&server, &path, 0, 500, &[], &items("group", 0, 500));
    let p1 = page_mock(&server, &path, 1, 500, &[], &items("group", 500, 3));
    let client = client(&server);

    let stream = client.list_groups().device_id(DEVICE_ID).stream();
    assert_eq!(stream.size(), 500);
    let groups: Vec<types::Group> = stream.try_collect().await.unwrap();
    assert_eq!(groups.len(), 503);
    p0.assert();
    p1.assert();

    // Asking for more than the endpoint accepts still sends its maximum.
    assert_eq!(
        client
            .list_groups()
            .device_id(DEVICE_ID)
            .stream()
            .page_size(10_000)
            .size(),
        500
    );
}

#[tokio::test]
async fn a_smaller_page_size_is_sent_on_every_page() {
    let server = sparkbot_tests::server().await;
    let path = format!("/devices/{DEVICE_ID}/quickReplies");
    let p0 = page_mock(&server, &path, 0, 2, &[], &items("reply", 0, 2));
    let p1 = page_mock(&server, &path, 1, 2, &[], &items("reply", 2, 1));
    let client = client(&server);
    let replies: Vec<types::QuickReply> = client
        .list_quick_replies()
        .device_id(DEVICE_ID)
        .stream()
        .page_size(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&replies), ["reply-0", "reply-1", "reply-2"]);
    p0.assert();
    p1.assert();
}

#[tokio::test]
async fn an_empty_page_ends_the_stream_and_pages_are_fetched_lazily() {
    let server = sparkbot_tests::server().await;
    let p0 = page_mock(&server, "/webhooks", 0, 200, &[], &items("hook", 0, 200));
    let p1 = page_mock(&server, "/webhooks", 1, 200, &[], &[]);
    let p2 = page_mock(&server, "/webhooks", 2, 200, &[], &items("hook", 200, 1));
    let client = client(&server);

    let mut hooks = client.list_webhooks().stream();
    // Making the stream sends nothing.
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(p0.calls(), 0);
    let first = hooks.try_next().await.unwrap().unwrap();
    assert_eq!(first.id.as_deref(), Some("hook-0"));
    // One item read: only the first page has been asked for.
    assert_eq!((p0.calls(), p1.calls()), (1, 0));
    for _ in 1..200 {
        hooks.try_next().await.unwrap().unwrap();
    }
    // The first page used up, the second is still not asked for until the next item is.
    assert_eq!(p1.calls(), 0);
    assert!(hooks.try_next().await.unwrap().is_none());
    assert!(futures::stream::FusedStream::is_terminated(&hooks));
    assert!(hooks.next().await.is_none());
    p0.assert();
    p1.assert();
    assert_eq!(p2.calls(), 0);
}

#[tokio::test]
async fn a_400_past_the_first_page_ends_the_stream_but_on_the_first_page_is_an_error() {
    let server = sparkbot_tests::server().await;
    let path = format!("/devices/{DEVICE_ID}/meeting-links");
    let p0 = page_mock(&server, &path, 0, 20, &[], &items("link", 0, 20));
    let past_end = server.mock(|when, then| {
        authed(
            when.method(Method::GET)
                .path(path.as_str())
                .query_param("page", "1"),
        );
        then.status(400)
            .header("content-type", "application/json")
            .json_body(
                json!({"status": 400, "errorCode": "page:invalid", "message": "Invalid page"}),
            );
    });
    let api = client(&server);
    let links: Vec<types::MeetingLink> = api
        .list_meeting_links()
        .device_id(DEVICE_ID)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(links.len(), 20);
    p0.assert();
    // Not retried: a 400 is final, and past the first page it means "no more".
    past_end.assert();

    let other = sparkbot_tests::server().await;
    let refused = any_page_mock(
        &other,
        "/webhooks",
        400,
        json!({"status": 400, "errorCode": "size:invalid", "message": "Invalid size"}),
    );
    let api = client(&other);
    let results: Vec<Result<types::Webhook, PageError>> =
        api.list_webhooks().stream().collect().await;
    assert_eq!(results.len(), 1, "{results:?}");
    match &results[0] {
        Err(PageError::Api(e)) => assert_eq!(e.status().map(|s| s.as_u16()), Some(400)),
        other => panic!("expected the 400 as PageError::Api, got {other:?}"),
    }
    refused.assert();
}

#[tokio::test]
async fn a_page_repeating_the_previous_one_stops_with_a_typed_error_after_two_requests() {
    let server = sparkbot_tests::server().await;
    let path = format!("/chat/{DEVICE_ID}/chats");
    // A server that ignores `page`: every request gets the same full page.
    let same = any_page_mock(&server, &path, 200, json!(items("chat", 0, 50)));
    let client = client(&server);

    let results: Vec<Result<types::Chat, PageError>> = client
        .list_chats()
        .device_id(DEVICE_ID)
        .stream()
        // Without the check the loop guard would end this after 5 requests instead.
        .max_pages(5)
        .collect()
        .await;

    assert_eq!(results.len(), 51, "{:?}", results.last());
    assert!(results[..50].iter().all(Result::is_ok));
    match &results[50] {
        Err(PageError::RepeatedPage {
            operation,
            page,
            size,
        }) => {
            assert_eq!((*operation, *page, *size), ("list_chats", 1, 50));
            let text = results[50].as_ref().unwrap_err().to_string();
            assert!(text.contains("page 1 repeats page 0"), "{text}");
        }
        other => panic!("expected PageError::RepeatedPage, got {other:?}"),
    }
    assert_eq!(same.calls(), 2);
}

#[tokio::test]
async fn pages_that_differ_are_not_taken_for_repeats() {
    let server = sparkbot_tests::server().await;
    let path = format!("/devices/{DEVICE_ID}/channels");
    // Same ids, one field different on one item: not a repeat.
    let first = items("channel", 0, 100);
    let mut second = first.clone();
    second[99]["name"] = json!("renamed");
    let p0 = page_mock(&server, &path, 0, 100, &[], &first);
    let p1 = page_mock(&server, &path, 1, 100, &[], &second);
    let p2 = page_mock(&server, &path, 2, 100, &[], &[]);
    let client = client(&server);
    let channels: Vec<types::Channel> = client
        .list_channels()
        .device_id(DEVICE_ID)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(channels.len(), 200);
    p0.assert();
    p1.assert();
    p2.assert();
}

#[tokio::test]
async fn the_loop_guard_stops_with_a_typed_error_after_max_pages_requests() {
    assert_eq!(DEFAULT_MAX_PAGES, 10_000);
    let server = sparkbot_tests::server().await;
    let path = format!("/devices/{DEVICE_ID}/invoices");
    let pages: Vec<_> = (0..4u64)
        .map(|n| {
            page_mock(
                &server,
                &path,
                n,
                50,
                &[],
                &items("inv", n as usize * 50, 50),
            )
        })
        .collect();
    let client = client(&server);

    let stream = client.list_device_invoices().device_id(DEVICE_ID).stream();
    let results: Vec<Result<types::Invoice, PageError>> = stream.max_pages(3).collect().await;

    assert_eq!(results.len(), 151, "{:?}", results.last());
    assert!(results[..150].iter().all(Result::is_ok));
    assert!(
        matches!(
            results[150],
            Err(PageError::TooManyPages {
                operation: "list_device_invoices",
                pages: 3
            })
        ),
        "{:?}",
        results[150]
    );
    for page in &pages[..3] {
        page.assert();
    }
    assert_eq!(pages[3].calls(), 0);
}

#[tokio::test]
async fn each_page_is_retried_and_a_lasting_failure_ends_the_stream_after_the_items_before_it() {
    let server = sparkbot_tests::server().await;
    let path = format!("/devices/{DEVICE_ID}/quickReplies");
    let p0 = page_mock(&server, &path, 0, 100, &[], &items("reply", 0, 100));
    let p1 = server.mock(|when, then| {
        authed(
            when.method(Method::GET)
                .path(path.as_str())
                .query_param("page", "1"),
        );
        then.status(503)
            .header("content-type", "application/json")
            .json_body(json!({"status": 503, "message": "maintenance"}));
    });
    let client = client(&server);

    let results: Vec<Result<types::QuickReply, PageError>> = client
        .list_quick_replies()
        .device_id(DEVICE_ID)
        .stream()
        .collect()
        .await;

    assert_eq!(results.len(), 101);
    assert!(results[..100].iter().all(Result::is_ok));
    match &results[100] {
        Err(PageError::Api(e)) => assert_eq!(e.status().map(|s| s.as_u16()), Some(503)),
        other => panic!("expected the 503 as PageError::Api, got {other:?}"),
    }
    p0.assert();
    // Three attempts, as the client's policy says: each page is a call of the pipeline.
    assert_eq!(p1.calls(), 3);
}

#[tokio::test]
async fn a_missing_required_parameter_fails_before_any_request() {
    let server = sparkbot_tests::server().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!([]));
    });
    let client = client(&server);
    let results: Vec<Result<types::CampaignRecipient, PageError>> =
        client.list_campaign_contacts().stream().collect().await;
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(
        matches!(
            &results[0],
            Err(PageError::Api(sparkbot_api::Error::InvalidRequest(why))) if why.contains("campaign_id")
        ),
        "{results:?}"
    );
    assert_eq!(any.calls(), 0);
}

#[tokio::test]
async fn an_operation_without_required_parameters_streams_with_its_filters() {
    let server = sparkbot_tests::server().await;
    let p0 = page_mock(
        &server,
        "/team",
        0,
        100,
        &[("device", DEVICE_ID)],
        &items("member", 0, 2),
    );
    let client = client(&server);
    let members: Vec<types::TeamMember> = client
        .search_team_members()
        .device(DEVICE_ID)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&members), ["member-0", "member-1"]);
    p0.assert();
}

/// Generic code over any list builder.
async fn count<'a, B: Paginated<'a>>(request: B) -> Result<usize, PageError> {
    Pages::new(request)
        .try_fold(0, |n, _| async move { Ok(n + 1) })
        .await
}

#[tokio::test]
async fn generic_code_pages_any_list_builder() {
    let server = sparkbot_tests::server().await;
    let p0 = page_mock(
        &server,
        "/messages",
        0,
        20,
        &[("status", "failed")],
        &items("m", 0, 4),
    );
    let client = client(&server);
    let request = client
        .search_messages()
        .status(vec![types::MessageStatus::Failed]);
    assert_eq!(count(request).await.unwrap(), 4);
    p0.assert();
}

// ---- sparkbot-extras on top ----

fn bot(server: &MockServer) -> SparkBot {
    SparkBot::new(client(server))
}

#[tokio::test]
async fn devices_stream_is_the_list_builders_stream_with_the_filter() {
    let server = sparkbot_tests::server().await;
    let devices: Vec<serde_json::Value> = (0..100)
        .map(|n| json!({"id": format!("{n:024x}"), "status": "operative"}))
        .collect();
    let p0 = page_mock(
        &server,
        "/devices",
        0,
        100,
        &[("status", "operative"), ("search", "sales")],
        &devices,
    );
    let p1 = page_mock(
        &server,
        "/devices",
        1,
        100,
        &[("status", "operative"), ("search", "sales")],
        &[],
    );
    let bot = bot(&server);
    let found: Vec<types::Device> = bot
        .devices_stream(
            DeviceFilter::all()
                .status(types::DeviceStatusFilter::Operative)
                .search("sales"),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 100);
    p0.assert();
    p1.assert();
}

#[tokio::test]
async fn the_paging_errors_convert_into_the_extras_error() {
    let server = sparkbot_tests::server().await;
    let page: Vec<serde_json::Value> = (0..100)
        .map(|n| json!({"id": format!("{n:024x}")}))
        .collect();
    let same = any_page_mock(&server, "/devices", 200, json!(page));
    let bot = bot(&server);
    let results: Vec<Result<types::Device, Error>> =
        bot.devices_stream(DeviceFilter::all()).collect().await;
    assert_eq!(results.len(), 101);
    assert!(
        matches!(
            results[100],
            Err(Error::RepeatedPage {
                operation: "list_devices",
                page: 1,
                size: 100
            })
        ),
        "{:?}",
        results[100]
    );
    assert_eq!(same.calls(), 2);

    let guard: Error = PageError::TooManyPages {
        operation: "list_devices",
        pages: 7,
    }
    .into();
    assert!(
        matches!(guard, Error::TooManyPages { pages: 7 }),
        "{guard:?}"
    );
    let invalid: Error =
        PageError::Api(sparkbot_api::Error::InvalidRequest("device_id".into())).into();
    assert!(matches!(invalid, Error::InvalidInput(_)), "{invalid:?}");
}

// ---- the set of streams is the set of paginated operations ----

/// method name → (item type, maxSize), for each operation with `x-sparkbot-pagination`.
fn paginated_operations(spec: &serde_yaml::Value) -> BTreeMap<String, (String, u64)> {
    spec_operations(spec)
        .into_iter()
        .filter_map(|(names, op)| {
            let id = names.operation_id;
            let pagination = op.get("x-sparkbot-pagination")?;
            let max_size = pagination["maxSize"].as_u64().expect("maxSize");
            let item_ref = op["responses"]["200"]["content"]["application/json"]["schema"]["items"]
                ["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: the items are not a $ref"));
            let item = item_ref.trim_start_matches("#/components/schemas/");
            Some((names.method_name.to_owned(), (item.to_owned(), max_size)))
        })
        .collect()
}

#[test]
fn there_is_one_stream_impl_per_paginated_operation_of_the_spec() {
    let expected = paginated_operations(&spec());
    assert!(
        expected.len() >= 15,
        "suspiciously few paginated operations: {}",
        expected.len()
    );
    let generated: BTreeMap<String, (String, u64)> = PAGINATED_OPERATIONS
        .iter()
        .map(|o| (o.operation.to_owned(), (o.item.to_owned(), o.page_size)))
        .collect();
    assert_eq!(
        generated.len(),
        PAGINATED_OPERATIONS.len(),
        "an operation has two rows"
    );
    // Same operations, item types and page sizes as the spec says (run `cargo xtask generate`).
    assert_eq!(generated, expected);
}

#[test]
fn the_table_rows_are_the_trait_impls() {
    fn row<'a, B: Paginated<'a>>(item: &'static str) -> PaginatedOperation {
        PaginatedOperation {
            operation: B::OPERATION,
            item,
            page_size: B::PAGE_SIZE,
        }
    }
    // The item types are checked by the compiler here, the rest against the table.
    fn item_is<'a, B: Paginated<'a, Item = T>, T>() {}
    item_is::<builder::ListChats<'static>, types::Chat>();
    item_is::<builder::ListDevices<'static>, types::Device>();
    item_is::<builder::SyncChatMessages<'static>, types::ChatMessage>();
    for op in [
        row::<builder::ListChats<'static>>("Chat"),
        row::<builder::ListDevices<'static>>("Device"),
        row::<builder::ListGroups<'static>>("Group"),
        row::<builder::SearchMessages<'static>>("Message"),
        row::<builder::SyncChatMessages<'static>>("ChatMessage"),
    ] {
        assert!(PAGINATED_OPERATIONS.contains(&op), "{op:?}");
    }
    // A stream is Send, so it can be spawned or boxed.
    fn send<T: Send>(_: &T) {}
    let client =
        Client::with_api_key("http://localhost:1/v1", sparkbot_tests::TEST_API_KEY).unwrap();
    send(&client.list_chats().stream());
}

#[test]
fn the_streams_are_generated_into_sparkbot_api_and_nothing_into_extras() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let client = std::fs::read_to_string(root.join("sparkbot-api/src/generated.rs")).unwrap();
    assert!(client.starts_with("// @generated by `cargo xtask generate`"));
    let table = client
        .split_once("crate::paging::paginated_operations! {\n")
        .map(|(_, rest)| rest)
        .expect("the generated client ends with the stream table");
    let rows = table.lines().take_while(|l| *l != "}").count();
    assert_eq!(rows, PAGINATED_OPERATIONS.len());
    assert!(
        !root
            .join("sparkbot-extras/src/generated_streams.rs")
            .exists(),
        "the extras' generated streams are retired"
    );
}
