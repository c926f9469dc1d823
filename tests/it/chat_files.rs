//! Chat Files: every operation's request (method, path, query, `Token`) is asserted by its typed
//! mock; the download is read as raw bytes.

use futures::TryStreamExt;
use serde_json::json;
use sparkbot_api::types::{self, ChatFileFlow, ChatFileSort, ChatFileType};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, authed, client, device_id, from_json, server,
};

const FILE: &str = "65a1b2c3d4e5f6a7b8c9d0e1";

fn file_id() -> types::ChatFileId {
    FILE.parse().unwrap()
}

fn file_json() -> serde_json::Value {
    json!({
        "id": FILE,
        "chat": "447362053576@c.us",
        "type": "image",
        "filename": "photo.jpg",
        "mime": "image/jpeg",
        "extension": "jpg",
        "size": 2048,
        "expiresAt": "2026-02-01T00:00:00.000Z",
        "links": {"download": format!("/v1/chat/{DEVICE_ID}/files/{FILE}/download")}
    })
}

#[tokio::test]
async fn list_chat_files_sends_the_node_filters() {
    let server = server().await;
    let files: Vec<types::ChatFile> = vec![from_json(file_json())];
    let mock = server.list_chat_files(|when, then| {
        let when = when
            .device_id(&device_id())
            .page(1)
            .size(std::num::NonZeroU64::new(20).unwrap())
            .sort(&ChatFileSort::SizeDesc)
            .search("photo")
            .flow(&ChatFileFlow::In)
            .into_inner()
            .query_param("after", "2026-01-01T00:00:00Z")
            .query_param("before", "2026-02-01T00:00:00Z")
            // Array filters go out repeated, one `name=value` pair per item.
            .query_param("type", "image")
            .query_param("type", "ptt")
            .query_param("chat", "447362053576@c.us")
            .query_param("chat", "120363012345678901@g.us")
            .query_param("ids", FILE)
            .query_param("message", "3EB0C767D097B7E8A1B2")
            .query_param_missing("kind");
        authed(when);
        then.ok(&files);
    });
    let listed = client(&server)
        .list_chat_files()
        .device_id(DEVICE_ID)
        .page(1u64)
        .size(20u64)
        .sort(ChatFileSort::SizeDesc)
        .type_(vec![ChatFileType::Image, ChatFileType::Ptt])
        .search("photo")
        .chat(vec![
            "447362053576@c.us".parse::<types::ChatWid>().unwrap(),
            "120363012345678901@g.us".parse::<types::ChatWid>().unwrap(),
        ])
        .ids(vec![file_id()])
        .message(vec![
            "3EB0C767D097B7E8A1B2"
                .parse::<types::ListChatFilesMessageItem>()
                .unwrap(),
        ])
        .flow(ChatFileFlow::In)
        .after(
            "2026-01-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .before(
            "2026-02-01T00:00:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed[0].type_, Some(ChatFileType::Image));
    assert_eq!(listed[0].size, Some(2048));
}

#[tokio::test]
async fn get_chat_file_decodes_metadata() {
    let server = server().await;
    let mock = server.get_chat_file(|when, then| {
        authed(
            when.device_id(&device_id())
                .file_id(&file_id())
                .into_inner(),
        );
        then.ok(&from_json(file_json()));
    });
    let file = client(&server)
        .get_chat_file()
        .device_id(DEVICE_ID)
        .file_id(FILE)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(file.filename.as_deref(), Some("photo.jpg"));
    assert_eq!(file.mime.as_deref(), Some("image/jpeg"));
}

#[tokio::test]
async fn download_chat_file_streams_the_bytes_without_a_token_query() {
    let server = server().await;
    let bytes: Vec<u8> = (0u8..=255).cycle().take(10_000).collect();
    let mock = server.download_chat_file(|when, then| {
        let when = when
            .device_id(&device_id())
            .file_id(&file_id())
            .into_inner()
            .query_param_missing("token");
        authed(when);
        then.into_inner()
            .status(200)
            .header("content-type", "application/octet-stream")
            .body(bytes.clone());
    });
    let stream = client(&server)
        .download_chat_file()
        .device_id(DEVICE_ID)
        .file_id(FILE)
        .send()
        .await
        .unwrap()
        .into_inner();
    let chunks: Vec<bytes::Bytes> = stream.into_inner().try_collect().await.unwrap();
    mock.assert();
    let got: Vec<u8> = chunks.concat();
    assert_eq!(got, bytes);
}

#[tokio::test]
async fn download_chat_file_maps_an_expired_file_to_an_error() {
    let server = server().await;
    let mock = server.download_chat_file(|when, then| {
        authed(when.file_id(&file_id()).into_inner());
        then.not_found(&api_error(404, "file:not_found", "File expired"));
    });
    let err = client(&server)
        .download_chat_file()
        .device_id(DEVICE_ID)
        .file_id(FILE)
        .send()
        .await
        .err()
        .expect("an expired file is an error");
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}
