//! Media upload (multipart) and download (streamed) against httpmock, through both the
//! low-level client and sparkbot-extras.

use std::time::Duration;

use futures::StreamExt;
use httpmock::{Method, MockServer};
use serde_json::json;
use sparkbot_api::types::{self, FileKind, MediaFormat};
use sparkbot_api::{ApiKey, ClientConfig};
use sparkbot_extras::{Error, FileSource, SparkBot, UploadOutcome};
use sparkbot_tests::{DEVICE_ID, TEST_API_KEY, assert_invalid_request, authed};

const FILE_ID: &str = "64a1b2c3d4e5f60718293a4b";

fn bot(server: &MockServer) -> SparkBot {
    SparkBot::new(
        ClientConfig::new(server.base_url(), ApiKey::new(TEST_API_KEY).unwrap())
            .with_timeout(Duration::from_secs(5))
            .build()
            .unwrap(),
    )
}

fn upload_mock<'a>(server: &'a MockServer, filename: &str, content: &str) -> httpmock::Mock<'a> {
    server.mock(|when, then| {
        authed(
            when.method(Method::POST)
                .path("/files")
                .header_matches("content-type", "^multipart/form-data; boundary=.+")
                .body_includes(format!("name=\"file\"; filename=\"{filename}\""))
                .body_includes(content),
        );
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!([{"id": FILE_ID, "filename": filename, "size": content.len()}]));
    })
}

#[tokio::test]
async fn low_level_upload_is_multipart_and_returns_the_file_array() {
    let server = sparkbot_tests::server().await;
    let mock = server.mock(|when, then| {
        authed(
            when.method(Method::POST)
                .path("/files")
                .body_includes("Content-Type: text/plain")
                .body_includes("name=\"reference\"")
                .body_includes("order-42"),
        );
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!([{"id": FILE_ID, "mime": "text/plain"}]));
    });
    let files = sparkbot_tests::client(&server)
        .upload_file_multipart()
        .bytes(b"hello world".to_vec(), "hello.txt")
        .content_type("text/plain")
        .reference("order-42")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(files[0].id.as_deref(), Some(FILE_ID));
    assert_eq!(files[0].mime.as_deref(), Some("text/plain"));
    mock.assert();

    let err = sparkbot_tests::client(&server)
        .upload_file_multipart()
        .send()
        .await
        .unwrap_err();
    assert_invalid_request(&err);
}

/// The text of one multipart part as it is on the wire: its header line, a blank line, the value.
fn text_part(name: &str, value: &str) -> String {
    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
}

#[tokio::test]
async fn every_part_of_the_multipart_schema_is_on_the_wire_and_201_is_accepted() {
    let server = sparkbot_tests::server().await;
    let mock = server.mock(|when, then| {
        authed(
            when.method(Method::POST)
                .path("/files")
                .header_matches("content-type", "^multipart/form-data; boundary=.+")
                .body_includes(text_part("device", DEVICE_ID))
                .body_includes(text_part("reference", "order-42"))
                .body_includes(text_part("format", "ptt"))
                .body_includes(text_part("filename", "voice-note.ogg"))
                .body_includes(
                    "Content-Disposition: form-data; name=\"file\"; filename=\"rec.ogg\"\r\n\
                     Content-Type: audio/ogg\r\n\r\nOggS-bytes\r\n",
                ),
        );
        then.status(201)
            .header("content-type", "application/json")
            .json_body(json!([{
                "id": FILE_ID, "filename": "voice-note.ogg", "kind": "audio", "format": "ptt",
                "device": DEVICE_ID, "reference": "order-42", "size": 10
            }]));
    });
    let stored = sparkbot_tests::client(&server)
        .upload_file_multipart()
        .bytes(&b"OggS-bytes"[..], "rec.ogg")
        .content_type("audio/ogg")
        .device(DEVICE_ID)
        .reference("order-42")
        .format(MediaFormat::Ptt)
        .filename("voice-note.ogg")
        .send()
        .await
        .unwrap();
    mock.assert();
    assert_eq!(stored.status(), 201);
    let files: Vec<types::File> = stored.into_inner();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].id.as_deref(), Some(FILE_ID));
    assert_eq!(files[0].kind, Some(FileKind::Audio));
    assert_eq!(files[0].format, Some(MediaFormat::Ptt));
    assert_eq!(files[0].size, Some(10));

    // Parts left unset are not sent at all.
    let bare = server.mock(|when, then| {
        authed(
            when.method(Method::POST)
                .path("/files")
                .body_includes("name=\"file\"; filename=\"bare.txt\"")
                .body_excludes("name=\"device\"")
                .body_excludes("name=\"reference\"")
                .body_excludes("name=\"format\"")
                .body_excludes("name=\"filename\""),
        );
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!([{"id": FILE_ID}]));
    });
    let files = sparkbot_tests::client(&server)
        .upload_file_multipart()
        .bytes(&b"bare"[..], "bare.txt")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(files[0].id.as_deref(), Some(FILE_ID));
    bare.assert();
}

