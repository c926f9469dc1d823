//! What a read of a device says: its state, what the state means for someone waiting, what a
//! person has to do, and the progress and phase of a sync.

use std::fmt;
use std::time::Duration;

use sparkbot_api::types::{Device, DeviceStatus, SessionStatus};

/// A device's lifecycle status and session status, as read at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceState {
    /// `device.status` (`operative` when usable), if the API sent it.
    pub device: Option<DeviceStatus>,
    /// `device.session.status` (`online` when connected), if the API sent it.
    pub session: Option<SessionStatus>,
}

impl DeviceState {
    /// The state of `device`.
    pub fn of(device: &Device) -> Self {
        Self {
            device: device.status.clone(),
            session: device.session.as_ref().and_then(|s| s.status.clone()),
        }
    }

    /// What this state means for someone waiting to use the device.
    pub fn readiness(&self) -> Readiness {
        use DeviceStatus as D;
        use SessionStatus as S;
        if let Some(status @ (D::Banned | D::Removed | D::Disabled | D::Unpaid | D::Invalid)) =
            &self.device
        {
            return Readiness::NeedsAction(RequiredAction::DeviceUnusable(status.clone()));
        }
        match &self.session {
            Some(S::Authorize | S::Authorizing | S::New) => {
                Readiness::NeedsAction(RequiredAction::LinkDevice)
            }
            Some(S::Conflict) => Readiness::NeedsAction(RequiredAction::ResolveConflict),
            Some(S::Blocked) => Readiness::NeedsAction(RequiredAction::Unblock),
            Some(S::Error) => Readiness::NeedsAction(RequiredAction::RecoverSession),
            Some(S::Online) if self.device == Some(D::Operative) => Readiness::Usable,
            _ => Readiness::Waiting,
        }
    }

    /// Whether the device can send and receive now.
    pub fn is_usable(&self) -> bool {
        self.readiness() == Readiness::Usable
    }
}

impl fmt::Display for DeviceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let device = self.device.as_ref().map_or("(none)", DeviceStatus::as_str);
        let session = self
            .session
            .as_ref()
            .map_or("(none)", SessionStatus::as_str);
        write!(f, "device `{device}`, session `{session}`")
    }
}

/// What a state means for someone waiting on the device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Operative and online.
    Usable,
    /// Only a person can move it on.
    NeedsAction(RequiredAction),
    /// It may still become usable by itself (loading, offline, syncing, or unknown).
    Waiting,
}

/// What a person has to do before the device becomes usable.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequiredAction {
    /// Link the phone: scan the QR code (`GET /devices/{id}/scan`) in WhatsApp > Linked
    /// devices, or request a pairing code.
    LinkDevice,
    /// WhatsApp is open in another place; close it there or reboot the session.
    ResolveConflict,
    /// WhatsApp blocked the number.
    Unblock,
    /// The session failed; reboot or reset it.
    RecoverSession,
    /// The number itself cannot be used in this status.
    DeviceUnusable(DeviceStatus),
}

impl fmt::Display for RequiredAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequiredAction::LinkDevice => f.write_str(
                "a QR scan is needed: open WhatsApp > Linked devices and scan the code that \
                 `SparkBot::api().scan_device_qr()` returns for this device, or request a pairing \
                 code with `request_device_auth_code()`",
            ),
            RequiredAction::ResolveConflict => f.write_str(
                "WhatsApp is open on another computer or browser: close it there, then sync \
                 again or reboot the session",
            ),
            RequiredAction::Unblock => {
                f.write_str("WhatsApp blocked this number: it must be resolved with WhatsApp")
            }
            RequiredAction::RecoverSession => {
                f.write_str("the session failed: reboot it, or reset it and scan the QR code again")
            }
            RequiredAction::DeviceUnusable(status) => match status {
                DeviceStatus::Unpaid => f.write_str("the number is unpaid: renew its subscription"),
                DeviceStatus::Disabled => {
                    f.write_str("the number is disabled: enable it in the SparkBot dashboard")
                }
                DeviceStatus::Banned => {
                    f.write_str("WhatsApp banned this number: it cannot be used")
                }
                DeviceStatus::Removed => f.write_str("the number was removed from the account"),
                other => write!(f, "the number is `{other}` and cannot be used"),
            },
        }
    }
}

/// One observed change of state, passed to the progress callback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncProgress {
    /// The device.
    pub device_id: String,
    /// The state now.
    pub state: DeviceState,
    /// The state before, `None` for the first reading.
    pub previous: Option<DeviceState>,
    /// Which poll saw it (1 for the first).
    pub poll: u32,
    /// Time since the wait started.
    pub elapsed: Duration,
}

/// Which step of a session sync was under way when it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SyncPhase {
    /// Resolving a phone number, alias or WhatsApp id to a device (`GET /devices`).
    FindingDevice,
    /// Asking the API to re-check the session (`GET /devices/{id}/sync`).
    Triggering,
    /// Reading the device (`GET /devices/{id}`): a read was in flight, or the last one failed.
    Reading,
    /// The reads succeeded, but the state was not usable yet.
    Waiting,
}

impl fmt::Display for SyncPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyncPhase::FindingDevice => "finding the device",
            SyncPhase::Triggering => "triggering the sync",
            SyncPhase::Reading => "reading the device",
            SyncPhase::Waiting => "waiting for a usable state",
        })
    }
}
