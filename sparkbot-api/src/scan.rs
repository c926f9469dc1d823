//! `GET /devices/{deviceId}/scan`: the QR code to link a number, in each of its encodings.
//!
//! Hand-written because one status carries several media types (SVG, PNG, text, JSON), which
//! progenitor cannot express: it would keep JSON only and fail on the default SVG.

use bytes::Bytes;
use progenitor_client::{Error, ResponseValue, encode_path};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};

use crate::{Client, types};

/// A QR code as the server encoded it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum QrCode {
    /// An SVG document (`encoding=svg`, the default).
    Svg(String),
    /// A PNG image (`encoding=image`).
    Png(Bytes),
    /// Text: base64 data, a `data:` URI, or a URI (`encoding=base64 | base64_uri | uri`).
    Text(String),
    /// The JSON form (`encoding=json`); its shape is not documented, so it is kept as a map.
    Json(types::QrCode),
    /// A media type this SDK does not know, kept as it came.
    Other {
        /// The `Content-Type` the server sent, if any.
        content_type: Option<String>,
        /// The body.
        body: Bytes,
    },
}

impl PartialEq for types::QrCode {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Client {
    /// Gets the QR code to scan with the WhatsApp app to link the number.
    ///
    /// Sends a `GET` request to `/devices/{deviceId}/scan`. `force(true)` destroys any existing
    /// session and requests a fresh QR code; `encoding` picks the form (SVG by default). When no
    /// QR can be produced (for example, the session is already online) the API answers with its
    /// JSON error, which arrives as [`Error::ErrorResponse`].
    ///
    /// Evidence: **node** (method, path, `force` and the six encodings as the SparkBot node's own
    /// source sends them, `walichat/n8n-walichat src/actions/session.ts`; `force=true` and
    /// `encoding=base64_uri` also seen in other client code). SparkBot actions:
    /// `WhatsApp session: Scan QR`.
    ///
    /// ```no_run
    /// # async fn run(client: &sparkbot_api::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use sparkbot_api::{QrCode, types::QrEncoding};
    /// let qr = client
    ///     .scan_device_qr()
    ///     .device_id("5f0a1b2c3d4e5f6a7b8c9d0e")
    ///     .encoding(QrEncoding::Base64Uri)
    ///     .send()
    ///     .await?
    ///     .into_inner();
    /// if let QrCode::Text(uri) = qr {
    ///     println!("<img src=\"{uri}\">");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn scan_device_qr(&self) -> ScanDeviceQr<'_> {
        ScanDeviceQr {
            client: self,
            device_id: Err("device_id was not initialized".to_owned()),
            force: Ok(None),
            encoding: Ok(None),
        }
    }
}

/// Builder for [`Client::scan_device_qr`].
#[derive(Debug, Clone)]
pub struct ScanDeviceQr<'a> {
    client: &'a Client,
    device_id: Result<types::DeviceId, String>,
    force: Result<Option<bool>, String>,
    encoding: Result<Option<types::QrEncoding>, String>,
}

impl<'a> ScanDeviceQr<'a> {
    /// The device (24-hex id). Checked before any I/O.
    pub fn device_id<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::DeviceId>,
        V::Error: std::fmt::Display,
    {
        self.device_id = value
            .try_into()
            .map_err(|e| format!("conversion to `DeviceId` for device_id failed: {e}"));
        self
    }

    /// Destroy any existing session and request a fresh QR code.
    pub fn force(mut self, value: bool) -> Self {
        self.force = Ok(Some(value));
        self
    }

    /// The encoding of the QR code (SVG when not set).
    pub fn encoding<V>(mut self, value: V) -> Self
    where
        V: TryInto<types::QrEncoding>,
        V::Error: std::fmt::Display,
    {
        self.encoding = value
            .try_into()
            .map(Some)
            .map_err(|e| format!("conversion to `QrEncoding` for encoding failed: {e}"));
        self
    }

    /// Sends the request and decodes the body by its media type.
    pub async fn send(self) -> Result<ResponseValue<QrCode>, Error<types::ApiError>> {
        let Self {
            client,
            device_id,
            force,
            encoding,
        } = self;
        let device_id = device_id.map_err(Error::InvalidRequest)?;
        let force = force.map_err(Error::InvalidRequest)?;
        let encoding = encoding.map_err(Error::InvalidRequest)?;
        let url = format!(
            "{}/devices/{}/scan",
            client.baseurl,
            encode_path(&device_id.to_string())
        );
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(force) = force {
            query.push(("force", force.to_string()));
        }
        if let Some(encoding) = &encoding {
            query.push(("encoding", encoding.to_string()));
        }
        let request = client
            .client
            .get(url)
            .query(&query)
            .header(ACCEPT, accept_for(encoding.as_ref()))
            .build()?;
        let response = client
            .execute_handwritten(request, "scan_device_qr", false)
            .await?;
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
        let qr = decode(content_type, body, encoding.as_ref())?;
        Ok(ResponseValue::new(qr, status, headers))
    }
}

