//! Media: uploading files to the account's storage (streamed, never read whole into memory
//! unless you hand over bytes) and downloading them as streams.
//!
//! Uploading a file the account already holds answers `409 {"message": "File already exists
//! with ID <id>.", "meta": {"file": "<id>"}}`. That is not a failure for someone who wants the
//! file stored: [`UploadOutcome::AlreadyExists`] hands back the existing id.

use std::fmt;
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::{Stream, StreamExt, TryStreamExt};
use sparkbot_api::ResponseValue;
use sparkbot_api::types::{self, MediaFormat};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use crate::call;
use crate::client::SparkBot;
use crate::error::{ApiFailure, Error};
use crate::lookup::DeviceKey;

/// Where an upload's content comes from.
pub enum FileSource {
    /// Bytes in memory. Can be re-sent, so retries are possible.
    Bytes {
        /// The content.
        data: Bytes,
        /// The file name sent with it.
        filename: String,
    },
    /// A local file, streamed from disk. Re-opened on a retry.
    Path(PathBuf),
    /// Any async reader, streamed. Read once, so never retried.
    Reader {
        /// The content.
        reader: Box<dyn AsyncRead + Send + Unpin + 'static>,
        /// The file name sent with it.
        filename: String,
        /// The length, when known (some servers refuse uploads of unknown length).
        length: Option<u64>,
    },
}

impl FileSource {
    /// Bytes in memory.
    pub fn bytes(data: impl Into<Bytes>, filename: impl Into<String>) -> Self {
        FileSource::Bytes {
            data: data.into(),
            filename: filename.into(),
        }
    }

    /// A local file; its name is the file name sent.
    pub fn path(path: impl AsRef<Path>) -> Self {
        FileSource::Path(path.as_ref().to_owned())
    }

    /// An async reader (a socket, a decompressor…), streamed once.
    pub fn reader(
        reader: impl AsyncRead + Send + Unpin + 'static,
        filename: impl Into<String>,
        length: Option<u64>,
    ) -> Self {
        FileSource::Reader {
            reader: Box::new(reader),
            filename: filename.into(),
            length,
        }
    }
}

impl fmt::Debug for FileSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileSource::Bytes { data, filename } => f
                .debug_struct("Bytes")
                .field("len", &data.len())
                .field("filename", filename)
                .finish(),
            FileSource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            FileSource::Reader {
                filename, length, ..
            } => f
                .debug_struct("Reader")
                .field("filename", filename)
                .field("length", length)
                .finish(),
        }
    }
}

/// What an upload achieved.
#[derive(Clone, Debug)]
pub enum UploadOutcome {
    /// Stored; the API's file objects (usually one).
    Uploaded(Vec<types::File>),
    /// The account already holds this file (409); here is its id.
    AlreadyExists {
        /// The existing file's id.
        file_id: String,
        /// The 409 response.
        response: ApiFailure,
    },
}

impl UploadOutcome {
    /// The id of the stored file, new or existing.
    pub fn file_id(&self) -> Option<&str> {
        match self {
            UploadOutcome::Uploaded(files) => files.first().and_then(|f| f.id.as_deref()),
            UploadOutcome::AlreadyExists { file_id, .. } => Some(file_id),
        }
    }
}

/// Reads the existing file's id from a duplicate-upload 409: `meta.file`, or else the id in
/// the message ("File already exists with ID <24hex>.").
pub(crate) fn duplicate_file_id(failure: &ApiFailure) -> Option<String> {
    if failure.status() != 409 {
        return None;
    }
    let is_id = |s: &str| s.len() == 24 && s.bytes().all(|b| b.is_ascii_hexdigit());
    if let Some(id) = failure.meta().get("file").and_then(|v| v.as_str())
        && is_id(id)
    {
        return Some(id.to_owned());
    }
    let message = failure.message()?;
    if !message.to_ascii_lowercase().contains("already exists") {
        return None;
    }
    message
        .split(|c: char| !c.is_ascii_hexdigit())
        .find(|word| is_id(word))
        .map(str::to_owned)
}

/// Builder for [`SparkBot::upload`]; ends in [`Upload::send`].
#[derive(Debug)]
#[must_use = "an upload does nothing until `.send().await`"]
pub struct Upload<'a> {
    bot: &'a SparkBot,
    source: FileSource,
    parts: Parts,
}

/// The optional parts of a multipart upload, re-applied on each attempt.
#[derive(Clone, Debug, Default)]
struct Parts {
    content_type: Option<String>,
    device: Option<DeviceKey>,
    reference: Option<String>,
    format: Option<MediaFormat>,
    filename: Option<String>,
}

