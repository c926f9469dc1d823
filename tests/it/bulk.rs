//! `SparkBot::send_many` over the test kit's simulator: faults sprinkled through a batch, a
//! crash and a rerun from the journal, a rerun checked against the server, the stops, the
//! session checks, and the progress callbacks.
//!
//! Every test counts the messages stored per reference and the requests the server saw; none
//! measures time.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::stream;
use sparkbot_api::types::SessionStatus;
use sparkbot_api::{ApiKey, ClientConfig, SendPolicy};
use sparkbot_extras::bulk::journal::{FileJournal, MemoryJournal};
use sparkbot_extras::bulk::{
    BulkItem, BulkMessage, BulkReport, ItemOutcome, Progress, SkipReason, StopCause,
};
use sparkbot_extras::{Error, SparkBot};
use sparkbot_testkit::{Fault, SimDevice, Simulator, demo};
use sparkbot_tests::fast_retries;

/// Long enough for anything on loopback; only reached when a test is about to fail.
const PATIENCE: Duration = Duration::from_secs(10);

/// A bot on `sim` that rides out the faults these tests inject: millisecond backoffs, enough
/// attempts for every 429 of a test, two quick lookups and enough resends for every dropped
/// request of a test.
fn bot(sim: &Simulator) -> SparkBot {
    SparkBot::new(
        sim.config()
            .with_retry(fast_retries().with_max_attempts(10))
            .with_send_policy(
                SendPolicy::reconcile_then_resend()
                    .with_lookups(2, Duration::from_millis(60))
                    .with_max_resends(4),
            )
            .build()
            .expect("a valid configuration"),
    )
}

/// The `n`th recipient: a Spanish mobile number.
fn phone(n: usize) -> String {
    format!("+34600100{n:03}")
}

fn items(recipients: &[String], text: &'static str) -> Vec<(String, &'static str)> {
    recipients.iter().map(|r| (r.clone(), text)).collect()
}

/// A journal file of its own for one test, under the system's temp dir.
struct TempJournal(PathBuf);

impl TempJournal {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "sparkbot-bulk-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir.join("batch.journal"))
    }

    fn open(&self) -> FileJournal {
        FileJournal::open(&self.0).expect("the journal opens")
    }
}

