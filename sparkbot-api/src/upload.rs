//! File transfer the generator cannot express: multipart upload to `POST /files`, and streaming
//! downloads of any API path that answers with raw bytes.
//!
//! Hand-written because progenitor 0.15 generates no `multipart/form-data` bodies, and because
//! download links arrive at run time (`media.links.download`) rather than from the spec. Both go
//! through [`Client::execute_handwritten`], so they share the hooks (tracing, the rewrite of
//! non-JSON error bodies) and the error type of every generated call.

use std::borrow::Cow;

use bytes::Bytes;
use progenitor_client::{ByteStream, Error, ResponseValue};
use reqwest::header::{ACCEPT, HeaderValue};
use reqwest::multipart::{Form, Part};

use crate::{Client, types};

/// The multipart field that carries the file. Not documented: `file` is the name every
/// multipart upload API of this family uses, and the one the known multipart client sends.
pub const UPLOAD_FIELD_NAME: &str = "file";

/// One stored file as `POST /files` returns it: its 24-hex `id`, plus every other field the
/// server sent (the file schema is not settled yet, so the rest is kept untyped).
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
pub struct UploadedFile {
    /// The file ID (24 hex), usable as `media.file` when sending a message.
    pub id: String,
    /// Every other field of the file object (`filename`, `size`, `mime`, …), as sent.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

enum Content {
    Bytes(Bytes),
    Stream {
        body: reqwest::Body,
        length: Option<u64>,
    },
}

/// Builder for [`Client::upload_file_multipart`].
pub struct UploadFileMultipart<'a> {
    client: &'a Client,
    content: Option<Content>,
    filename: Option<String>,
    content_type: Option<String>,
    reference: Option<String>,
}

impl std::fmt::Debug for UploadFileMultipart<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let content = match &self.content {
            None => "none".to_owned(),
            Some(Content::Bytes(b)) => format!("{} bytes", b.len()),
            Some(Content::Stream { length, .. }) => match length {
                Some(n) => format!("stream of {n} bytes"),
                None => "stream of unknown length".to_owned(),
            },
        };
        f.debug_struct("UploadFileMultipart")
            .field("content", &content)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("reference", &self.reference)
            .finish()
    }
}

impl Client {
    /// Uploads a file to the account's storage as `multipart/form-data`.
    ///
    /// Sends a `POST` request to `/files`. The API answers with an **array** of stored files.
    /// Uploading a file the account already holds answers 409 with the existing file's ID in
    /// `meta.file`; that arrives as [`Error::ErrorResponse`] (`sparkbot-extras` turns it into
    /// an "already exists" outcome).
    ///
    /// The multipart field name ([`UPLOAD_FIELD_NAME`]) and the optional `reference` text field
    /// are inferred, not documented.
    ///
    /// ```no_run
    /// # async fn run(client: &sparkbot_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let files = client
    ///     .upload_file_multipart()
    ///     .bytes(b"hello".to_vec(), "hello.txt")
    ///     .content_type("text/plain")
    ///     .send()
    ///     .await?
    ///     .into_inner();
    /// println!("stored as {}", files[0].id);
    /// # Ok(()) }
    /// ```
    pub fn upload_file_multipart(&self) -> UploadFileMultipart<'_> {
        UploadFileMultipart {
            client: self,
            content: None,
            filename: None,
            content_type: None,
            reference: None,
        }
    }

    /// Downloads raw bytes from an API path relative to the base URL (for example
    /// `/files/{fileId}/download`), as a stream: nothing is buffered in memory.
    ///
    /// A path that starts with the base URL's own path (such as `/v1/chat/…/download` from a
    /// message's `media.links.download`) is accepted too. Error statuses arrive as
    /// [`Error::ErrorResponse`], like every generated call.
    pub async fn download_path(
        &self,
        path: &str,
    ) -> Result<ResponseValue<ByteStream>, Error<types::ApiError>> {
        let url = join_path(&self.baseurl, path).map_err(Error::InvalidRequest)?;
        let request = self
            .client
            .get(url)
            .header(ACCEPT, HeaderValue::from_static("*/*"))
            .build()?;
        let response = self.execute_handwritten(request, "download_path").await?;
        Ok(ResponseValue::stream(response))
    }
}

