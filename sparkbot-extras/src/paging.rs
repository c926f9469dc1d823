//! Pagination for page fetchers of your own: bare JSON arrays, zero-based `page`, `size`.
//!
//! The spec's list endpoints need none of this: each list builder of `sparkbot-api` streams
//! itself (`bot.api().list_chats().device_id(id).stream()`, see [`sparkbot_api::paging`]),
//! and its errors convert into [`Error`]. [`paginate`] (and [`SparkBot::paginate`](crate::SparkBot::paginate))
//! turns any "fetch page n" closure into the same kind of stream.
//!
//! There is no total count and no cursor, so a listing ends on a short or empty page, or on a
//! 400 for a page past the end (the API does that). A server that ignored `page` would repeat
//! full pages for ever, so a page limit guards the loop and reports [`Error::TooManyPages`]
//! rather than silently truncating.

use std::collections::VecDeque;
use std::future::Future;

use futures::stream::{self, BoxStream, StreamExt};

use crate::error::Error;

/// A stream of items across pages, each item or the error that ended it.
pub type PageStream<T> = BoxStream<'static, Result<T, Error>>;

/// The page to fetch: `number` is zero-based.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// Zero-based page number, for the `page` query parameter.
    pub number: u64,
    /// Page size, for the `size` query parameter.
    pub size: u64,
}

/// How to walk the pages of one endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    /// Items per page requested; clamped to `1..=max_size`.
    pub page_size: u64,
    /// The endpoint's largest accepted `size` (50 on every list endpoint known so far).
    pub max_size: u64,
    /// Pages read at most before the stream ends with [`Error::TooManyPages`].
    pub max_pages: u64,
}

/// The largest `size` the known list endpoints accept.
pub const DEFAULT_MAX_PAGE_SIZE: u64 = 50;

/// Default loop guard: 10,000 pages, half a million items at 50 a page. Large enough for a
/// real inbox, small enough that a server ignoring `page` is caught in bounded requests.
pub const DEFAULT_MAX_PAGES: u64 = 10_000;

