//! Sends one text message and prints its id.
//!
//! ```text
//! cargo run -p sparkbot-extras --example send_text -- <device id|phone|alias> <phone> <text>
//! ```
//!
//! Reads `SPARKBOT_API_KEY` and `SPARKBOT_BASE_URL` and uses the client's defaults. With no key
//! it runs against an in-process SparkBot double (devices `sales`, `support`, `new-phone`), so
//! nothing is sent anywhere.
//!
//! Output and exit status, for scripts:
//! - 0: the message id on stdout, alone on its line.
//! - 1: the request failed and the message was **not** sent; the error on stderr.
//! - 2: wrong arguments; usage on stderr.
//! - 3: the outcome is unknown (a timeout, a dropped connection, a 5xx): the message **may
//!   have been sent**; stderr says so. Look it up before sending again.

use std::process::ExitCode;

use sparkbot_extras::sparkbot_api::{ApiKey, ClientConfig};
use sparkbot_extras::{Error, SparkBot};
use sparkbot_testkit::Simulator;

const USAGE: &str = "usage: send_text <device id|phone|alias> <phone> <text>";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [device, phone, text] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let bot = match connect().await {
        Ok(bot) => bot,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match bot.send_text(device.as_str(), phone, text).await {
        Ok(message) => {
            println!("{}", message.id.as_deref().unwrap_or("(no id returned)"));
            ExitCode::SUCCESS
        }
        Err(e) if e.is_outcome_unknown() => {
            eprintln!("error: {e}");
            eprintln!(
                "the message MAY HAVE BEEN SENT: check the outbound messages before sending again"
            );
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("error: {e}");
            eprintln!("the message was not sent");
            ExitCode::FAILURE
        }
    }
}

/// The real API when a key is set, the in-process double otherwise.
async fn connect() -> Result<SparkBot, Error> {
    let demo = std::env::var("SPARKBOT_API_KEY").map_or(true, |k| k.trim().is_empty());
    if !demo {
        return SparkBot::from_env();
    }
    let sim = Simulator::try_start()
        .await
        .map_err(|e| Error::Other(format!("cannot start the demo double: {e}")))?
        .leak();
    let root = sim.base_url();
    eprintln!("No SPARKBOT_API_KEY set: using the in-process SparkBot double at {root}");
    Ok(SparkBot::new(
        ClientConfig::new(root, ApiKey::new(sim.api_key())?).build()?,
    ))
}
