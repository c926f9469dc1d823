//! The integration tests of sparkbot-rs, as one test binary: each module is one area of the API
//! or one workflow. One binary links reqwest, httpmock, tokio and the generated client once,
//! instead of once per file.

mod bulk;
mod business_catalog;
mod campaigns;
mod channels;
mod chat_contacts;
mod chat_files;
mod chat_messages;
mod chats;
mod coverage;
mod delivery;
mod departments;
mod e2e_webhook;
mod error_attempts;
mod errors;
mod extras_client;
mod extras_media;
mod extras_phone;
mod extras_receiver;
mod extras_session;
mod extras_streams;
mod extras_subscribe;
mod extras_webhook;
mod files;
mod groups;
mod labels;
mod limits;
mod meeting_links;
mod messages;
mod numbers;
mod other;
mod pipeline;
mod queue;
mod quick_replies;
mod raw_request;
mod secrets;
mod session;
mod team;
mod testkit;
mod tolerance;
mod user_status;
mod webhooks;
mod whatsapp_profile;
