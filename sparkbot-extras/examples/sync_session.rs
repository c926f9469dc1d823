//! Syncs one device's WhatsApp session and waits until it can send, printing each change.
//!
//! ```text
//! cargo run -p sparkbot-extras --example sync_session -- <device id | phone | alias>
//! ```
//!
//! Reads `SPARKBOT_API_KEY` and `SPARKBOT_BASE_URL`. With no key it runs against an in-process
//! SparkBot double (devices `sales`, `support`, `new-phone`), so you can watch the whole flow
//! with no account. Exit status: 0 usable; 2 a person must act (QR scan, conflict…); 3 device
//! not found; 4 not usable in time; 1 anything else.

use std::process::ExitCode;
use std::time::Duration;

use sparkbot_extras::sparkbot_api::{ApiKey, ClientConfig};
use sparkbot_extras::{Error, SparkBot};
use sparkbot_testkit::Simulator;

#[tokio::main]
async fn main() -> ExitCode {
    let key = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "sales".to_owned());
    let demo = std::env::var("SPARKBOT_API_KEY").map_or(true, |k| k.trim().is_empty());
    let bot = if demo {
        let sim = match Simulator::try_start().await {
            Ok(sim) => sim.leak(),
            Err(e) => {
                eprintln!("error: cannot start the demo double: {e}");
                return ExitCode::FAILURE;
            }
        };
        let root = sim.base_url();
        println!("No SPARKBOT_API_KEY set: using the in-process SparkBot double at {root}");
        println!("(devices: sales, support, new-phone)\n");
        ApiKey::new(sim.api_key())
            .and_then(|key| ClientConfig::new(root, key).build())
            .map(SparkBot::new)
            .map_err(Error::from)
    } else {
        SparkBot::from_env()
    };
    let bot = match bot {
        Ok(bot) => bot,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The double changes state within seconds; a real session can take a minute.
    let (min, max, timeout) = if demo {
        (
            Duration::from_millis(200),
            Duration::from_millis(500),
            Duration::from_secs(15),
        )
    } else {
        (
            Duration::from_secs(1),
            Duration::from_secs(5),
            Duration::from_secs(90),
        )
    };
    println!("Syncing the session of {key:?}…");
    let result = bot
        .sync_session(key.as_str())
        .min_interval(min)
        .max_interval(max)
        .timeout(timeout)
        .on_change(|p| println!("  {:>5.1}s  {}", p.elapsed.as_secs_f64(), p.state))
        .execute()
        .await;
    match result {
        Ok(device) => {
            println!(
                "\nready: {} ({}) is operative and online",
                device.alias.as_deref().unwrap_or("(no alias)"),
                device.phone.as_deref().unwrap_or("no phone"),
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("\nerror: {e}");
            ExitCode::from(match e {
                Error::SessionNeedsAction { .. } => 2,
                Error::DeviceNotFound { .. } | Error::AmbiguousDevice { .. } => 3,
                Error::SessionTimedOut { .. } => 4,
                _ => 1,
            })
        }
    }
}
