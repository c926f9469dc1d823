//! Webhooks (placeholder, filled in next).