impl Parts {
    /// Sets the parts on the low-level builder, whose `send` checks them before any I/O. The
    /// device key must already be an id.
    fn apply<'a>(
        &self,
        mut builder: sparkbot_api::MultipartUpload<'a>,
    ) -> sparkbot_api::MultipartUpload<'a> {
        if let Some(mime) = &self.content_type {
            builder = builder.content_type(mime.clone());
        }
        if let Some(DeviceKey::Id(id)) = &self.device {
            builder = builder.device(id.as_str());
        }
        if let Some(reference) = &self.reference {
            builder = builder.reference(reference.as_str());
        }
        if let Some(format) = &self.format {
            builder = builder.format(format.clone());
        }
        if let Some(filename) = &self.filename {
            builder = builder.filename(filename.clone());
        }
        builder
    }
}

impl SparkBot {
    /// Uploads a file to the account's storage (`POST /files`, multipart; every part of the
    /// spec's `UploadFileMultipart` can be set).
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// use sparkbot_api::types::MediaFormat;
    /// use sparkbot_extras::{FileSource, UploadOutcome};
    ///
    /// let outcome = bot
    ///     .upload(FileSource::path("invoice.pdf"))
    ///     .content_type("application/pdf")
    ///     .device("sales") // any device key: id, phone number, alias
    ///     .format(MediaFormat::Native)
    ///     .send()
    ///     .await?;
    /// match &outcome {
    ///     UploadOutcome::Uploaded(files) => println!("stored as {:?}", files[0].id),
    ///     UploadOutcome::AlreadyExists { file_id, .. } => println!("already stored as {file_id}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn upload(&self, source: FileSource) -> Upload<'_> {
        Upload {
            bot: self,
            source,
            parts: Parts::default(),
        }
    }

    /// Downloads a stored file (`GET /files/{fileId}/download`) as a stream.
    ///
    /// ```no_run
    /// # async fn run(bot: sparkbot_extras::SparkBot) -> Result<(), sparkbot_extras::Error> {
    /// let written = bot.download_file("5f0a1b2c3d4e5f6a7b8c9d0e").await?.save("copy.pdf").await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_file(&self, file_id: &str) -> Result<Download, Error> {
        if !(file_id.len() == 24 && file_id.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(Error::InvalidInput(format!(
                "{file_id:?} is not a file id (24 hex characters)"
            )));
        }
        self.download_link(&format!("/files/{file_id}/download"))
            .await
    }

    /// Downloads from a link the API handed out, such as an inbound message's
    /// `media.links.download` (`/v1/chat/{device}/files/{file}/download`), as a stream.
    pub async fn download_link(&self, link: &str) -> Result<Download, Error> {
        let (response, attempts) =
            call::recorded(self.api().download_path(link), Error::from).await?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let filename = header(reqwest::header::CONTENT_DISPOSITION)
            .as_deref()
            .and_then(disposition_filename);
        let content_length = response.content_length();
        Ok(Download {
            content_type,
            content_length,
            filename,
            // A body failing on the way is a failure of the same request: it carries the
            // request's attempts too.
            stream: response
                .into_inner_stream()
                .map_err(move |e| Error::from(e).with_attempts(attempts.clone()))
                .boxed(),
        })
    }
}

impl Upload<'_> {
    /// The file's media type (`image/png`…); left out, the server guesses from the name.
    pub fn content_type(mut self, mime: impl Into<String>) -> Self {
        self.parts.content_type = Some(mime.into());
        self
    }

    /// The device (WhatsApp number) the file belongs to: any [`DeviceKey`] (an id, a phone
    /// number, an alias…), resolved to its id before the upload. Sent as the `device` part.
    pub fn device(mut self, device: impl Into<DeviceKey>) -> Self {
        self.parts.device = Some(device.into());
        self
    }

    /// Your own reference for the file (at most 100 characters), the `reference` part.
    pub fn reference(mut self, reference: impl Into<String>) -> Self {
        self.parts.reference = Some(reference.into());
        self
    }

    /// How the file is sent as media later (`native`, `ptt`, `gif`), the `format` part.
    pub fn format(mut self, format: MediaFormat) -> Self {
        self.parts.format = Some(format);
        self
    }

    /// The name to store the file under, the `filename` part; left out, the server keeps the
    /// name the file is sent with.
    pub fn filename(mut self, filename: impl Into<String>) -> Self {
        self.parts.filename = Some(filename.into());
        self
    }

    /// Uploads, once: a multipart body is not re-sent, and a failure whose outcome is unknown
    /// is [`Error::OutcomeUnknown`]. The parts are checked before any I/O (an
    /// invalid one is [`Error::InvalidInput`]); a device key that is not an id is looked up
    /// first ([`SparkBot::find_device`]).
    pub async fn send(self) -> Result<UploadOutcome, Error> {
        let Self {
            bot,
            source,
            mut parts,
        } = self;
        parts.device = match parts.device.take() {
            None => None,
            Some(DeviceKey::Id(id)) => Some(DeviceKey::Id(id)),
            Some(key) => {
                Some(DeviceKey::Id(bot.find_device(key).await?.id.ok_or_else(
                    || Error::Other("the device has no id".to_owned()),
                )?))
            }
        };
        let parts = &parts;
        let result = match source {
            FileSource::Bytes { data, filename } => call::send(
                parts
                    .apply(bot.api().upload_file_multipart())
                    .bytes(data, filename)
                    .send(),
            )
            .await
            .map(ResponseValue::into_inner),
            FileSource::Path(path) => {
                let filename = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .ok_or_else(|| Error::InvalidInput(format!("{path:?} names no file")))?;
                // Opened before the request so a missing file is an I/O error, not a request
                // error. A streamed body is sent once (the pipeline cannot clone it).
                let length = tokio::fs::metadata(&path).await?.len();
                let file = tokio::fs::File::open(&path).await?;
                let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
                call::send(
                    parts
                        .apply(bot.api().upload_file_multipart())
                        .stream(body, Some(length), filename)
                        .send(),
                )
                .await
                .map(ResponseValue::into_inner)
            }
            FileSource::Reader {
                reader,
                filename,
                length,
            } => {
                let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(reader));
                call::send(
                    parts
                        .apply(bot.api().upload_file_multipart())
                        .stream(body, length, filename)
                        .send(),
                )
                .await
                .map(ResponseValue::into_inner)
            }
        };
        match result {
            Ok(files) => Ok(UploadOutcome::Uploaded(files)),
            Err(Error::Conflict(failure)) => match duplicate_file_id(&failure) {
                Some(file_id) => Ok(UploadOutcome::AlreadyExists {
                    file_id,
                    response: failure,
                }),
                None => Err(Error::Conflict(failure)),
            },
            Err(e) => Err(e),
        }
    }
}