impl Drop for TempJournal {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn sent_id(outcome: &ItemOutcome) -> Option<&str> {
    match outcome {
        ItemOutcome::Sent { message_id } => message_id.as_deref(),
        _ => None,
    }
}

/// Every item reported sent is stored once, under its reference, with the id reported.
fn assert_sent_items_stored_once(sim: &Simulator, report: &BulkReport) {
    for item in &report.items {
        if let ItemOutcome::Sent { message_id } = &item.outcome {
            let stored = sim.messages_with_reference(&item.reference);
            assert_eq!(stored.len(), 1, "{}: {stored:?}", item.reference);
            assert_eq!(message_id.as_deref(), Some(stored[0].id.as_str()));
        }
    }
}

/// Every recipient has exactly one message on the server, with its batch reference.
fn assert_each_recipient_stored_once(sim: &Simulator, recipients: &[String]) {
    for recipient in recipients {
        let stored: Vec<_> = sim
            .messages()
            .into_iter()
            .filter(|m| m.phone.as_deref() == Some(recipient.as_str()))
            .collect();
        assert_eq!(stored.len(), 1, "{recipient}: {stored:?}");
        let reference = stored[0].reference.as_deref().unwrap_or_default();
        assert_eq!(
            sim.messages_with_reference(reference).len(),
            1,
            "{reference}"
        );
    }
    assert_eq!(sim.messages().len(), recipients.len());
}

fn count(report: &BulkReport, matches: impl Fn(&ItemOutcome) -> bool) -> usize {
    report.items.iter().filter(|i| matches(&i.outcome)).count()
}

fn already_sent(outcome: &ItemOutcome) -> bool {
    matches!(
        outcome,
        ItemOutcome::Skipped(SkipReason::AlreadySent { .. })
    )
}

// ---- a batch with faults ---------------------------------------------------------------------

/// 50 recipients, 8 in flight, 11 faults injected as the batch goes (3 connections dropped
/// after the server stored the message, 3 before, 5 429s), two duplicates and a phone that is
/// not one: 50 sent, each stored once, the duplicates skipped, the bad phone failed alone.
#[tokio::test]
async fn fifty_sends_with_faults_sprinkled_are_each_stored_once() {
    let sim = Simulator::start().await;
    let bot = bot(&sim);
    let recipients: Vec<String> = (0..50).map(phone).collect();
    let mut input = items(&recipients, "Your order has shipped");
    input.insert(10, ("+34 600 100 003".to_owned(), "again"));
    input.insert(20, ("not a phone".to_owned(), "x"));
    input.insert(30, ("0034-600-100-007".to_owned(), "again"));
    let faults = [
        Fault::drop_after(),
        Fault::rate_limited(0),
        Fault::drop_before(),
        Fault::rate_limited(0),
        Fault::drop_after(),
        Fault::rate_limited(0),
        Fault::drop_before(),
        Fault::rate_limited(0),
        Fault::drop_after(),
        Fault::rate_limited(0),
        Fault::drop_before(),
    ];
    let ended = AtomicUsize::new(0);
    let report = bot
        .send_many(demo::SALES, stream::iter(input))
        .batch_id("shipping-50")
        .concurrency(8)
        .on_item(|_| {
            // One fault after every second item, the first ones in flight with the batch.
            let n = ended.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(2)
                && let Some(fault) = faults.get(n / 2 - 1)
            {
                sim.inject(fault.clone().on("POST", "/messages"));
            }
        })
        .execute()
        .await
        .expect("the batch runs");

    assert!(report.stopped.is_none(), "{:?}", report.stopped);
    assert_eq!(
        (report.sent, report.failed, report.skipped),
        (50, 1, 2),
        "{report:#?}"
    );
    assert_eq!(report.items.len(), 53);
    assert!(!report.all_sent(), "one item failed");
    let duplicates: Vec<usize> = report
        .items
        .iter()
        .filter(|i| matches!(i.outcome, ItemOutcome::Skipped(SkipReason::Duplicate)))
        .map(|i| i.index)
        .collect();
    assert_eq!(sorted(duplicates), [10, 30]);
    let failed: Vec<_> = report
        .items
        .iter()
        .filter(|i| matches!(i.outcome, ItemOutcome::Failed(_)))
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].index, 20);
    assert!(
        matches!(
            failed[0].outcome,
            ItemOutcome::Failed(Error::InvalidInput(_))
        ),
        "{:?}",
        failed[0].outcome
    );

    assert!(sim.pending_faults().is_empty(), "every fault was met");
    assert_sent_items_stored_once(&sim, &report);
    assert_each_recipient_stored_once(&sim, &recipients);
    // One POST per message, one more per dropped-before (resent) and per 429 (retried).
    assert_eq!(sim.request_count("POST", "/messages"), 50 + 3 + 5);
    // One lookup per dropped-after (found), two per dropped-before (both empty).
    assert_eq!(sim.request_count("GET", "/messages"), 3 + 3 * 2);
    // The references are the batch's: the same recipient, the same reference.
    let first = report
        .items
        .iter()
        .find(|i| i.recipient == phone(3))
        .unwrap();
    assert!(first.reference.starts_with('b') && first.reference.ends_with("-34600100003"));
}

fn sorted(mut v: Vec<usize>) -> Vec<usize> {
    v.sort_unstable();
    v
}

// ---- crash and rerun -------------------------------------------------------------------------

