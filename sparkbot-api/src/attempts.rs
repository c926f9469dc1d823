//! The history of a call's attempts: recorded by the pipeline, read by [`with_attempts`].

use std::cell::RefCell;
use std::future::Future;
use std::time::Duration;

use crate::delivery::Lookup;
use crate::retry::FailureKind;

/// One attempt of a call, as the pipeline saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AttemptRecord {
    /// 1 for the first attempt.
    pub number: u32,
    /// The HTTP status, when a response came back.
    pub status: Option<u16>,
    /// How the attempt failed, when it did.
    pub failure: Option<FailureKind>,
    /// The wait before the next attempt, when there was one.
    pub wait: Option<Duration>,
    /// For a send whose outcome was unknown: what the lookup of its reference found.
    pub lookup: Option<Lookup>,
}

tokio::task_local! {
    static RECORDER: RefCell<Vec<AttemptRecord>>;
}

/// Runs `call` (any request of this crate) and returns its outcome with the history of its
/// attempts, so a workflow can report what was tried before it gave up.
///
/// Scopes nest: the attempts seen by an inner `with_attempts` (a workflow that keeps them for
/// its error, say) are also part of the history of the outer one.
///
/// ```no_run
/// # async fn run(client: &sparkbot_api::Client) {
/// let (result, attempts) = sparkbot_api::with_attempts(client.list_devices().send()).await;
/// if result.is_err() {
///     eprintln!("gave up after {} attempt(s)", attempts.len());
/// }
/// # }
/// ```
pub async fn with_attempts<F: Future>(call: F) -> (F::Output, Vec<AttemptRecord>) {
    let (output, attempts) = with_own_attempts(call).await;
    let _ = RECORDER.try_with(|outer| outer.borrow_mut().extend(attempts.iter().cloned()));
    (output, attempts)
}

/// [`with_attempts`] whose attempts stay its own: the lookups of a send are not attempts of
/// the send.
pub(crate) async fn with_own_attempts<F: Future>(call: F) -> (F::Output, Vec<AttemptRecord>) {
    RECORDER
        .scope(RefCell::new(Vec::new()), async move {
            let output = call.await;
            let attempts = RECORDER.with(|r| r.take());
            (output, attempts)
        })
        .await
}

pub(crate) fn record(entry: AttemptRecord) {
    // Outside `with_attempts` nobody listens, and that is fine.
    let _ = RECORDER.try_with(|r| r.borrow_mut().push(entry));
}

pub(crate) fn record_lookup(lookup: Lookup) {
    let _ = RECORDER.try_with(|r| {
        if let Some(last) = r.borrow_mut().last_mut() {
            last.lookup = Some(lookup);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn attempts_are_recorded_only_inside_with_attempts() {
        record(AttemptRecord {
            number: 1,
            status: None,
            failure: None,
            wait: None,
            lookup: None,
        });
        let ((), attempts) = with_attempts(async {
            record(AttemptRecord {
                number: 1,
                status: Some(503),
                failure: Some(FailureKind::Unavailable { retry_after: None }),
                wait: Some(Duration::from_millis(5)),
                lookup: None,
            });
        })
        .await;
        assert_eq!(attempts.len(), 1);
        assert_eq!(attempts[0].status, Some(503));
    }

    fn entry(status: u16) -> AttemptRecord {
        AttemptRecord {
            number: 1,
            status: Some(status),
            failure: None,
            wait: None,
            lookup: None,
        }
    }

    #[tokio::test]
    async fn nested_scopes_pass_their_attempts_out_but_own_ones_do_not() {
        let ((), outer) = with_attempts(async {
            record(entry(500));
            let ((), inner) = with_attempts(async { record(entry(502)) }).await;
            assert_eq!(inner, [entry(502)]);
            let ((), own) = with_own_attempts(async { record(entry(404)) }).await;
            assert_eq!(own, [entry(404)]);
            record(entry(200));
        })
        .await;
        let statuses: Vec<_> = outer.iter().map(|a| a.status).collect();
        assert_eq!(statuses, [Some(500), Some(502), Some(200)]);
    }
}
