//! File transfer the generator cannot express: multipart upload to `POST /files`, and streaming
//! downloads of any API path that answers with raw bytes.
//!
//! Hand-written because progenitor 0.15 generates no `multipart/form-data` bodies (the codegen
//! overlay keeps the JSON form of `POST /files`, `upload_file`; the multipart form's parts are the
//! spec's `UploadFileMultipart` schema, sent by [`MultipartUpload`]), and because
//! download links arrive at run time (`media.links.download`) rather than from the spec. Both go
//! through [`Client::execute_handwritten`], so they share the hooks (tracing, the rewrite of
//! non-JSON error bodies) and the error type of every generated call.

use std::borrow::Cow;
use std::fmt::Display;

use bytes::Bytes;
use progenitor_client::{ByteStream, Error, ResponseValue};
use reqwest::header::{ACCEPT, HeaderValue};
use reqwest::multipart::{Form, Part};

use crate::{Client, types};

/// The multipart part that carries the file, as the spec's `UploadFileMultipart` schema names it
/// (and the known multipart client sends it).
pub const UPLOAD_FIELD_NAME: &str = "file";

enum Content {
    Bytes(Bytes),
    Stream {
        body: reqwest::Body,
        length: Option<u64>,
    },
}

/// A setter's input, converted (or the reason it could not be) until [`MultipartUpload::send`].
type Field<T> = Result<Option<T>, String>;

/// Builder for [`Client::upload_file_multipart`]: the parts of the spec's
/// [`types::UploadFileMultipart`] schema (`file`, `device`, `reference`, `format`, `filename`),
/// each checked like the generated builders check theirs. Ends in [`MultipartUpload::send`].
#[must_use = "an upload does nothing until `.send().await`"]
pub struct MultipartUpload<'a> {
    client: &'a Client,
    content: Option<Content>,
    file_name: Option<String>,
    content_type: Option<String>,
    device: Field<types::DeviceId>,
    reference: Field<types::UploadFileMultipartReference>,
    format: Field<types::MediaFormat>,
    filename: Field<String>,
}

impl std::fmt::Debug for MultipartUpload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let content = match &self.content {
            None => "none".to_owned(),
            Some(Content::Bytes(b)) => format!("{} bytes", b.len()),
            Some(Content::Stream { length, .. }) => match length {
                Some(n) => format!("stream of {n} bytes"),
                None => "stream of unknown length".to_owned(),
            },
        };
        f.debug_struct("MultipartUpload")
            .field("content", &content)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("device", &self.device)
            .field("reference", &self.reference)
            .field("format", &self.format)
            .field("filename", &self.filename)
            .finish()
    }
}

/// Converts a setter's input as the generated builders do, keeping the reason of a failure.
fn convert<T, V>(value: V, type_name: &str, part: &str) -> Field<T>
where
    V: TryInto<T>,
    V::Error: Display,
{
    value
        .try_into()
        .map(Some)
        .map_err(|e| format!("conversion to `{type_name}` for {part} failed: {e}"))
}

