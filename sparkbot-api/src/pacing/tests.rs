//! The pacer's rules, driven with explicit times.

use super::*;

fn rule() -> Rule {
    Rule {
        min_interval: None,
        adaptive: true,
        default_hold: Duration::from_secs(1),
        max_hold: Duration::from_secs(60),
    }
}

fn limited(secs: u64) -> Signal {
    Signal::RateLimited {
        retry_after: Some(Duration::from_secs(secs)),
    }
}

#[test]
fn an_unpaced_scope_never_waits() {
    let mut s = ScopeState::new();
    let now = Instant::now();
    for _ in 0..1000 {
        assert_eq!(s.try_take(&rule(), now), Ok(()));
    }
}

#[test]
fn a_cap_spaces_slots_with_one_interval_of_slack() {
    let mut s = ScopeState::new();
    let rule = Rule {
        min_interval: Some(Duration::from_millis(100)),
        ..rule()
    };
    let t0 = Instant::now() + Duration::from_secs(10);
    // Idle until now: the slot of now and one of slack.
    assert_eq!(s.try_take(&rule, t0), Ok(()));
    assert_eq!(s.try_take(&rule, t0), Ok(()));
    assert_eq!(s.try_take(&rule, t0), Err(Duration::from_millis(100)));
    // Woken 30 ms late: the slot is taken, and the next one keeps the schedule.
    assert_eq!(s.try_take(&rule, t0 + Duration::from_millis(130)), Ok(()));
    assert_eq!(
        s.try_take(&rule, t0 + Duration::from_millis(130)),
        Err(Duration::from_millis(70))
    );
}

#[test]
fn a_429_holds_the_scope_and_the_second_one_learns_the_rate() {
    let mut s = ScopeState::new();
    let t0 = Instant::now();
    s.observe(&rule(), limited(1), t0);
    assert_eq!(s.try_take(&rule(), t0), Err(Duration::from_secs(1)));
    assert_eq!(s.rate, None, "the first 429 only starts the count");
    // 40 accepted over the 2 s to the next 429: the server's rate is 20/s.
    for _ in 0..40 {
        s.observe(&rule(), Signal::Accepted, t0 + Duration::from_secs(1));
    }
    s.observe(&rule(), limited(1), t0 + Duration::from_secs(2));
    let rate = s.rate.unwrap();
    assert!((rate - 19.4).abs() < 1e-9, "{rate}");
}

#[test]
fn a_429_after_an_idle_pause_learns_nothing() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut s = ScopeState::new();
    s.observe(&rule(), limited(1), t0);
    assert!(s.try_take(&rule(), ms(1000)).is_ok());
    s.observe(&rule(), Signal::Accepted, ms(1100));
    // Nobody sent from 1.1 s to 4 s: the server's bucket refilled meanwhile.
    assert!(s.try_take(&rule(), ms(4000)).is_ok());
    s.observe(&rule(), limited(1), ms(4100));
    assert_eq!(s.rate, None, "an idle window learns nothing");
    assert_eq!(s.try_take(&rule(), ms(4100)), Err(Duration::from_secs(1)));
    // A busy window after it does.
    for i in 0..40 {
        let at = ms(5100 + i * 25);
        assert!(s.try_take(&rule(), at).is_ok());
        s.observe(&rule(), Signal::Accepted, at);
    }
    s.observe(&rule(), limited(1), ms(6100));
    assert!(
        (s.rate.unwrap() - 40.0 / 2.0 * 0.97).abs() < 1e-9,
        "{:?}",
        s.rate
    );
}

#[test]
fn a_storm_of_429s_while_held_cuts_once() {
    let mut s = ScopeState::new();
    let t0 = Instant::now();
    s.observe(&rule(), limited(1), t0);
    for _ in 0..10 {
        s.observe(&rule(), Signal::Accepted, t0);
    }
    s.observe(&rule(), limited(1), t0 + Duration::from_secs(2));
    let learned = s.rate;
    for i in 1..8 {
        s.observe(&rule(), limited(1), t0 + Duration::from_millis(2000 + i));
    }
    assert_eq!(s.rate, learned);
}

