//! Files (account storage): every operation's request (method, path, query, `Token`, body) is
//! asserted by its typed mock, and its response decoded. Methods, paths, query names and body
//! fields are the SparkBot node's (`src/actions/outboundFiles.ts`).

use serde_json::json;
use sparkbot_api::types::{
    self, FileExpiration, FileKind, FileOrigin, FilePermission, FileStatus, MediaFormat,
};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, assert_invalid_request, authed, client, from_json,
    read_all, server,
};

const FILE_ID: &str = "6a1b2c3d4e5f6a7b8c9d0e1f";
const OTHER_FILE: &str = "6a1b2c3d4e5f6a7b8c9d0e2a";
const OWNER: &str = "64b7c8d9e0f1a2b3c4d5e6f7";

fn file_json() -> serde_json::Value {
    json!({
        "id": FILE_ID,
        "filename": "invoice.pdf",
        "size": 20480,
        "mime": "application/pdf",
        "ext": "pdf",
        "kind": "document",
        "format": "native",
        "status": "ready",
        "origin": "remote",
        "permission": "private",
        "reference": "inv-42",
        "tags": ["billing"],
        "createdAt": "2026-01-02T03:04:05Z"
    })
}

#[tokio::test]
async fn upload_file_sends_the_node_json_body_and_decodes_the_array() {
    let server = server().await;
    let req: types::UploadFileRequest = from_json(json!({
        "url": "https://example.com/invoice.pdf",
        "filename": "invoice.pdf",
        "reference": "inv-42",
        "format": "native",
        "expiration": "30d",
        "permission": "public",
        "tags": ["billing", "2026"]
    }));
    assert_eq!(req.expiration, Some(FileExpiration::V30d));
    let files: Vec<types::File> = vec![from_json(file_json())];
    let mock = server.upload_file(|when, then| {
        let when = when
            .reference(&"inv-42".parse::<types::UploadFileReference>().unwrap())
            .body(&req)
            .into_inner()
            .header("content-type", "application/json")
            .json_body_includes(r#"{"expiration": "30d", "permission": "public"}"#);
        authed(when);
        then.created(&files);
    });
    let stored = client(&server)
        .upload_file()
        .reference("inv-42")
        .body(req.clone())
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(stored.status(), 201);
    let stored = stored.into_inner();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id.as_deref(), Some(FILE_ID));
    assert_eq!(stored[0].kind, Some(FileKind::Document));
    assert_eq!(stored[0].format, Some(MediaFormat::Native));
}

#[tokio::test]
async fn upload_file_requires_the_url_and_checks_the_expiration() {
    assert!(
        serde_json::from_value::<types::UploadFileRequest>(json!({"filename": "a.png"})).is_err(),
        "url is required"
    );
    assert!("45d".parse::<FileExpiration>().is_err());
    assert_eq!("2y".parse::<FileExpiration>().unwrap(), FileExpiration::V2y);
    assert_eq!(FileExpiration::V10m.to_string(), "10m");
}

#[tokio::test]
async fn upload_file_duplicate_is_a_typed_409_with_the_existing_id() {
    let server = server().await;
    let mut conflict = api_error(409, "file:duplicate", "File already exists");
    conflict.meta = from_json(json!({"file": FILE_ID}));
    let mock = server.upload_file(|when, then| {
        authed(when.into_inner());
        then.conflict(&conflict);
    });
    let err = client(&server)
        .upload_file()
        .body(from_json::<types::UploadFileRequest>(
            json!({"url": "https://example.com/a.png"}),
        ))
        .send()
        .await
        .unwrap_err();
    mock.assert();
    let sparkbot_api::Error::ErrorResponse(rv) = err else {
        panic!("expected a typed error, got {err:?}");
    };
    assert_eq!(rv.status(), 409);
    assert_eq!(rv.meta.get("file"), Some(&json!(FILE_ID)));
}