/// The process dies (the batch's future is dropped) with four sends in flight, which the
/// server stored but never answered. The rerun skips what the journal has as sent without a
/// request, looks up only the four in flight, and sends the rest: nobody gets two.
#[tokio::test]
async fn a_crash_mid_batch_is_resumed_from_the_journal_without_duplicates() {
    let sim = Simulator::start().await;
    let bot = bot(&sim);
    let journal = TempJournal::new("crash");
    let recipients: Vec<String> = (0..30).map(phone).collect();
    let concurrency = 4;

    let ended = AtomicUsize::new(0);
    let first = bot
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("crash-batch")
        .concurrency(concurrency)
        .journal(journal.open())
        .on_item(|_| {
            if ended.fetch_add(1, Ordering::Relaxed) + 1 == 10 {
                // From now on the server stores each send and does not answer.
                sim.inject(
                    Fault::delay(Duration::from_secs(60))
                        .on("POST", "/messages")
                        .times(concurrency),
                );
            }
        })
        .execute();
    let stuck = async {
        sim.wait_until(
            "every slot holds a stored, unanswered send",
            PATIENCE,
            |s| {
                let delayed = s
                    .requests()
                    .iter()
                    .filter(|r| r.fault == Some("delay"))
                    .count();
                delayed == concurrency && s.messages().len() == s.request_count("POST", "/messages")
            },
        )
        .await
    };
    tokio::select! {
        report = first => panic!("the batch ended although its sends hang: {report:?}"),
        () = stuck => {}
    }
    // The crash: the future is gone, with it the sends in flight.
    let done_before = ended.load(Ordering::Relaxed);
    assert_eq!(sim.messages().len(), done_before + concurrency);
    let (posts, gets) = (
        sim.request_count("POST", "/messages"),
        sim.request_count("GET", "/messages"),
    );
    assert_eq!(gets, 0);

    let rerun = bot
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("crash-batch")
        .concurrency(concurrency)
        .journal(journal.open())
        .execute()
        .await
        .expect("the rerun runs");
    assert!(rerun.stopped.is_none());
    assert_eq!(rerun.failed, 0, "{rerun:#?}");
    assert_eq!(rerun.skipped, done_before + concurrency, "{rerun:#?}");
    assert_eq!(count(&rerun, already_sent), done_before + concurrency);
    assert_eq!(rerun.sent, 30 - done_before - concurrency);
    assert!(rerun.all_sent());
    // Only the sends that were in flight are looked up, each found with its id.
    let lookups = sim.request_count("GET", "/messages") - gets;
    assert_eq!(lookups, concurrency);
    assert!(lookups <= concurrency);
    let found_with_ids = rerun
        .items
        .iter()
        .filter(|i| {
            matches!(
                &i.outcome,
                ItemOutcome::Skipped(SkipReason::AlreadySent { message_id: Some(id) })
                    if sim.messages_with_reference(&i.reference)[0].id == *id
            )
        })
        .count();
    assert_eq!(found_with_ids, done_before + concurrency);
    assert_eq!(
        sim.request_count("POST", "/messages") - posts,
        30 - done_before - concurrency
    );
    assert_sent_items_stored_once(&sim, &rerun);
    assert_each_recipient_stored_once(&sim, &recipients);

    // A third run has nothing to do and asks nothing.
    let requests = sim.requests().len();
    let third = bot
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("crash-batch")
        .journal(journal.open())
        .execute()
        .await
        .unwrap();
    assert_eq!((third.sent, third.skipped), (0, 30));
    assert_eq!(sim.requests().len(), requests);
}

/// `stop_when` fires after the 10th item: the sends in flight finish, nothing new starts.
/// The rerun (same batch id, same journal) sends the rest and looks nothing up.
#[tokio::test]
async fn a_batch_stopped_midway_resumes_with_the_rest_only() {
    let sim = Simulator::start().await;
    let bot = bot(&sim);
    let journal = TempJournal::new("stop");
    let recipients: Vec<String> = (0..30).map(phone).collect();

    let (fire, fired) = tokio::sync::oneshot::channel::<()>();
    let fire = Mutex::new(Some(fire));
    let ended = AtomicUsize::new(0);
    let first = bot
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("stop-batch")
        .concurrency(4)
        .journal(journal.open())
        .stop_when(async {
            let _ = fired.await;
        })
        .on_item(|_| {
            if ended.fetch_add(1, Ordering::Relaxed) + 1 == 10
                && let Some(fire) = fire.lock().unwrap().take()
            {
                let _ = fire.send(());
            }
        })
        .execute()
        .await
        .unwrap();
    assert!(
        matches!(first.stopped, Some(StopCause::Interrupted)),
        "{:?}",
        first.stopped
    );
    assert!(
        (10..=13).contains(&first.sent),
        "the 10th and at most the 3 in flight with it: {}",
        first.sent
    );
    // An item read just before the stop but not started yet is skipped, not sent.
    assert_eq!(first.failed, 0);
    let stopped = |o: &ItemOutcome| matches!(o, ItemOutcome::Skipped(SkipReason::BatchStopped));
    assert_eq!(first.skipped, count(&first, stopped));
    assert!(
        first.items.len() <= 13,
        "the items after the stop were not read: {}",
        first.items.len()
    );
    assert_eq!(sim.request_count("POST", "/messages"), first.sent);
    assert_sent_items_stored_once(&sim, &first);

    let rerun = bot
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("stop-batch")
        .concurrency(4)
        .journal(journal.open())
        .execute()
        .await
        .unwrap();
    assert_eq!(count(&rerun, already_sent), first.sent);
    assert_eq!(rerun.sent, 30 - first.sent);
    assert_eq!(rerun.failed, 0);
    assert_eq!(
        sim.request_count("GET", "/messages"),
        0,
        "nothing was in doubt"
    );
    assert_eq!(sim.request_count("POST", "/messages"), 30);
    assert_each_recipient_stored_once(&sim, &recipients);
}