impl Client {
    /// Uploads a file to the account's storage as `multipart/form-data`.
    ///
    /// Sends a `POST` request to `/files` with the parts of the spec's
    /// [`types::UploadFileMultipart`]: the binary `file` ([`MultipartUpload::bytes`] or
    /// [`MultipartUpload::stream`]) and, when set, `device`, `reference`, `format` and
    /// `filename`. The API answers 200 or 201 with an **array** of stored files
    /// ([`types::File`], usually one). Uploading a file the account already holds answers 409
    /// with the existing file's ID in `meta.file`; that arrives as [`Error::ErrorResponse`]
    /// (`sparkbot-extras` turns it into an "already exists" outcome).
    ///
    /// The `file` part is evidenced (S16), `device` is sent by one client; the other parts
    /// mirror the JSON form (`upload_file`) and are inferred.
    ///
    /// ```no_run
    /// # async fn run(client: &sparkbot_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use sparkbot_api::types::MediaFormat;
    ///
    /// let files = client
    ///     .upload_file_multipart()
    ///     .bytes(b"hello".to_vec(), "hello.txt")
    ///     .content_type("text/plain")
    ///     .device("5f0a1b2c3d4e5f6a7b8c9d0e") // checked against the spec's pattern before any I/O
    ///     .format(MediaFormat::Native)
    ///     .reference("order-42")
    ///     .send()
    ///     .await?
    ///     .into_inner();
    /// println!("stored as {:?}", files[0].id);
    /// # Ok(()) }
    /// ```
    pub fn upload_file_multipart(&self) -> MultipartUpload<'_> {
        MultipartUpload {
            client: self,
            content: None,
            file_name: None,
            content_type: None,
            device: Ok(None),
            reference: Ok(None),
            format: Ok(None),
            filename: Ok(None),
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
        let response = self
            .execute_handwritten(request, "download_path", true)
            .await?;
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

impl MultipartUpload<'_> {
    /// The file content, held in memory, and the file name sent with it (the `file` part's
    /// `filename`).
    pub fn bytes(mut self, content: impl Into<Bytes>, file_name: impl Into<String>) -> Self {
        self.content = Some(Content::Bytes(content.into()));
        self.file_name = Some(file_name.into());
        self
    }

    /// The file content as a streaming body (for example a file read chunk by chunk), and the
    /// file name sent with it. Give `length` when known: some servers refuse chunked uploads.
    pub fn stream(
        mut self,
        body: impl Into<reqwest::Body>,
        length: Option<u64>,
        file_name: impl Into<String>,
    ) -> Self {
        self.content = Some(Content::Stream {
            body: body.into(),
            length,
        });
        self.file_name = Some(file_name.into());
        self
    }

    /// The file's media type (`image/png`, …), sent as the `file` part's `Content-Type`. Left
    /// out, the server guesses from the name.
    pub fn content_type(mut self, mime: impl Into<String>) -> Self {
        self.content_type = Some(mime.into());
        self
    }

    /// The device (WhatsApp number) the file belongs to, the `device` part: a 24-hex id.
    pub fn device<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::DeviceId>,
        V::Error: Display,
    {
        self.device = convert(value, "DeviceId", "device");
        self
    }

    /// Your own reference for the file, the `reference` part (at most 100 characters).
    pub fn reference<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::UploadFileMultipartReference>,
        V::Error: Display,
    {
        self.reference = convert(value, "UploadFileMultipartReference", "reference");
        self
    }

    /// How the file is sent as media later (`native`, `ptt`, `gif`), the `format` part.
    pub fn format<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::MediaFormat>,
        V::Error: Display,
    {
        self.format = convert(value, "MediaFormat", "format");
        self
    }

    /// The name to store the file under, the `filename` part; left out, the server keeps the
    /// `file` part's own name.
    pub fn filename(mut self, value: impl Into<String>) -> Self {
        let value = value.into();
        self.filename = if value.trim().is_empty() {
            Err("the filename part must not be empty".to_owned())
        } else {
            Ok(Some(value))
        };
        self
    }

    /// Sends the upload. Checks every part before any I/O.
    pub async fn send(self) -> Result<ResponseValue<Vec<types::File>>, Error<types::ApiError>> {
        let Self {
            client,
            content,
            file_name,
            content_type,
            device,
            reference,
            format,
            filename,
        } = self;
        let device = device.map_err(Error::InvalidRequest)?;
        let reference = reference.map_err(Error::InvalidRequest)?;
        let format = format.map_err(Error::InvalidRequest)?;
        let filename = filename.map_err(Error::InvalidRequest)?;
        let content = content.ok_or_else(|| {
            Error::InvalidRequest("the file content was not set (use bytes or stream)".to_owned())
        })?;
        let file_name = file_name.unwrap_or_default();
        if file_name.trim().is_empty() {
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
        let mut part = part.file_name(Cow::Owned(file_name));
        if let Some(mime) = &content_type {
            part = part.mime_str(mime).map_err(|_| {
                Error::InvalidRequest(format!("{mime:?} is not a valid media type"))
            })?;
        }
        // The text parts go before the file, so a server that handles parts as they arrive has
        // them when the file comes.
        let mut form = Form::new();
        if let Some(device) = device {
            form = form.text("device", String::from(device));
        }
        if let Some(reference) = reference {
            form = form.text("reference", String::from(reference));
        }
        if let Some(format) = format {
            form = form.text("format", format.as_str().to_owned());
        }
        if let Some(filename) = filename {
            form = form.text("filename", filename);
        }
        let form = form.part(UPLOAD_FIELD_NAME, part);
        let request = client
            .client
            .post(format!("{}/files", client.baseurl))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .multipart(form)
            .build()?;
        let response = client
            .execute_handwritten(request, "upload_file_multipart", false)
            .await?;
        // The spec's success statuses; another 2xx is not the documented answer.
        match response.status().as_u16() {
            200 | 201 => ResponseValue::from_response(response).await,
            _ => Err(Error::UnexpectedResponse(response)),
        }
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
}