/// Joins `path` to `base`, dropping a repeated path stem (`/v1`) so links the API hands out
/// (which include it) and spec paths (which don't) both work.
fn join_path(base: &str, path: &str) -> Result<String, String> {
    if path.contains("://") || !path.starts_with('/') {
        return Err(format!(
            "download path {path:?} must be a path starting with '/', relative to the API root"
        ));
    }
    let base = base.trim_end_matches('/');
    let stem = reqwest::Url::parse(base)
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    let path = match path.strip_prefix(stem.as_str()) {
        Some(rest) if !stem.is_empty() && rest.starts_with('/') => rest,
        _ => path,
    };
    Ok(format!("{base}{path}"))
}

impl UploadFileMultipart<'_> {
    /// The file content, held in memory, and the file name sent with it.
    pub fn bytes(mut self, content: impl Into<Bytes>, filename: impl Into<String>) -> Self {
        self.content = Some(Content::Bytes(content.into()));
        self.filename = Some(filename.into());
        self
    }

    /// The file content as a streaming body (for example a file read chunk by chunk), and the
    /// file name sent with it. Give `length` when known: some servers refuse chunked uploads.
    pub fn stream(
        mut self,
        body: impl Into<reqwest::Body>,
        length: Option<u64>,
        filename: impl Into<String>,
    ) -> Self {
        self.content = Some(Content::Stream {
            body: body.into(),
            length,
        });
        self.filename = Some(filename.into());
        self
    }

    /// The file's media type (`image/png`, …). Left out, the server guesses from the name.
    pub fn content_type(mut self, mime: impl Into<String>) -> Self {
        self.content_type = Some(mime.into());
        self
    }

    /// Your own reference for the file, sent as the `reference` form field (inferred name).
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }

    /// Sends the upload. Checks the input before any I/O.
    pub async fn send(self) -> Result<ResponseValue<Vec<UploadedFile>>, Error<types::ApiError>> {
        let Self {
            client,
            content,
            filename,
            content_type,
            reference,
        } = self;
        let content = content.ok_or_else(|| {
            Error::InvalidRequest("the file content was not set (use bytes or stream)".to_owned())
        })?;
        let filename = filename.unwrap_or_default();
        if filename.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "the file name must not be empty".to_owned(),
            ));
        }
        let part = match content {
            Content::Bytes(bytes) => Part::stream_with_length(bytes.clone(), bytes.len() as u64),
            Content::Stream {
                body,
                length: Some(n),
            } => Part::stream_with_length(body, n),
            Content::Stream { body, length: None } => Part::stream(body),
        };
        let mut part = part.file_name(Cow::Owned(filename));
        if let Some(mime) = &content_type {
            part = part.mime_str(mime).map_err(|_| {
                Error::InvalidRequest(format!("{mime:?} is not a valid media type"))
            })?;
        }
        let mut form = Form::new().part(UPLOAD_FIELD_NAME, part);
        if let Some(reference) = reference {
            form = form.text("reference", reference);
        }
        let request = client
            .client
            .post(format!("{}/files", client.baseurl))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .multipart(form)
            .build()?;
        let response = client
            .execute_handwritten(request, "upload_file_multipart")
            .await?;
        ResponseValue::from_response(response).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_paths_join_with_or_without_the_stem() {
        let base = "https://api.example.com/v1";
        assert_eq!(
            join_path(base, "/files/abc/download").unwrap(),
            "https://api.example.com/v1/files/abc/download"
        );
        assert_eq!(
            join_path(base, "/v1/chat/d/files/f/download").unwrap(),
            "https://api.example.com/v1/chat/d/files/f/download"
        );
        // `/v1x` is not the stem followed by a segment.
        assert_eq!(
            join_path(base, "/v1x/a").unwrap(),
            "https://api.example.com/v1/v1x/a"
        );
        assert_eq!(
            join_path("http://127.0.0.1:9", "/files/a").unwrap(),
            "http://127.0.0.1:9/files/a"
        );
        assert!(join_path(base, "https://evil.example/x").is_err());
        assert!(join_path(base, "files/a").is_err());
    }

    #[test]
    fn uploaded_file_keeps_unknown_fields() {
        let file: UploadedFile = serde_json::from_value(serde_json::json!({
            "id": "5f0a1b2c3d4e5f6a7b8c9d0e", "filename": "a.png", "size": 3
        }))
        .unwrap();
        assert_eq!(file.id, "5f0a1b2c3d4e5f6a7b8c9d0e");
        assert_eq!(file.other["size"], 3);
    }
}
