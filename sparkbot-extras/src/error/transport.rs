//! [`TransportFailure`]: a request that got no usable response, with its attempts.

use std::fmt;

use sparkbot_api::AttemptRecord;

/// A request that got no usable response (the connection was refused, reset or dropped, DNS or
/// TLS failed, the timeout passed, the body could not be read), as [`Error::Timeout`] and
/// [`Error::Transport`] hold it: the [`reqwest::Error`] and the attempts the pipeline made.
///
/// It displays as the [`reqwest::Error`] does, and its [`source`](std::error::Error::source)
/// is that error, so a walk of the source chain still finds it (and its own causes, such as
/// "Connection refused").
///
/// ```no_run
/// # async fn run(bot: sparkbot_extras::SparkBot) {
/// use sparkbot_extras::Error;
///
/// match bot.device("5f0a1b2c3d4e5f6a7b8c9d0e").await {
///     Err(Error::Transport(e)) if e.is_connect() => {
///         eprintln!("no connection after {} attempt(s): {e}", e.attempts().len());
///     }
///     other => println!("{other:?}"),
/// }
/// # }
/// ```
///
/// [`Error::Timeout`]: crate::Error::Timeout
/// [`Error::Transport`]: crate::Error::Transport
#[derive(Debug)]
pub struct TransportFailure {
    error: reqwest::Error,
    attempts: Vec<AttemptRecord>,
}

impl TransportFailure {
    /// The failure `error`, with no attempts recorded (such as a body that failed while it
    /// was being read after the call returned).
    pub fn new(error: reqwest::Error) -> Self {
        Self {
            error,
            attempts: Vec::new(),
        }
    }

    /// The error as reqwest reported it.
    pub fn reqwest_error(&self) -> &reqwest::Error {
        &self.error
    }

    /// The error as reqwest reported it, the attempts dropped.
    pub fn into_inner(self) -> reqwest::Error {
        self.error
    }

    /// Whether the connection could not be made (refused, DNS, TLS handshake…): the request
    /// was not sent.
    pub fn is_connect(&self) -> bool {
        self.error.is_connect()
    }

    /// Whether the request did not complete within the configured timeout.
    pub fn is_timeout(&self) -> bool {
        self.error.is_timeout()
    }

    /// The attempts of the request, in order, the last one being the failure reported here
    /// (see [`Error::attempts`](crate::Error::attempts)); empty when none were recorded.
    pub fn attempts(&self) -> &[AttemptRecord] {
        &self.attempts
    }

    pub(crate) fn set_attempts(&mut self, attempts: Vec<AttemptRecord>) {
        self.attempts = attempts;
    }
}

impl From<reqwest::Error> for TransportFailure {
    fn from(error: reqwest::Error) -> Self {
        Self::new(error)
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.error, f)
    }
}

impl std::error::Error for TransportFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}