#[tokio::test]
async fn search_files_sends_every_node_filter_and_decodes_the_array() {
    let server = server().await;
    let files: Vec<types::File> = vec![from_json(file_json())];
    let mock = server.search_files(|when, then| {
        let when = when
            .page(0)
            .size(std::num::NonZeroU64::new(100).unwrap())
            .search("invoice")
            .after("2026-01-01T00:00:00Z")
            .before("2026-02-01T00:00:00Z")
            .sha2("abc123")
            .reference("inv-42")
            .device(&DEVICE_ID.parse::<types::DeviceId>().unwrap())
            .filename("invoice.pdf")
            .origin(&FileOrigin::Remote)
            .permission(&FilePermission::Private)
            .owner(&OWNER.parse::<types::UserId>().unwrap())
            .filesize("10000,1000000");
        // Array filters go out repeated, one `name=value` pair per item.
        let when = when
            .into_inner()
            .query_param("format", "gif")
            .query_param("format", "ptt")
            .query_param("ids", FILE_ID)
            .query_param("ids", OTHER_FILE)
            .query_param("tags", "billing")
            .query_param("status", "ready")
            .query_param("status", "failed")
            .query_param("mime", "application/pdf")
            .query_param("mime", "image/png")
            .query_param("kind", "document")
            .query_param("kind", "file")
            .query_param("ext", "pdf")
            .query_param("ext", "xlsx");
        authed(when);
        then.ok(&files);
    });
    let date = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
    let listed = client(&server)
        .search_files()
        .page(0u64)
        .size(100u64)
        .search("invoice")
        .after(date("2026-01-01T00:00:00Z"))
        .before(date("2026-02-01T00:00:00Z"))
        .format(vec![MediaFormat::Gif, MediaFormat::Ptt])
        .ids(vec![
            FILE_ID.parse::<types::FileId>().unwrap(),
            OTHER_FILE.parse().unwrap(),
        ])
        .tags(vec!["billing".to_owned()])
        .sha2("abc123")
        .reference("inv-42")
        .status(vec![FileStatus::Ready, FileStatus::Failed])
        .device(DEVICE_ID)
        .filename("invoice.pdf")
        .origin(FileOrigin::Remote)
        .mime(vec!["application/pdf".to_owned(), "image/png".to_owned()])
        .kind(vec![FileKind::Document, FileKind::File])
        .ext(vec!["pdf".to_owned(), "xlsx".to_owned()])
        .permission(FilePermission::Private)
        .owner(OWNER)
        .filesize("10000,1000000")
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, Some(FileStatus::Ready));
    assert_eq!(listed[0].tags, vec!["billing".to_owned()]);
}

#[tokio::test]
async fn search_files_rejects_a_bad_owner_before_io() {
    let server = server().await;
    let mock = server.search_files(|when, then| {
        when.into_inner();
        then.ok(&Vec::<types::File>::new());
    });
    let err = client(&server)
        .search_files()
        .owner("not-a-user-id")
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
    mock.assert_calls(0);
}

#[tokio::test]
async fn delete_files_sends_the_filters_as_a_json_body() {
    let server = server().await;
    let body: types::DeleteFilesRequest = from_json(json!({
        "limit": 100,
        "ids": [FILE_ID],
        "before": "2025-06-01T00:00:00Z",
        "after": "2025-01-01T00:00:00Z",
        "expires": "2025-07-01T00:00:00Z",
        "filename": "old.png",
        "ext": ["png", "jpg"],
        "mime": ["image/png"],
        "kind": ["image", "file"],
        "owner": [OWNER],
        "format": "native",
        "permission": "public",
        "tags": ["old"],
        "size": 1048576,
        "origin": "upload",
        "sha2": ["abc123"]
    }));
    let mock = server.delete_files(|when, then| {
        let when = when
            .body(&body)
            .into_inner()
            .json_body_includes(r#"{"limit": 100, "kind": ["image", "file"], "size": 1048576}"#)
            .query_param_missing("limit")
            .query_param_missing("ids");
        authed(when);
        then.ok(&from_json(json!({"deleted": 3})));
    });
    let result = client(&server)
        .delete_files()
        .body(body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result.0["deleted"], 3);
}

#[tokio::test]
async fn delete_files_refuses_a_limit_over_500_before_io() {
    let server = server().await;
    let mock = server.delete_files(|when, then| {
        when.into_inner();
        then.ok(&from_json(json!({})));
    });
    let err = client(&server)
        .delete_files()
        .body(from_json::<types::DeleteFilesRequest>(
            json!({"limit": 501}),
        ))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, sparkbot_api::Error::InvalidRequest(why) if why.contains("`/limit` is 501; the API allows 1 to 500")),
        "{err:?}"
    );
    mock.assert_calls(0);
}

