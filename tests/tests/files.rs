//! Files (account storage): every operation's request (method, path, query, `Token`, body) is
//! asserted by its typed mock, and its response decoded.

use serde_json::json;
use sparkbot_api::types::{self, FileKind, FileOrigin, FilePermission, FileStatus, MediaFormat};
use sparkbot_tests::{
    DEVICE_ID, MockServerExt, api_error, authed, client, from_json, read_all, server,
};

const FILE_ID: &str = "6a1b2c3d4e5f6a7b8c9d0e1f";

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
async fn upload_file_sends_the_json_body_and_decodes_the_array() {
    let server = server().await;
    let req: types::UploadFileRequest = from_json(json!({
        "url": "https://example.com/invoice.pdf",
        "format": "native",
        "reference": "inv-42"
    }));
    let files: Vec<types::File> = vec![from_json(file_json())];
    let mock = server.upload_file(|when, then| {
        let when = when
            .reference(&"inv-42".parse::<types::UploadFileReference>().unwrap())
            .body(&req);
        authed(when.into_inner());
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
async fn search_files_sends_filters_and_decodes_the_array() {
    let server = server().await;
    let files: Vec<types::File> = vec![from_json(file_json())];
    let mock = server.search_files(|when, then| {
        let when = when
            .page(0)
            .size(std::num::NonZeroU64::new(50).unwrap())
            .search("invoice")
            .format(&MediaFormat::Native)
            .status(&FileStatus::Ready)
            .origin(&FileOrigin::Remote)
            .kind(&FileKind::Document)
            .permission(&FilePermission::Private)
            .device(&DEVICE_ID.parse::<types::DeviceId>().unwrap())
            .ext("pdf")
            .mime("application/pdf")
            .sha2("abc123")
            .reference("inv-42")
            .filename("invoice.pdf");
        authed(when.into_inner())
            .query_param("after", "2026-01-01T00:00:00Z")
            .query_param("ids", FILE_ID)
            .query_param("tags", "billing");
        then.ok(&files);
    });
    let after: chrono::DateTime<chrono::Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let listed = client(&server)
        .search_files()
        .page(0u64)
        .size(50u64)
        .search("invoice")
        .format(MediaFormat::Native)
        .status(FileStatus::Ready)
        .origin(FileOrigin::Remote)
        .kind(FileKind::Document)
        .permission(FilePermission::Private)
        .device(DEVICE_ID)
        .ext("pdf")
        .mime("application/pdf")
        .sha2("abc123")
        .reference("inv-42")
        .filename("invoice.pdf")
        .after(after)
        .ids(vec![FILE_ID.parse::<types::FileId>().unwrap()])
        .tags(vec!["billing".to_owned()])
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
async fn delete_files_sends_the_bulk_filters() {
    let server = server().await;
    let mock = server.delete_files(|when, then| {
        let when = when
            .limit(std::num::NonZeroU64::new(100).unwrap())
            .filename("old.png");
        authed(when.into_inner())
            .query_param("before", "2025-06-01T00:00:00Z")
            .query_param("ext", "png")
            .query_param("kind", "image")
            .query_param("ids", FILE_ID);
        then.ok(&from_json(json!({"deleted": 3})));
    });
    let before: chrono::DateTime<chrono::Utc> = "2025-06-01T00:00:00Z".parse().unwrap();
    let result = client(&server)
        .delete_files()
        .limit(100u64)
        .filename("old.png")
        .before(before)
        .ext(vec!["png".to_owned()])
        .kind(vec![FileKind::Image])
        .ids(vec![FILE_ID.parse::<types::FileId>().unwrap()])
        .send()
        .await
        .unwrap()
        .into_inner();
    mock.assert();
    assert_eq!(result.0["deleted"], 3);
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
async fn update_file_sends_the_fields() {
    let server = server().await;
    let req: types::UpdateFileRequest = from_json(json!({
        "filename": "invoice-2026.pdf",
        "tags": ["billing", "2026"],
        "permission": "public",
        "expiration": "30d"
    }));
    let mut updated = file_json();
    updated["filename"] = json!("invoice-2026.pdf");
    updated["permission"] = json!("public");
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
    assert_eq!(file.permission, Some(FilePermission::Public));
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