/// Without a journal, `verify_with_server` asks the server about each recipient before sending:
/// a rerun with more recipients sends only the new ones.
#[tokio::test]
async fn a_rerun_verified_with_the_server_sends_nobody_twice() {
    let sim = Simulator::start().await;
    let bot = bot(&sim);
    let recipients: Vec<String> = (0..15).map(phone).collect();
    let first = bot
        .send_many(demo::SALES, stream::iter(items(&recipients[..10], "hello")))
        .batch_id("verified")
        .concurrency(4)
        .execute()
        .await
        .unwrap();
    assert_eq!(first.sent, 10);
    assert_eq!(sim.request_count("GET", "/messages"), 0);

    let rerun = bot
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("verified")
        .concurrency(4)
        .verify_with_server(true)
        .execute()
        .await
        .unwrap();
    assert_eq!((rerun.sent, rerun.failed, rerun.skipped), (5, 0, 10));
    assert_eq!(count(&rerun, already_sent), 10);
    for item in &rerun.items {
        let stored = sim.messages_with_reference(&item.reference);
        assert_eq!(stored.len(), 1, "{}", item.reference);
        if let ItemOutcome::Skipped(SkipReason::AlreadySent { message_id }) = &item.outcome {
            assert_eq!(message_id.as_deref(), Some(stored[0].id.as_str()));
            assert!(recipients[..10].contains(&item.recipient));
        } else {
            assert_eq!(sent_id(&item.outcome), Some(stored[0].id.as_str()));
            assert!(recipients[10..].contains(&item.recipient));
        }
    }
    assert_eq!(
        sim.request_count("GET", "/messages"),
        15,
        "one lookup per item"
    );
    assert_eq!(sim.request_count("POST", "/messages"), 15);
    assert_each_recipient_stored_once(&sim, &recipients);
}

/// With no lookups in the first run, a dropped connection leaves each item's outcome unknown:
/// the item fails, the journal keeps it as started, and the rerun looks it up. The one the
/// server stored is not sent again; the one it never saw is.
#[tokio::test]
async fn an_unknown_outcome_stays_started_and_the_rerun_settles_it() {
    let sim = Simulator::start().await;
    let journal = TempJournal::new("unknown");
    let recipients: Vec<String> = (0..5).map(phone).collect();
    let no_lookup = SparkBot::new(
        sim.config()
            .with_retry(fast_retries())
            .with_send_policy(SendPolicy::no_lookup())
            .build()
            .unwrap(),
    );
    sim.inject(Fault::drop_after().on("POST", "/messages"));
    sim.inject(Fault::drop_before().on("POST", "/messages"));
    let first = no_lookup
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("unknown")
        .concurrency(1)
        .journal(journal.open())
        .execute()
        .await
        .unwrap();
    assert!(
        first.stopped.is_none(),
        "an unknown outcome is not the device's fault"
    );
    assert_eq!((first.sent, first.failed), (3, 2));
    for item in &first.items[..2] {
        let ItemOutcome::Failed(err) = &item.outcome else {
            panic!("{:?}", item.outcome)
        };
        assert!(err.is_outcome_unknown(), "{err}");
        assert!(err.to_string().contains(&item.reference), "{err}");
    }
    assert_eq!(sim.messages().len(), 4, "the drop after stored its message");
    assert_eq!(sim.request_count("GET", "/messages"), 0);

    let rerun = bot(&sim)
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("unknown")
        .concurrency(1)
        .journal(journal.open())
        .execute()
        .await
        .unwrap();
    assert_eq!((rerun.sent, rerun.failed, rerun.skipped), (1, 0, 4));
    assert_eq!(rerun.items[1].recipient, phone(1));
    assert!(sent_id(&rerun.items[1].outcome).is_some());
    assert_eq!(sim.request_count("GET", "/messages"), 2, "the two in doubt");
    assert_eq!(sim.request_count("POST", "/messages"), 5 + 1);
    assert_each_recipient_stored_once(&sim, &recipients);
}

