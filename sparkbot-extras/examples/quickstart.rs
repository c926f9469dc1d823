//! The whole flow in one file: list the devices, find one, sync its session, send a text.
//!
//! ```text
//! cargo run -p sparkbot-extras --example quickstart -- [device] [recipient phone]
//! ```
//!
//! Reads `SPARKBOT_API_KEY` and `SPARKBOT_BASE_URL`. With no key it runs against an in-process
//! SparkBot double, so nothing is sent anywhere. With a key, a message is sent only when a
//! recipient is given.

use std::time::Duration;

use futures::TryStreamExt;
use sparkbot_extras::sparkbot_api::{ApiKey, ClientConfig};
use sparkbot_extras::{DeviceFilter, SparkBot};
use sparkbot_testkit::Simulator;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let device_key = args.next().unwrap_or_else(|| "sales".to_owned());
    let recipient = args.next();
    let demo = std::env::var("SPARKBOT_API_KEY").map_or(true, |k| k.trim().is_empty());
    let bot = if demo {
        let sim = Simulator::try_start().await?.leak();
        let root = sim.base_url();
        println!("No SPARKBOT_API_KEY set: using the in-process SparkBot double at {root}\n");
        SparkBot::new(ClientConfig::new(root, ApiKey::new(sim.api_key())?).build()?)
    } else {
        SparkBot::from_env()?.with_device_cache(Duration::from_secs(60))
    };

    // 1. List every device, page by page.
    println!("Devices:");
    let mut devices = bot.devices_stream(DeviceFilter::all());
    while let Some(device) = devices.try_next().await? {
        let state = sparkbot_extras::DeviceState::of(&device);
        println!(
            "  {}  {:<14} {:<10} {}",
            device.id.as_deref().unwrap_or("?"),
            device.phone.as_deref().unwrap_or("?"),
            device.alias.as_deref().unwrap_or(""),
            state
        );
    }

    // 2. Find one by id, phone (any format) or alias.
    let device = bot.find_device(device_key.as_str()).await?;
    let id = device.id.clone().unwrap_or_default();
    println!("\nFound {device_key:?}: {id}");

    // 3. Sync its session and wait until it can send.
    let (min, max) = if demo {
        (Duration::from_millis(200), Duration::from_millis(500))
    } else {
        (Duration::from_secs(1), Duration::from_secs(5))
    };
    println!("Syncing its session…");
    bot.sync_session(id.as_str())
        .min_interval(min)
        .max_interval(max)
        .timeout(Duration::from_secs(60))
        .on_change(|p| println!("  {:>5.1}s  {}", p.elapsed.as_secs_f64(), p.state))
        .execute()
        .await?;

    // 4. Send a text.
    let to = match (recipient, demo) {
        (Some(to), _) => to,
        (None, true) => "+34 600 000 000".to_owned(),
        (None, false) => {
            println!("\nReady. Pass a recipient phone as the second argument to send a text.");
            return Ok(());
        }
    };
    let message = bot
        .send_text(id.as_str(), &to, "Hello from sparkbot-rs")
        .await?;
    println!(
        "\nSent to {}: message {} is {}",
        message.phone.as_deref().unwrap_or(&to),
        message.id.as_deref().unwrap_or("?"),
        message.status.as_ref().map_or("?", |s| s.as_str())
    );
    Ok(())
}
