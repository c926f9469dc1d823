//! The list-endpoint streams generated from the spec (`SparkBot::<operation>_stream`, in
//! sparkbot-extras/src/generated_streams.rs) against httpmock: pages of the endpoint's
//! `maxSize`, filters from the caller's closure on every page, the end on a short or empty page,
//! retries per page; and one stream for exactly each paginated operation of the spec.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use httpmock::{Method, MockServer};
use serde_json::json;
use sparkbot_api::types::{self, ChatStatusFilter, ChatType};
use sparkbot_api::{ApiKey, ClientConfig};
use sparkbot_extras::{Error, RetryPolicy, SparkBot};
use sparkbot_tests::{
    DEVICE_ID, TEST_API_KEY, authed, from_json, snake_case, spec, spec_operations,
};

fn bot(server: &MockServer) -> SparkBot {
    SparkBot::new(
        ClientConfig::new(server.base_url(), ApiKey::new(TEST_API_KEY).unwrap())
            .with_timeout(Duration::from_secs(5))
            .with_retry(
                RetryPolicy::default()
                    .with_max_attempts(3)
                    .with_backoff(Duration::from_millis(2), Duration::from_millis(5)),
            )
            .build()
            .expect("valid configuration"),
    )
}

/// `count` items `{"id": "<prefix>-<n>"}` numbered from `from`.
fn items<T: serde::de::DeserializeOwned>(prefix: &str, from: usize, count: usize) -> Vec<T> {
    (from..from + count)
        .map(|n| from_json(json!({"id": format!("{prefix}-{n}")})))
        .collect()
}

/// Mocks one page of a GET list endpoint: `page`, `size` and `filters` must all be in the query.
fn page_mock<'a, T: serde::Serialize>(
    server: &'a MockServer,
    path: &str,
    page: u64,
    size: u64,
    filters: &[(&str, &str)],
    body: &[T],
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
            .json_body(serde_json::to_value(body).unwrap());
    })
}

#[tokio::test]
async fn list_chats_stream_pages_at_50_with_the_closures_filters_until_a_short_page() {
    let server = sparkbot_tests::server().await;
    let path = format!("/chat/{DEVICE_ID}/chats");
    let filters = [("status", "active"), ("type", "group"), ("unread", "true")];
    let first: Vec<types::Chat> = items("chat", 0, 50);
    let second: Vec<types::Chat> = items("chat", 50, 50);
    let last: Vec<types::Chat> = items("chat", 100, 7);
    let p0 = page_mock(&server, &path, 0, 50, &filters, &first);
    let p1 = page_mock(&server, &path, 1, 50, &filters, &second);
    let p2 = page_mock(&server, &path, 2, 50, &filters, &last);

    let chats: Vec<types::Chat> = bot(&server)
        .list_chats_stream(|chats| {
            chats
                .device_id(DEVICE_ID)
                .status(vec![ChatStatusFilter::Active])
                .type_(vec![ChatType::Group])
                .unread(true)
        })
        .try_collect()
        .await
        .unwrap();

    assert_eq!(chats.len(), 107);
    assert_eq!(chats[0].id.as_deref(), Some("chat-0"));
    assert_eq!(chats[106].id.as_deref(), Some("chat-106"));
    // Each page once, and nothing after the short one.
    p0.assert();
    p1.assert();
    p2.assert();
}

#[tokio::test]
async fn list_groups_stream_uses_the_endpoints_own_max_size() {
    let server = sparkbot_tests::server().await;
    let path = format!("/devices/{DEVICE_ID}/groups");
    let first: Vec<types::Group> = items("group", 0, 500);
    let last: Vec<types::Group> = items("group", 500, 3);
    let p0 = page_mock(&server, &path, 0, 500, &[], &first);
    let p1 = page_mock(&server, &path, 1, 500, &[], &last);

    let groups: Vec<types::Group> = bot(&server)
        .list_groups_stream(|groups| groups.device_id(DEVICE_ID))
        .try_collect()
        .await
        .unwrap();

    assert_eq!(groups.len(), 503);
    p0.assert();
    p1.assert();
}

#[tokio::test]
async fn list_webhooks_stream_stops_on_an_empty_page_and_fetches_lazily() {
    let server = sparkbot_tests::server().await;
    let full: Vec<types::Webhook> = items("hook", 0, 200);
    let empty: Vec<types::Webhook> = Vec::new();
    let p0 = page_mock(&server, "/webhooks", 0, 200, &[], &full);
    let p1 = page_mock(&server, "/webhooks", 1, 200, &[], &empty);

    let mut hooks = bot(&server).list_webhooks_stream(|hooks| hooks);
    let first = hooks.try_next().await.unwrap().unwrap();
    assert_eq!(first.id.as_deref(), Some("hook-0"));
    // One item read: only the first page has been asked for.
    assert_eq!(p1.calls(), 0);
    let rest: Vec<types::Webhook> = hooks.try_collect().await.unwrap();
    assert_eq!(rest.len(), 199);
    p0.assert();
    p1.assert();
}