/// A group gets a text in `group`; a message given as JSON fields is sent as they are, with
/// the batch's device, target and reference.
#[tokio::test]
async fn groups_and_json_messages_go_in_their_own_fields() {
    let sim = Simulator::start().await;
    let mut fields = serde_json::Map::new();
    fields.insert("message".into(), "as json".into());
    fields.insert("reference".into(), "overwritten".into());
    let input: Vec<BulkItem> = vec![
        ("120363025246125486@g.us", "to the group").into(),
        BulkItem {
            recipient: phone(1),
            message: BulkMessage::Json(fields),
        },
    ];
    let report = bot(&sim)
        .send_many(demo::SALES, stream::iter(input))
        .batch_id("kinds")
        .execute()
        .await
        .unwrap();
    assert_eq!(report.sent, 2, "{report:#?}");
    assert_sent_items_stored_once(&sim, &report);
    let group = sim
        .messages()
        .into_iter()
        .find(|m| m.group.is_some())
        .unwrap();
    assert_eq!(group.group.as_deref(), Some("120363025246125486@g.us"));
    assert_eq!(group.text.as_deref(), Some("to the group"));
    assert!(group.reference.unwrap().ends_with("-120363025246125486gus"));
    let json = sim
        .messages()
        .into_iter()
        .find(|m| m.phone.is_some())
        .unwrap();
    assert_eq!(json.text.as_deref(), Some("as json"));
    assert_eq!(json.device.as_deref(), Some(demo::SALES));
    assert!(json.reference.unwrap().ends_with("-34600100001"));
}

// ---- stops -------------------------------------------------------------------------------------

#[tokio::test]
async fn a_device_going_offline_mid_batch_stops_it() {
    let sim = Simulator::start().await;
    sim.set_session(demo::SALES, SessionStatus::Online);
    let bot = bot(&sim);
    let recipients: Vec<String> = (0..20).map(phone).collect();
    let ended = AtomicUsize::new(0);
    let report = bot
        .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
        .batch_id("offline")
        .concurrency(1)
        .check_session_every(Duration::ZERO)
        .on_item(|_| {
            if ended.fetch_add(1, Ordering::Relaxed) + 1 == 5 {
                sim.set_session(demo::SALES, SessionStatus::Offline);
            }
        })
        .execute()
        .await
        .unwrap();
    let Some(StopCause::SessionNotUsable(state)) = &report.stopped else {
        panic!("{:?}", report.stopped)
    };
    assert_eq!(state.session, Some(SessionStatus::Offline));
    assert_eq!((report.sent, report.failed, report.skipped), (5, 0, 1));
    assert!(matches!(
        report.items[5].outcome,
        ItemOutcome::Skipped(SkipReason::BatchStopped)
    ));
    assert_eq!(report.items.len(), 6, "the rest was not read");
    assert!(!report.all_sent());
    assert_eq!(sim.request_count("POST", "/messages"), 5);
    // One session check before each send, and the one that stopped the batch.
    assert_eq!(
        sim.request_count("GET", &format!("/devices/{}", demo::SALES)),
        6
    );
    assert_sent_items_stored_once(&sim, &report);
}

#[tokio::test]
async fn an_unauthorized_key_stops_the_batch_after_the_sends_in_flight() {
    let sim = Simulator::start().await;
    let wrong = SparkBot::new(
        ClientConfig::new(sim.base_url(), ApiKey::new("not-the-key").unwrap())
            .with_retry(fast_retries())
            .build()
            .unwrap(),
    );
    let recipients: Vec<String> = (0..10).map(phone).collect();
    for concurrency in [1, 3] {
        let posts = sim.request_count("POST", "/messages");
        let report = wrong
            .send_many(demo::SALES, stream::iter(items(&recipients, "hello")))
            .concurrency(concurrency)
            .execute()
            .await
            .unwrap();
        assert!(
            matches!(report.stopped, Some(StopCause::Unauthorized(_))),
            "{:?}",
            report.stopped
        );
        assert_eq!(
            report.failed, concurrency,
            "only the sends already in flight"
        );
        assert_eq!(report.items.len(), concurrency, "the rest was not read");
        assert!(
            report
                .items
                .iter()
                .all(|i| matches!(&i.outcome, ItemOutcome::Failed(Error::Unauthorized(_))))
        );
        assert_eq!(sim.request_count("POST", "/messages") - posts, concurrency);
    }
    assert!(sim.messages().is_empty());
}

