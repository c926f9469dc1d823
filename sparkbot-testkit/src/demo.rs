use std::time::Duration;

use sparkbot_api::types::{DeviceStatus, SessionStatus};

use crate::SimDevice;

/// `sales` (+447911123456): `operative`, session `offline`; after its first sync it goes
/// `loading` at 0.8 s and `online` at 2 s.
pub const SALES: &str = "5f0a1b2c3d4e5f6a7b8c9d0e";
/// `support` (+34600111222): `operative`, session stuck in `conflict` (WhatsApp open
/// elsewhere).
pub const SUPPORT: &str = "60aa0b1c2d3e4f5a6b7c8d9e";
/// `new-phone` (+15550100200): `pending`, session `authorize` (waiting for a QR scan).
pub const NEW_PHONE: &str = "61bb0c1d2e3f4a5b6c7d8e9f";

/// The three demo devices: [`SALES`], [`SUPPORT`] and [`NEW_PHONE`].
pub fn devices() -> Vec<SimDevice> {
    vec![
        SimDevice::new(SALES, "+447911123456")
            .alias("sales")
            .session(SessionStatus::Offline)
            .on_sync(Duration::from_millis(800), SessionStatus::Loading)
            .on_sync(Duration::from_millis(2000), SessionStatus::Online),
        SimDevice::new(SUPPORT, "+34600111222")
            .alias("support")
            .session(SessionStatus::Conflict),
        SimDevice::new(NEW_PHONE, "+15550100200")
            .alias("new-phone")
            .status(DeviceStatus::Pending)
            .session(SessionStatus::Authorize),
    ]
}