#[tokio::test]
async fn search_team_members_stream_sends_filters_without_a_required_parameter() {
    let server = sparkbot_tests::server().await;
    let last: Vec<types::TeamMember> = items("member", 0, 2);
    let p0 = page_mock(&server, "/team", 0, 100, &[("device", DEVICE_ID)], &last);

    let members: Vec<types::TeamMember> = bot(&server)
        .search_team_members_stream(|team| team.device(DEVICE_ID))
        .try_collect()
        .await
        .unwrap();

    assert_eq!(members.len(), 2);
    p0.assert();
}

#[tokio::test]
async fn each_page_is_retried_and_a_lasting_failure_ends_the_stream_after_the_items_before_it() {
    let server = sparkbot_tests::server().await;
    let path = format!("/devices/{DEVICE_ID}/quickReplies");
    let full: Vec<types::QuickReply> = items("reply", 0, 100);
    let p0 = page_mock(&server, &path, 0, 100, &[], &full);
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

    let results: Vec<Result<types::QuickReply, Error>> = bot(&server)
        .list_quick_replies_stream(|replies| replies.device_id(DEVICE_ID))
        .collect()
        .await;

    assert_eq!(results.len(), 101);
    assert!(results[..100].iter().all(Result::is_ok));
    assert!(matches!(results[100], Err(Error::Server(_))), "{results:?}");
    p0.assert();
    // Three attempts, as the policy says: pages go through `SparkBot::call`.
    assert_eq!(p1.calls(), 3);
}

#[tokio::test]
async fn a_missing_required_parameter_fails_before_any_request() {
    let server = sparkbot_tests::server().await;
    let any = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!([]));
    });
    let results: Vec<Result<types::CampaignRecipient, Error>> = bot(&server)
        .list_campaign_contacts_stream(|contacts| contacts)
        .collect()
        .await;
    assert_eq!(results.len(), 1);
    assert!(
        matches!(&results[0], Err(Error::InvalidInput(why)) if why.contains("campaign_id")),
        "{results:?}"
    );
    assert_eq!(any.calls(), 0);
}

#[tokio::test]
async fn the_hand_written_streams_delegate_to_the_generated_ones() {
    let server = sparkbot_tests::server().await;
    let messages: Vec<types::Message> = items("m", 0, 4);
    let p0 = page_mock(
        &server,
        "/messages",
        0,
        20,
        &[("status", "failed")],
        &messages,
    );
    let found: Vec<types::Message> = bot(&server)
        .search_messages_stream(|search| search.status(vec![types::MessageStatus::Failed]))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 4);
    p0.assert();
}

// ---- the set of streams is the set of paginated operations ----

/// `<operation>_stream` → (item type, maxSize), for each operation with `x-sparkbot-pagination`.
fn paginated_operations(spec: &serde_yaml::Value) -> BTreeMap<String, (String, u64)> {
    spec_operations(spec)
        .into_iter()
        .filter_map(|(id, op)| {
            let pagination = op.get("x-sparkbot-pagination")?;
            let max_size = pagination["maxSize"].as_u64().expect("maxSize");
            let item_ref = op["responses"]["200"]["content"]["application/json"]["schema"]["items"]
                ["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: the items are not a $ref"));
            let item = item_ref.trim_start_matches("#/components/schemas/");
            Some((
                format!("{}_stream", snake_case(&id)),
                (item.to_owned(), max_size),
            ))
        })
        .collect()
}

/// Every `pub fn <name>_stream` of the generated file → (item type, maxSize), read from its text.
fn generated_streams(source: &str) -> BTreeMap<String, (String, u64)> {
    let mut streams = BTreeMap::new();
    for chunk in source.split("pub fn ").skip(1) {
        let name: String = chunk
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.ends_with("_stream") {
            continue;
        }
        let item = chunk
            .split_once("PageStream<types::")
            .and_then(|(_, rest)| rest.split_once('>'))
            .map(|(item, _)| item.trim().to_owned())
            .unwrap_or_else(|| panic!("{name}: no `PageStream<types::…>` return type"));
        let max_size = chunk
            .split_once("Paging::with_max_size(")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(n, _)| n.trim().trim_end_matches("u64").parse::<u64>().unwrap())
            .unwrap_or_else(|| panic!("{name}: no `Paging::with_max_size(…)`"));
        streams.insert(name, (item, max_size));
    }
    streams
}

#[test]
fn there_is_one_generated_stream_per_paginated_operation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let expected = paginated_operations(&spec());
    assert!(
        expected.len() >= 15,
        "suspiciously few paginated operations: {}",
        expected.len()
    );
    let source = std::fs::read_to_string(root.join("sparkbot-extras/src/generated_streams.rs"))
        .expect("the generated streams exist");
    let generated = generated_streams(&source);

    let want: BTreeSet<&String> = expected.keys().collect();
    let have: BTreeSet<&String> = generated.keys().collect();
    assert_eq!(
        want.difference(&have).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "paginated operations without a stream (run `cargo xtask generate`)"
    );
    assert_eq!(
        have.difference(&want).collect::<Vec<_>>(),
        Vec::<&&String>::new(),
        "streams for operations that are not paginated"
    );
    // Same item type and page size as the spec says, stream by stream.
    assert_eq!(generated, expected);
    // The file is the generator's: it carries the @generated header.
    assert!(source.starts_with("// @generated by `cargo xtask generate`"));
}