#[tokio::test]
async fn multipart_parts_are_checked_like_generated_builders_before_any_io() {
    let server = sparkbot_tests::server().await;
    let mut any = server.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(json!([]));
    });
    let client = sparkbot_tests::client(&server);
    let upload = || client.upload_file_multipart().bytes(&b"x"[..], "x.txt");
    let cases = [
        ("device", upload().device("not-a-device-id")),
        ("format", upload().format("mp3")),
        ("reference", upload().reference("r".repeat(101))),
        ("filename", upload().filename("  ")),
    ];
    for (part, request) in cases {
        let err = request.send().await.unwrap_err();
        assert!(
            matches!(&err, sparkbot_api::Error::InvalidRequest(why) if why.contains(part)),
            "{part}: {err:?}"
        );
    }
    assert_eq!(any.calls(), 0, "nothing may reach the server");
    any.delete();

    // A 2xx the spec does not give (202) is not decoded as the file array.
    let accepted = server.mock(|when, then| {
        when.method(Method::POST)
            .path("/files")
            .body_includes("late");
        then.status(202);
    });
    let err = sparkbot_tests::client(&server)
        .upload_file_multipart()
        .bytes(&b"late"[..], "late.txt")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, sparkbot_api::Error::UnexpectedResponse(ref r) if r.status() == 202),
        "{err:?}"
    );
    accepted.assert();
}