#[tokio::test]
async fn a_device_the_api_refuses_stops_the_batch() {
    let sim = Simulator::start().await;
    let bot = bot(&sim);
    let recipients: Vec<String> = (0..10).map(phone).collect();
    let report = bot
        .send_many(
            "ffffffffffffffffffffffff",
            stream::iter(items(&recipients, "hi")),
        )
        .concurrency(1)
        .execute()
        .await
        .unwrap();
    let Some(StopCause::DeviceRefused { error_code, .. }) = &report.stopped else {
        panic!("{:?}", report.stopped)
    };
    assert_eq!(error_code.as_deref(), Some("device:invalid"));
    assert_eq!((report.failed, report.items.len()), (1, 1));
    assert_eq!(sim.request_count("POST", "/messages"), 1);
}

// ---- ensure_session ------------------------------------------------------------------------------

#[tokio::test]
async fn ensure_session_syncs_a_device_and_waits_until_it_is_usable() {
    let quick = "0123456789abcdef01234567";
    let sim = Simulator::builder()
        .device(
            SimDevice::new(quick, "+4915100000000")
                .alias("quick")
                .session(SessionStatus::Offline)
                .on_sync(Duration::from_millis(20), SessionStatus::Loading)
                .on_sync(Duration::from_millis(40), SessionStatus::Online),
        )
        .start()
        .await;
    let bot = bot(&sim);
    let recipients: Vec<String> = (0..3).map(phone).collect();
    let report = bot
        .send_many("quick", stream::iter(items(&recipients, "hi")))
        .ensure_session(PATIENCE)
        .execute()
        .await
        .expect("the device comes online");
    assert_eq!(report.sent, 3);
    assert_eq!(sim.session(quick), Some(SessionStatus::Online));
    let requests = sim.requests();
    let sync = requests
        .iter()
        .position(|r| r.path == format!("/devices/{quick}/sync"))
        .expect("a sync was triggered");
    let first_send = requests
        .iter()
        .position(|r| r.method == "POST" && r.path == "/messages")
        .unwrap();
    assert!(sync < first_send, "the sync came before the sends");
    assert_eq!(
        sim.request_count("GET", &format!("/devices/{quick}/sync")),
        1
    );
}

#[tokio::test]
async fn ensure_session_on_a_device_that_needs_a_person_fails_before_any_send() {
    let sim = Simulator::start().await;
    let bot = bot(&sim);
    let recipients: Vec<String> = (0..3).map(phone).collect();
    for device in [demo::SUPPORT, demo::NEW_PHONE] {
        let err = bot
            .send_many(device, stream::iter(items(&recipients, "hi")))
            .ensure_session(PATIENCE)
            .execute()
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::SessionNeedsAction { .. }),
            "{device}: {err}"
        );
    }
    // `sales` would come online, 2 s after a sync: a shorter deadline fails too.
    let err = bot
        .send_many(demo::SALES, stream::iter(items(&recipients, "hi")))
        .ensure_session(Duration::from_millis(200))
        .execute()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SessionTimedOut { .. }), "{err}");
    assert_eq!(sim.request_count("POST", "/messages"), 0);
}

// ---- progress ----------------------------------------------------------------------------------

#[tokio::test]
async fn progress_is_told_once_per_item_in_order_with_the_total() {
    let sim = Simulator::start().await;
    let bot = bot(&sim);
    let recipients: Vec<String> = (0..10).map(phone).collect();
    let mut input = items(&recipients, "hi");
    input.push((phone(4), "duplicate"));
    input.push(("12".to_owned(), "too short"));
    let total = input.len();
    let progress = Mutex::new(Vec::<Progress>::new());
    let indices = Mutex::new(Vec::new());
    let report = bot
        .send_many(demo::SALES, stream::iter(input))
        .concurrency(3)
        .total(total)
        .journal(MemoryJournal::new())
        .on_item(|item| indices.lock().unwrap().push(item.index))
        .on_progress(|p| progress.lock().unwrap().push(*p))
        .execute()
        .await
        .unwrap();
    let progress = progress.into_inner().unwrap();
    assert_eq!(progress.len(), total);
    for (n, p) in progress.iter().enumerate() {
        assert_eq!(p.done, n + 1);
        assert_eq!(p.total, Some(total));
        assert_eq!(p.sent + p.failed + p.skipped, p.done);
    }
    let last = progress.last().unwrap();
    assert_eq!(
        (last.sent, last.failed, last.skipped),
        (report.sent, report.failed, report.skipped)
    );
    assert_eq!((report.sent, report.failed, report.skipped), (10, 1, 1));
    assert_eq!(
        sorted(indices.into_inner().unwrap()),
        (0..total).collect::<Vec<_>>()
    );
}
