//! How the workflows await the client: every request is one call of the client (generated or
//! hand-written, through its one pipeline), run inside [`sparkbot_api::with_attempts`] so that
//! its failure is an [`Error`] carrying the attempts ([`Error::attempts`]). Nothing here
//! sends a request of its own.

use std::future::Future;

use futures::{Stream, StreamExt};
use sparkbot_api::AttemptRecord;
use sparkbot_api::paging::PageError;
use sparkbot_api::types::ApiError;

use crate::error::Error;

type CallError = sparkbot_api::Error<ApiError>;

/// Awaits `call`, recording its attempts: the output with the attempts, or the failure mapped
/// by `map` with the attempts attached. For a download, whose body is read after the call
/// returns and may fail then too.
pub(crate) fn recorded<T, F>(
    call: F,
    map: fn(CallError) -> Error,
) -> impl Future<Output = Result<(T, Vec<AttemptRecord>), Error>>
where
    F: Future<Output = Result<T, CallError>>,
{
    // Boxed at once with its recorder, here rather than in an `async fn` (whose state would
    // hold `call` inline until its first poll): a generated call's future is several KB, and
    // the workflows' futures, moved and kept by the thousand in a batch, would otherwise hold
    // it. One allocation, as when the call alone was boxed.
    let recording = Box::pin(sparkbot_api::with_attempts(call));
    async move {
        match recording.await {
            (Ok(output), attempts) => Ok((output, attempts)),
            (Err(e), attempts) => Err(map(e).with_attempts(attempts)),
        }
    }
}

/// Awaits a request that may be repeated (a read, a whole-state update): its failure maps as
/// any call's does (`Error::from`), with its attempts.
pub(crate) fn request<T, F>(call: F) -> impl Future<Output = Result<T, Error>>
where
    F: Future<Output = Result<T, CallError>>,
{
    let call = recorded(call, Error::from);
    async move { call.await.map(|(output, _)| output) }
}

/// Awaits a request that creates something (a send, an upload, a webhook): a failure that
/// leaves its outcome unknown is [`Error::OutcomeUnknown`] ([`Error::from_send`]), with its
/// attempts.
pub(crate) fn send<T, F>(call: F) -> impl Future<Output = Result<T, Error>>
where
    F: Future<Output = Result<T, CallError>>,
{
    let call = recorded(call, Error::from_send);
    async move { call.await.map(|(output, _)| output) }
}

/// A list builder's stream (`….stream()`) in this crate's error type, each failed page with
/// the attempts of its request.
///
/// The pages are fetched inside the stream's `poll_next`, so each `next()` of `pages` runs
/// inside its own [`sparkbot_api::with_attempts`]: the one that fetches a page sees all of its
/// attempts, the ones served from the page already read see none. (A `next()` dropped while
/// a page is in flight, as a `select!` may do, takes the attempts made so far with it; the
/// error of that page then carries only the later ones.)
pub(crate) fn pages<'a, T, S>(pages: S) -> impl Stream<Item = Result<T, Error>> + Send + 'a
where
    S: Stream<Item = Result<T, PageError>> + Unpin + Send + 'a,
    T: Send + 'a,
{
    futures::stream::unfold(pages, |mut pages| async move {
        let (item, attempts) = sparkbot_api::with_attempts(pages.next()).await;
        let item = item?.map_err(|e| Error::from(e).with_attempts(attempts));
        Some((item, pages))
    })
}