#[tokio::test]
async fn extras_uploads_send_every_part_and_resolve_the_device_key() {
    let server = sparkbot_tests::server().await;
    let devices = server.mock(|when, then| {
        authed(when.method(Method::GET).path("/devices"));
        then.status(200)
            .header("content-type", "application/json")
            .json_body(json!([{"id": DEVICE_ID, "alias": "Sales", "phone": "+447911123456"}]));
    });
    let upload = server.mock(|when, then| {
        authed(
            when.method(Method::POST)
                .path("/files")
                .body_includes(text_part("device", DEVICE_ID))
                .body_includes(text_part("reference", "brochure-2026"))
                .body_includes(text_part("format", "native"))
                .body_includes(text_part("filename", "Brochure 2026.pdf"))
                .body_includes("name=\"file\"; filename=\"b.pdf\""),
        );
        then.status(201)
            .header("content-type", "application/json")
            .json_body(json!([{"id": FILE_ID, "filename": "Brochure 2026.pdf"}]));
    });
    let outcome = bot(&server)
        .upload(FileSource::bytes(&b"%PDF"[..], "b.pdf"))
        .device("sales")
        .reference("brochure-2026")
        .format(MediaFormat::Native)
        .filename("Brochure 2026.pdf")
        .send()
        .await
        .unwrap();
    devices.assert();
    upload.assert();
    match &outcome {
        UploadOutcome::Uploaded(files) => {
            assert_eq!(files[0].filename.as_deref(), Some("Brochure 2026.pdf"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(outcome.file_id(), Some(FILE_ID));

    // An invalid part is refused before the upload: here a reference over 100 characters.
    let err = bot(&server)
        .upload(FileSource::bytes(&b"%PDF"[..], "b.pdf"))
        .device(DEVICE_ID)
        .reference("r".repeat(101))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(why) if why.contains("reference")),
        "{err:?}"
    );
    upload.assert_calls(1);
}

#[tokio::test]
async fn uploads_stream_from_bytes_paths_and_readers() {
    let server = sparkbot_tests::server().await;
    let bot = bot(&server);

    let from_bytes = upload_mock(&server, "a.txt", "bytes content");
    let outcome = bot
        .upload(FileSource::bytes(&b"bytes content"[..], "a.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(outcome.file_id(), Some(FILE_ID));
    from_bytes.assert();

    let dir = std::env::temp_dir().join(format!("sparkbot-extras-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.csv");
    std::fs::write(&path, "a,b\n1,2\n").unwrap();
    let from_path = upload_mock(&server, "report.csv", "a,b\n1,2\n");
    let outcome = bot.upload(FileSource::path(&path)).send().await.unwrap();
    assert!(matches!(outcome, UploadOutcome::Uploaded(ref files) if files.len() == 1));
    from_path.assert();

    let from_reader = upload_mock(&server, "stream.bin", "streamed bytes");
    let reader = std::io::Cursor::new(b"streamed bytes".to_vec());
    bot.upload(FileSource::reader(reader, "stream.bin", Some(14)))
        .send()
        .await
        .unwrap();
    from_reader.assert();

    let err = bot
        .upload(FileSource::path(dir.join("missing.png")))
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_duplicate_upload_hands_back_the_existing_file_id() {
    let server = sparkbot_tests::server().await;
    let duplicate = server.mock(|when, then| {
        authed(when.method(Method::POST).path("/files"));
        then.status(409)
            .header("content-type", "application/json")
            .json_body(json!({
                "status": 409,
                "message": format!("File already exists with ID {FILE_ID}."),
                "meta": {"file": FILE_ID}
            }));
    });
    let outcome = bot(&server)
        .upload(FileSource::bytes(&b"again"[..], "again.txt"))
        .send()
        .await
        .unwrap();
    match &outcome {
        UploadOutcome::AlreadyExists { file_id, response } => {
            assert_eq!(file_id, FILE_ID);
            assert_eq!(response.status(), 409);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(outcome.file_id(), Some(FILE_ID));
    // Not re-sent: an upload is not idempotent.
    duplicate.assert();
}

#[tokio::test]
async fn downloads_stream_to_a_writer_and_follow_api_links() {
    let server = sparkbot_tests::server().await;
    let body: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let file = server.mock(|when, then| {
        authed(
            when.method(Method::GET)
                .path(format!("/files/{FILE_ID}/download")),
        );
        then.status(200)
            .header("content-type", "image/png")
            .header("content-disposition", "attachment; filename=\"pic.png\"")
            .body(&body);
    });
    let download = bot(&server).download_file(FILE_ID).await.unwrap();
    assert_eq!(download.content_type.as_deref(), Some("image/png"));
    assert_eq!(download.filename.as_deref(), Some("pic.png"));
    assert_eq!(download.content_length, Some(body.len() as u64));
    let mut sink = Vec::new();
    let written = download.write_to(&mut sink).await.unwrap();
    assert_eq!(written, body.len() as u64);
    assert_eq!(sink, body);
    file.assert();

    // A message's `media.links.download` carries the `/v1` stem of the API root.
    let v1 = MockServer::start_async().await;
    let chat_file = v1.mock(|when, then| {
        authed(
            when.method(Method::GET)
                .path(format!("/v1/chat/d1/files/{FILE_ID}/download")),
        );
        then.status(200).body("voice note");
    });
    let bot_v1 =
        SparkBot::new(sparkbot_api::Client::with_api_key(&v1.url("/v1"), TEST_API_KEY).unwrap());
    let mut stream = bot_v1
        .download_link(&format!("/v1/chat/d1/files/{FILE_ID}/download"))
        .await
        .unwrap()
        .into_stream();
    let mut got = Vec::new();
    while let Some(chunk) = stream.next().await {
        got.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(got, b"voice note");
    chat_file.assert();

    let missing = server.mock(|when, then| {
        when.method(Method::GET)
            .path("/files/ffffffffffffffffffffffff/download");
        then.status(404).body("<h1>Not Found</h1>");
    });
    let err = bot(&server)
        .download_file("ffffffffffffffffffffffff")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotFound(f) if f.body().contains("Not Found")),
        "{err:?}"
    );
    missing.assert();
    assert!(matches!(
        bot(&server).download_file("../etc/passwd").await,
        Err(Error::InvalidInput(_))
    ));
}
