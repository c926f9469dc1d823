//! The row type of [`OPERATIONS`](crate::OPERATIONS), the generated list of every operation.

/// The names of one operation of the spec, as `cargo xtask generate` wrote them into
/// [`OPERATIONS`](crate::OPERATIONS): the spec's `operationId`, the HTTP method and path it is
/// sent with, and the name of its method on [`Client`](crate::Client).
///
/// The method name is the one progenitor generated (generation fails when the two disagree; a
/// [`handwritten`](Self::handwritten) operation's method has the same form), and each row's
/// method is checked to exist when the crate compiles, so code that needs to name a client
/// method by its operation reads it here instead of deriving it again.
///
/// ```
/// let op = sparkbot_api::OPERATIONS
///     .iter()
///     .find(|op| op.operation_id == "listDevices")
///     .expect("the spec lists devices");
/// assert_eq!((op.method, op.path, op.method_name), ("GET", "/devices", "list_devices"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OperationName {
    /// The spec's `operationId` (`listDevices`).
    pub operation_id: &'static str,
    /// The upper-case HTTP method (`GET`).
    pub method: &'static str,
    /// The path template, relative to the API root (`/devices/{deviceId}`).
    pub path: &'static str,
    /// The method on [`Client`](crate::Client) that sends it (`list_devices`).
    pub method_name: &'static str,
    /// Left out of generation (`x-sparkbot-handwritten` in the spec): the method is written by
    /// hand in this crate, under the name progenitor would have given it.
    pub handwritten: bool,
}