#[tokio::test]
async fn get_file_decodes_the_file() {
    let server = server().await;
    let mock = server.get_file(|when, then| {
        authed(when.file_id(&FILE_ID.parse().unwrap()).into_inner());
        then.ok(&from_json(file_json()));
    });
    let file = client(&server)
        .get_file()
        .file_id(FILE_ID)
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(file.filename.as_deref(), Some("invoice.pdf"));
    assert_eq!(file.size, Some(20480));
}

#[tokio::test]
async fn update_file_sends_the_node_fields() {
    let server = server().await;
    let req: types::UpdateFileRequest = from_json(json!({
        "filename": "invoice-2026.pdf",
        "reference": "inv-2026",
        "format": "gif",
        "tags": ["billing", "2026"],
        "message": "Your invoice",
        "expiration": "1y",
        "permission": "readonly"
    }));
    assert_eq!(req.expiration, Some(FileExpiration::V1y));
    let mut updated = file_json();
    updated["filename"] = json!("invoice-2026.pdf");
    updated["permission"] = json!("readonly");
    let mock = server.update_file(|when, then| {
        authed(
            when.file_id(&FILE_ID.parse().unwrap())
                .body(&req)
                .into_inner(),
        );
        then.ok(&from_json(updated));
    });
    let file = client(&server)
        .update_file()
        .file_id(FILE_ID)
        .body(req.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(file.filename.as_deref(), Some("invoice-2026.pdf"));
    assert_eq!(file.permission, Some(FilePermission::Readonly));
}

#[tokio::test]
async fn delete_file_accepts_an_empty_answer() {
    let server = server().await;
    let mock = server.delete_file(|when, then| {
        authed(when.file_id(&FILE_ID.parse().unwrap()).into_inner());
        then.no_content();
    });
    let rv = client(&server)
        .delete_file()
        .file_id(FILE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(rv.status(), 204);
}

#[tokio::test]
async fn download_file_streams_the_bytes() {
    let server = server().await;
    let mock = server.download_file(|when, then| {
        authed(when.file_id(&FILE_ID.parse().unwrap()).into_inner());
        then.into_inner()
            .status(200)
            .header("content-type", "application/pdf")
            .body(b"%PDF-1.7 bytes");
    });
    let rv = client(&server)
        .download_file()
        .file_id(FILE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    let body = read_all(rv.into_inner()).await;
    assert_eq!(&body[..], b"%PDF-1.7 bytes");
}

#[tokio::test]
async fn get_file_preview_streams_the_image() {
    let server = server().await;
    let mock = server.get_file_preview(|when, then| {
        authed(when.file_id(&FILE_ID.parse().unwrap()).into_inner());
        then.into_inner()
            .status(200)
            .header("content-type", "image/jpeg")
            .body([0xFFu8, 0xD8, 0xFF, 0xE0]);
    });
    let rv = client(&server)
        .get_file_preview()
        .file_id(FILE_ID)
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(
        rv.headers().get("content-type").unwrap().to_str().unwrap(),
        "image/jpeg"
    );
    let body = read_all(rv.into_inner()).await;
    assert_eq!(&body[..], &[0xFF, 0xD8, 0xFF, 0xE0]);
}

#[tokio::test]
async fn get_file_not_found_is_a_typed_404() {
    let server = server().await;
    let mock = server.get_file(|when, then| {
        authed(when.file_id(&FILE_ID.parse().unwrap()).into_inner());
        then.not_found(&api_error(404, "file:not_found", "File not found"));
    });
    let err = client(&server)
        .get_file()
        .file_id(FILE_ID)
        .send()
        .await
        .unwrap_err();
    mock.assert();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
}