impl Paging {
    /// Pages of the endpoint's largest size, with the default loop guard.
    pub fn with_max_size(max_size: u64) -> Self {
        Self {
            page_size: max_size,
            max_size,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// The same with another page size (still clamped to the endpoint's maximum).
    pub fn page_size(mut self, size: u64) -> Self {
        self.page_size = size;
        self
    }

    /// The same with another loop guard.
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = pages;
        self
    }

    fn effective_size(&self) -> u64 {
        self.page_size.clamp(1, self.max_size.max(1))
    }
}

impl Default for Paging {
    fn default() -> Self {
        Self::with_max_size(DEFAULT_MAX_PAGE_SIZE)
    }
}

struct State<F, T> {
    fetch: F,
    paging: Paging,
    next: u64,
    buffer: VecDeque<T>,
    done: bool,
}

/// Turns "fetch page n" into a stream of items. Only one page is held in memory at a time, and
/// the next page is fetched only when the consumer reaches the end of the current one.
///
/// ```
/// use futures::TryStreamExt;
/// use sparkbot_extras::paging::{paginate, Paging};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), sparkbot_extras::Error> {
/// let items: Vec<u64> = paginate(Paging::with_max_size(2), |page| async move {
///     // Pages [0, 1], [2, 3], [4]: the short page ends the listing.
///     Ok((page.number * 2..(page.number * 2 + 2).min(5)).collect())
/// })
/// .try_collect()
/// .await?;
/// assert_eq!(items, [0, 1, 2, 3, 4]);
/// # Ok(()) }
/// ```
pub fn paginate<T, F, Fut>(paging: Paging, fetch: F) -> PageStream<T>
where
    T: Send + 'static,
    F: FnMut(PageRequest) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Vec<T>, Error>> + Send,
{
    let state = State {
        fetch,
        paging,
        next: 0,
        buffer: VecDeque::new(),
        done: false,
    };
    stream::unfold(state, |mut st| async move {
        loop {
            if let Some(item) = st.buffer.pop_front() {
                return Some((Ok(item), st));
            }
            if st.done {
                return None;
            }
            if st.next >= st.paging.max_pages {
                st.done = true;
                return Some((
                    Err(Error::TooManyPages {
                        pages: st.paging.max_pages,
                    }),
                    st,
                ));
            }
            let request = PageRequest {
                number: st.next,
                size: st.paging.effective_size(),
            };
            match (st.fetch)(request).await {
                Ok(items) => {
                    st.next += 1;
                    if (items.len() as u64) < request.size {
                        st.done = true;
                    }
                    st.buffer = items.into();
                }
                // Past the last page the API may answer 400 instead of an empty array.
                Err(Error::Validation { response })
                    if request.number > 0 && response.status() == 400 =>
                {
                    tracing::debug!(page = request.number, "400 past the last page: end");
                    return None;
                }
                Err(error) => {
                    st.done = true;
                    return Some((Err(error), st));
                }
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiFailure;
    use futures::TryStreamExt;
    use std::sync::{Arc, Mutex};

    type Calls = Arc<Mutex<Vec<PageRequest>>>;

    fn recorder() -> (Calls, Calls) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        (calls.clone(), calls)
    }

    #[tokio::test]
    async fn stops_on_a_short_page_and_clamps_the_size() {
        let (calls, seen) = recorder();
        let items: Vec<u64> = paginate(Paging::with_max_size(3).page_size(99), move |p| {
            calls.lock().unwrap().push(p);
            async move { Ok((0..if p.number < 2 { 3 } else { 1 }).collect()) }
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(items.len(), 7);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert!(seen.iter().all(|p| p.size == 3));
        assert_eq!(seen[2].number, 2);
    }

    #[tokio::test]
    async fn stops_on_an_empty_page_and_on_a_400_past_the_end() {
        let items: Vec<u64> = paginate(Paging::with_max_size(2), |p| async move {
            Ok(if p.number == 0 { vec![1, 2] } else { vec![] })
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(items, [1, 2]);

        let items: Vec<u64> = paginate(Paging::with_max_size(2), |p| async move {
            if p.number == 0 {
                Ok(vec![1, 2])
            } else {
                Err(Error::from_failure(ApiFailure::from_status(400, None)))
            }
        })
        .try_collect()
        .await
        .unwrap();
        assert_eq!(items, [1, 2]);
    }

    #[tokio::test]
    async fn a_400_on_the_first_page_is_an_error() {
        let result: Result<Vec<u64>, Error> = paginate(Paging::default(), |_| async move {
            Err::<Vec<u64>, _>(Error::from_failure(ApiFailure::from_status(400, None)))
        })
        .try_collect()
        .await;
        assert!(matches!(result, Err(Error::Validation { .. })));
    }

    #[tokio::test]
    async fn the_loop_guard_reports_instead_of_truncating() {
        let (calls, seen) = recorder();
        let results: Vec<Result<u64, Error>> =
            paginate(Paging::with_max_size(1).max_pages(4), move |p| {
                calls.lock().unwrap().push(p);
                async move { Ok(vec![7]) }
            })
            .collect()
            .await;
        assert_eq!(results.len(), 5);
        assert!(matches!(
            results.last(),
            Some(Err(Error::TooManyPages { pages: 4 }))
        ));
        assert_eq!(seen.lock().unwrap().len(), 4);
    }

    #[tokio::test]
    async fn an_error_ends_the_stream_after_the_items_before_it() {
        let results: Vec<Result<u64, Error>> = paginate(Paging::with_max_size(1), |p| async move {
            if p.number == 0 {
                Ok(vec![1])
            } else {
                Err(Error::from_failure(ApiFailure::from_status(500, None)))
            }
        })
        .collect()
        .await;
        assert_eq!(results.len(), 2);
        assert!(matches!(results[1], Err(Error::Server(_))));
    }

    #[tokio::test]
    async fn pages_are_fetched_lazily() {
        let (calls, seen) = recorder();
        let mut stream = paginate(Paging::with_max_size(2), move |p| {
            calls.lock().unwrap().push(p);
            async move { Ok(vec![1u8, 2]) }
        });
        stream.next().await;
        stream.next().await;
        assert_eq!(seen.lock().unwrap().len(), 1);
        stream.next().await;
        assert_eq!(seen.lock().unwrap().len(), 2);
    }
}