#[test]
fn a_retry_after_beyond_the_policy_holds_nothing_and_none_holds_the_backoff() {
    let mut s = ScopeState::new();
    let rule = Rule {
        default_hold: Duration::from_millis(20),
        max_hold: Duration::from_secs(60),
        ..rule()
    };
    let t0 = Instant::now();
    s.observe(&rule, limited(3600), t0);
    assert_eq!(s.try_take(&rule, t0), Ok(()));
    let t1 = t0 + Duration::from_secs(5);
    s.observe(&rule, Signal::RateLimited { retry_after: None }, t1);
    assert_eq!(s.try_take(&rule, t1), Err(Duration::from_millis(20)));
}

#[test]
fn a_learned_rate_is_probed_upwards_slowly() {
    let mut s = ScopeState::new();
    let t0 = Instant::now();
    s.rate = Some(10.0);
    s.last_change = t0;
    s.observe(&rule(), Signal::Accepted, t0 + Duration::from_secs(1));
    assert_eq!(s.rate, Some(10.0));
    s.observe(&rule(), Signal::Accepted, t0 + PROBE_EVERY);
    assert!((s.rate.unwrap() - 10.1).abs() < 1e-9);
}

#[test]
fn without_adaptation_only_the_caps_apply() {
    let mut s = ScopeState::new();
    let rule = Rule {
        adaptive: false,
        ..rule()
    };
    let t0 = Instant::now();
    s.observe(&rule, limited(5), t0);
    assert_eq!(s.try_take(&rule, t0), Ok(()));
}

#[test]
fn rate_limit_headers_at_zero_hold_until_the_reset() {
    let mut headers = HeaderMap::new();
    headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
    headers.insert("x-ratelimit-reset", "7".parse().unwrap());
    assert_eq!(
        Signal::of_response(200, &headers),
        Signal::Exhausted {
            reset: Duration::from_secs(7)
        }
    );
    headers.insert("x-ratelimit-remaining", "3".parse().unwrap());
    assert_eq!(Signal::of_response(200, &headers), Signal::Accepted);
    assert_eq!(
        Signal::of_response(429, &HeaderMap::new()),
        Signal::RateLimited { retry_after: None }
    );
    assert_eq!(
        Signal::of_response(503, &HeaderMap::new()),
        Signal::Accepted
    );
}

#[test]
fn recipient_scopes_are_swept_when_many() {
    let pacer = MemoryPacer::new();
    let rule = Pacing::default()
        .with_min_gap_per_recipient(Duration::from_millis(1))
        .rule(ScopeKind::Recipient, &crate::RetryPolicy::default());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        for i in 0..RECIPIENTS_KEPT + 10 {
            let scope = Scope::recipient("d", &format!("+{i}"));
            let _ = pacer.try_take(&scope, &rule).await;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        let _ = pacer.try_take(&Scope::recipient("d", "+x"), &rule).await;
    });
    let kept = pacer.scopes.lock().unwrap().len();
    assert!(kept < RECIPIENTS_KEPT, "{kept}");
}

#[test]
fn an_answer_after_a_pause_does_not_make_the_scope_busy() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    let mut s = ScopeState::new();
    s.observe(&rule(), limited(1), t0);
    assert!(s.try_take(&rule(), ms(1000)).is_ok());
    // The send's answer was lost; a lookup found it 750 ms later.
    s.observe(&rule(), Signal::Accepted, ms(1750));
    assert!(s.try_take(&rule(), ms(1760)).is_ok());
    s.observe(&rule(), limited(1), ms(1770));
    assert_eq!(
        s.rate, None,
        "the pause before the lookup's answer was idle"
    );
}