/// A download in progress: headers read, body still on the wire.
pub struct Download {
    /// The `Content-Type` the server sent.
    pub content_type: Option<String>,
    /// The `Content-Length` the server sent.
    pub content_length: Option<u64>,
    /// The file name from `Content-Disposition`, if any.
    pub filename: Option<String>,
    stream: futures::stream::BoxStream<'static, Result<Bytes, Error>>,
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .field("filename", &self.filename)
            .finish_non_exhaustive()
    }
}

impl Download {
    /// The body as a stream of chunks.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, Error>> + Send {
        self.stream
    }

    /// Copies the body into `writer`, chunk by chunk; returns the number of bytes written.
    pub async fn write_to<W: AsyncWrite + Unpin>(mut self, writer: &mut W) -> Result<u64, Error> {
        let mut written = 0u64;
        while let Some(chunk) = self.stream.next().await {
            let chunk = chunk?;
            writer.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        writer.flush().await?;
        Ok(written)
    }

    /// Streams the body into a new file at `path`; returns the number of bytes written.
    pub async fn save(self, path: impl AsRef<Path>) -> Result<u64, Error> {
        let mut file = tokio::fs::File::create(path).await?;
        self.write_to(&mut file).await
    }

    /// Reads the whole body into memory. For small files; prefer the stream otherwise.
    pub async fn bytes(self) -> Result<Bytes, Error> {
        let chunks: Vec<Bytes> = self.stream.try_collect().await?;
        Ok(chunks.concat().into())
    }
}

/// The `filename` of a `Content-Disposition` header (`attachment; filename="a.pdf"`).
fn disposition_filename(value: &str) -> Option<String> {
    value.split(';').map(str::trim).find_map(|part| {
        let (name, v) = part.split_once('=')?;
        (name.trim().eq_ignore_ascii_case("filename"))
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conflict(body: serde_json::Value) -> ApiFailure {
        let api: sparkbot_api::types::ApiError = serde_json::from_value(body).unwrap();
        let response = sparkbot_api::ResponseValue::new(
            api,
            reqwest::StatusCode::CONFLICT,
            Default::default(),
        );
        ApiFailure::from_response(&response)
    }

    #[test]
    fn duplicate_uploads_give_the_existing_id() {
        let id = "64a1b2c3d4e5f60718293a4b";
        let both = conflict(serde_json::json!({
            "status": 409, "message": format!("File already exists with ID {id}."), "meta": {"file": id}
        }));
        assert_eq!(duplicate_file_id(&both).as_deref(), Some(id));
        let message_only = conflict(serde_json::json!({
            "status": 409, "message": format!("File already exists with ID {id}.")
        }));
        assert_eq!(duplicate_file_id(&message_only).as_deref(), Some(id));
        let other = conflict(
            serde_json::json!({"status": 409, "message": "Participant already exist in the group."}),
        );
        assert_eq!(duplicate_file_id(&other), None);
    }

    #[test]
    fn content_disposition_names_the_file() {
        assert_eq!(
            disposition_filename("attachment; filename=\"report.pdf\"").as_deref(),
            Some("report.pdf")
        );
        assert_eq!(disposition_filename("inline"), None);
    }
}
