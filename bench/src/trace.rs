//! The process-wide tracing subscriber: a `fmt` subscriber writing to a sink, with a level that
//! the benchmarks switch between `INFO` (the SDK's `debug` spans disabled, but a subscriber
//! installed, as in a real service) and `DEBUG` (every SDK span and event formatted).

use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Registry, fmt, reload};

/// Handle to the installed subscriber's level.
#[derive(Clone, Debug)]
pub struct Tracing {
    level: reload::Handle<LevelFilter, Registry>,
}

impl Tracing {
    /// Installs the subscriber at `INFO` as the global default.
    pub fn install() -> Result<Self, String> {
        let (filter, level) = reload::Layer::new(LevelFilter::INFO);
        let subscriber = Registry::default()
            .with(filter)
            .with(fmt::layer().with_writer(std::io::sink));
        tracing::subscriber::set_global_default(subscriber).map_err(|e| e.to_string())?;
        Ok(Self { level })
    }

    /// Switches the level; callsite interest is rebuilt, outside any timed section.
    pub fn set_debug(&self, debug: bool) {
        let level = if debug {
            LevelFilter::DEBUG
        } else {
            LevelFilter::INFO
        };
        if let Err(e) = self.level.reload(level) {
            eprintln!("tracing: cannot change the level: {e}");
        }
    }
}