fn accept_for(encoding: Option<&types::QrEncoding>) -> HeaderValue {
    use types::QrEncoding as E;
    HeaderValue::from_static(match encoding {
        None | Some(E::Svg) => "image/svg+xml, application/json;q=0.5",
        Some(E::Image) => "image/png, application/json;q=0.5",
        Some(E::Json) => "application/json",
        Some(E::Base64 | E::Base64Uri | E::Uri) => "text/plain, application/json;q=0.5",
        Some(E::Unknown(_)) => "*/*",
    })
}

/// Decodes by the `Content-Type`; when it is missing or generic, by the encoding that was asked for.
fn decode(
    content_type: Option<String>,
    body: Bytes,
    requested: Option<&types::QrEncoding>,
) -> Result<QrCode, Error<types::ApiError>> {
    use types::QrEncoding as E;
    let essence = content_type.as_deref().map(|c| {
        c.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let text = |body: &Bytes| String::from_utf8_lossy(body).into_owned();
    let json = |body: Bytes| match serde_json::from_slice(&body) {
        Ok(map) => Ok(QrCode::Json(map)),
        Err(e) => Err(Error::InvalidResponsePayload(body, e)),
    };
    Ok(match essence.as_deref() {
        Some("image/svg+xml" | "image/xml+svg") => QrCode::Svg(text(&body)),
        Some("image/png") => QrCode::Png(body),
        Some("text/plain") => QrCode::Text(text(&body).trim().to_owned()),
        Some(j) if j == "application/json" || j.ends_with("+json") => json(body)?,
        // Some servers label SVG loosely; the document itself says what it is.
        _ if looks_like_svg(&body) => QrCode::Svg(text(&body)),
        _ => match requested {
            Some(E::Json) => json(body)?,
            Some(E::Image) if body.starts_with(b"\x89PNG") => QrCode::Png(body),
            Some(E::Base64 | E::Base64Uri | E::Uri) => QrCode::Text(text(&body).trim().to_owned()),
            _ => QrCode::Other { content_type, body },
        },
    })
}

fn looks_like_svg(body: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&body[..body.len().min(256)]).to_ascii_lowercase();
    let head = head.trim_start();
    head.starts_with("<svg") || (head.starts_with("<?xml") && head.contains("<svg"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::QrEncoding as E;

    fn ct(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn bodies_are_decoded_by_media_type() {
        let svg = Bytes::from_static(b"<svg xmlns='http://www.w3.org/2000/svg'/>");
        assert!(matches!(
            decode(ct("image/svg+xml; charset=utf-8"), svg.clone(), None),
            Ok(QrCode::Svg(_))
        ));
        assert!(matches!(
            decode(ct("text/html"), svg, None),
            Ok(QrCode::Svg(_))
        ));
        assert!(matches!(
            decode(ct("image/png"), Bytes::from_static(b"\x89PNG"), None),
            Ok(QrCode::Png(_))
        ));
        assert_eq!(
            decode(
                ct("text/plain"),
                Bytes::from_static(b"data:image/png;base64,AA\n"),
                None
            )
            .unwrap(),
            QrCode::Text("data:image/png;base64,AA".into())
        );
        assert!(matches!(
            decode(
                ct("application/json"),
                Bytes::from_static(b"{\"qr\":\"x\"}"),
                None
            ),
            Ok(QrCode::Json(_))
        ));
        assert!(matches!(
            decode(ct("application/json"), Bytes::from_static(b"{trunc"), None),
            Err(Error::InvalidResponsePayload(..))
        ));
        assert!(matches!(
            decode(None, Bytes::from_static(b"????"), None),
            Ok(QrCode::Other {
                content_type: None,
                ..
            })
        ));
    }

    #[test]
    fn without_a_content_type_the_requested_encoding_decides() {
        let body = Bytes::from_static;
        assert!(matches!(
            decode(None, body(b"{\"qr\":1}"), Some(&E::Json)),
            Ok(QrCode::Json(_))
        ));
        assert!(matches!(
            decode(None, body(b"\x89PNG.."), Some(&E::Image)),
            Ok(QrCode::Png(_))
        ));
        assert!(matches!(
            decode(None, body(b"data:x"), Some(&E::Base64Uri)),
            Ok(QrCode::Text(_))
        ));
        assert!(matches!(
            decode(None, body(b"junk"), Some(&E::Image)),
            Ok(QrCode::Other { .. })
        ));
    }
}
