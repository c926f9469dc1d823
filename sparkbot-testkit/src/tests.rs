//! Unit tests of the simulator's state and clock.

use super::*;
use sparkbot_api::types::{MessageStatus, SessionStatus};

#[tokio::test]
async fn the_manual_clock_applies_changes_in_time_order() {
    let sim = Simulator::builder().manual_clock().start().await;
    sim.schedule_session(demo::SUPPORT, Duration::from_secs(2), SessionStatus::Online);
    sim.schedule_session(
        demo::SUPPORT,
        Duration::from_secs(1),
        SessionStatus::Loading,
    );
    sim.advance(Duration::from_millis(1500)).await;
    assert_eq!(sim.session(demo::SUPPORT), Some(SessionStatus::Loading));
    assert_eq!(sim.now(), Duration::from_millis(1500));
    sim.advance(Duration::from_secs(1)).await;
    assert_eq!(sim.session(demo::SUPPORT), Some(SessionStatus::Online));
}

#[tokio::test]
async fn set_session_cancels_the_pending_steps() {
    let sim = Simulator::builder().manual_clock().start().await;
    sim.schedule_session(demo::SUPPORT, Duration::from_secs(1), SessionStatus::Online);
    sim.set_session(demo::SUPPORT, SessionStatus::Blocked);
    sim.advance(Duration::from_secs(5)).await;
    assert_eq!(sim.session(demo::SUPPORT), Some(SessionStatus::Blocked));
}

#[tokio::test]
async fn a_message_waits_for_its_device_to_come_online() {
    let sim = Simulator::builder().manual_clock().start().await;
    let message = {
        let mut state = sim.inner.lock();
        let message = StoredMessage {
            id: state.next_id(1),
            device: Some(demo::SUPPORT.to_owned()),
            phone: Some("+34600000000".into()),
            group: None,
            text: Some("hi".into()),
            reference: None,
            status: MessageStatus::Queued,
            wa_id: None,
            created_at: Duration::ZERO,
            request: Value::Null,
        };
        let id = message.id.clone();
        state.store_message(message, Duration::ZERO);
        id
    };
    sim.advance(Duration::from_secs(10)).await;
    assert_eq!(sim.message(&message).unwrap().status, MessageStatus::Queued);
    sim.set_session(demo::SUPPORT, SessionStatus::Online);
    sim.advance(Duration::from_millis(100)).await;
    assert_eq!(sim.message(&message).unwrap().status, MessageStatus::Sent);
    sim.advance(Duration::from_millis(200)).await;
    assert_eq!(
        sim.message(&message).unwrap().status,
        MessageStatus::Delivered
    );
}

#[tokio::test]
async fn the_simulator_can_be_shared_with_spawned_tasks() {
    let sim = Arc::new(Simulator::builder().manual_clock().start().await);
    let task = tokio::spawn({
        let sim = sim.clone();
        async move {
            sim.advance(Duration::from_secs(1)).await;
            sim.deliver_inbound("sales", "+34600000000", "hi")
                .await
                .len()
        }
    });
    // No webhook is registered: nothing is delivered.
    assert_eq!(task.await.unwrap(), 0);
    assert_eq!(sim.now(), Duration::from_secs(1));
}

#[test]
#[should_panic(expected = "not 24 hex")]
fn device_ids_are_checked() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sim = Simulator::start().await;
        sim.add_device(SimDevice::new("sales", "+1"));
    });
}
