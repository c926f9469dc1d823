//! Build and generation: shells out to cargo in a scratch copy of the workspace, so no tracked
//! file is touched and the cold build really starts from an empty target directory.
//!
//! - `cargo xtask generate` (full: renders and writes) and `cargo xtask generate --check`
//!   (renders everything, writes nothing) on the full spec, in the copy: xtask is built untimed
//!   in the shared target directory, then its binary is run directly.
//! - lines of generated code, and whether regeneration was byte-identical.
//! - cold `cargo build -p sparkbot-api` (dev profile) in a fresh target directory; then the
//!   crate alone (`cargo clean -p sparkbot-api`, dependencies warm); then the incremental
//!   rebuild after touching `generated.rs`; then a no-op build.
//! - proof that a change in sparkbot-extras does not rebuild sparkbot-api: touch an extras
//!   source file, `cargo build -p sparkbot-extras -v`, and show cargo's own lines for both crates.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use crate::stats::{self, Table};

/// Where to work.
#[derive(Clone, Debug)]
pub struct Options {
    /// The workspace to copy.
    pub workspace: PathBuf,
    /// Keep the scratch copy afterwards (its path is printed).
    pub keep: bool,
    /// Skip the cold build (the slow part), for a quick look at the rest.
    pub skip_cold: bool,
}

/// The workspace this binary was built from.
pub fn default_workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A finished command: how long it took and what it printed.
struct Timed {
    elapsed: Duration,
    stderr: String,
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Runs `cargo args…` in `dir` with `target` as the target directory; an error names the
/// command and shows the end of its output.
fn run_cargo(dir: &Path, target: &Path, args: &[&str]) -> Result<Timed, String> {
    let started = Instant::now();
    let output = Command::new(cargo())
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .map_err(|e| format!("cannot run cargo {}: {e}", args.join(" ")))?;
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.status.success() {
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "cargo {} failed ({}):\n{}",
            args.join(" "),
            output.status,
            tail.join("\n")
        ));
    }
    Ok(Timed { elapsed, stderr })
}

/// Copies the workspace's files (not `.git`, not `target`) into `to`.
fn copy_tree(from: &Path, to: &Path, top: bool) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if top && (name == OsStr::new(".git") || name == OsStr::new("target")) {
            continue;
        }
        let kind = entry.file_type()?;
        let dest = to.join(&name);
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest, false)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

fn touch(path: &Path) -> Result<(), String> {
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(SystemTime::now()))
        .map_err(|e| format!("cannot touch {}: {e}", path.display()))
}

fn lines(path: &Path) -> Result<usize, String> {
    fs::read_to_string(path)
        .map(|s| s.lines().count())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// Builds xtask for the copy `ws` in `target` and copies the binary into the copy, so a
/// concurrent build in a shared target directory cannot replace it while it is timed.
fn build_xtask(ws: &Path, target: &Path) -> Result<PathBuf, String> {
    let output = Command::new(cargo())
        .args(["build", "--locked", "-p", "xtask", "--message-format=json"])
        .current_dir(ws)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .map_err(|e| format!("cannot run cargo build -p xtask: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo build -p xtask failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let executable = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "xtask")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or("cargo reported no xtask executable")?;
    let copy = ws.join("xtask-bin");
    fs::copy(&executable, &copy)
        .map_err(|e| format!("cannot copy {}: {e}", executable.display()))?;
    Ok(copy)
}

/// Median wall time of `n` runs of the xtask binary on the copy `ws`.
fn median_run(n: usize, xtask: &Path, ws: &Path, args: &[&str]) -> Result<Duration, String> {
    let mut times = Vec::new();
    for _ in 0..n {
        let started = Instant::now();
        let output = Command::new(xtask)
            .args(args)
            .current_dir(ws)
            // xtask finds the workspace root from this variable, as under `cargo run`.
            .env("CARGO_MANIFEST_DIR", ws.join("xtask"))
            .output()
            .map_err(|e| format!("cannot run xtask: {e}"))?;
        times.push(started.elapsed().as_secs_f64());
        if !output.status.success() {
            return Err(format!(
                "xtask {} failed: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    Ok(Duration::from_secs_f64(
        stats::median(&times).unwrap_or(0.0),
    ))
}

/// Median wall time of `n` runs of a cargo command.
fn median_of(n: usize, dir: &Path, target: &Path, args: &[&str]) -> Result<Duration, String> {
    let mut times = Vec::new();
    for _ in 0..n {
        times.push(run_cargo(dir, target, args)?.elapsed.as_secs_f64());
    }
    Ok(Duration::from_secs_f64(
        stats::median(&times).unwrap_or(0.0),
    ))
}

/// Runs the build benchmarks and returns the table plus the proof's evidence.
pub fn run(options: &Options) -> Result<String, String> {
    let scratch = std::env::temp_dir().join(format!("sparkbot-bench-build-{}", std::process::id()));
    if scratch.exists() {
        fs::remove_dir_all(&scratch)
            .map_err(|e| format!("cannot clear {}: {e}", scratch.display()))?;
    }
    copy_tree(&options.workspace, &scratch, true)
        .map_err(|e| format!("cannot copy the workspace to {}: {e}", scratch.display()))?;
    let result = measure(&scratch, options);
    if options.keep {
        eprintln!("build: scratch copy kept at {}", scratch.display());
    } else if let Err(e) = fs::remove_dir_all(&scratch) {
        eprintln!("build: cannot remove {}: {e}", scratch.display());
    }
    result
}

fn measure(ws: &Path, options: &Options) -> Result<String, String> {
    let mut table = Table::new(&["measurement", "value", "notes"]);
    let shared = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| options.workspace.join("target"));

    // Generation. xtask is built (untimed) in the shared target directory, copied out, and run
    // directly: through `cargo xtask`, the time would include waiting for the shared target
    // directory's lock while other builds run.
    let generated = ws.join("sparkbot-api/src/generated.rs");
    let mock = ws.join("sparkbot-testkit/src/generated_mock.rs");
    let before = (fs::read(&generated).ok(), fs::read(&mock).ok());
    let xtask = build_xtask(ws, &shared)?;
    let generate = median_run(3, &xtask, ws, &["generate"])?;
    let identical = before == (fs::read(&generated).ok(), fs::read(&mock).ok());
    let check = median_run(3, &xtask, ws, &["generate", "--check"])?;
    table.row(vec![
        "`cargo xtask generate` (full spec: renders and writes both files)".into(),
        secs(generate),
        format!(
            "median of 3, the prebuilt xtask binary run directly (add ~0.1 s for `cargo run`); \
             output byte-identical to the checked-in files: {}",
            if identical { "yes" } else { "NO" }
        ),
    ]);
    table.row(vec![
        "`cargo xtask generate --check` (renders everything, writes nothing)".into(),
        secs(check),
        "median of 3, same binary".into(),
    ]);
    table.row(vec![
        "generated lines: sparkbot-api/src/generated.rs".into(),
        lines(&generated)?.to_string(),
        "the client and its types".into(),
    ]);
    table.row(vec![
        "generated lines: sparkbot-testkit/src/generated_mock.rs".into(),
        lines(&mock)?.to_string(),
        "typed httpmock helpers".into(),
    ]);

    // Builds in a fresh target directory of the copy.
    let cold_target = ws.join("target-cold");
    let build_api = ["build", "--locked", "-p", "sparkbot-api"];
    if !options.skip_cold {
        let load = load_average();
        let cold = run_cargo(ws, &cold_target, &build_api)?;
        table.row(vec![
            "cold `cargo build -p sparkbot-api` (dev profile, empty target dir)".into(),
            secs(cold.elapsed),
            format!(
                "every dependency compiled too; {} units; load average {load} before",
                cold.stderr.matches("Compiling ").count()
            ),
        ]);
    } else {
        run_cargo(ws, &cold_target, &build_api)?;
    }
    run_cargo(ws, &cold_target, &["clean", "-q", "-p", "sparkbot-api"])?;
    let alone = run_cargo(ws, &cold_target, &build_api)?;
    table.row(vec![
        "sparkbot-api alone from scratch (dependencies built)".into(),
        secs(alone.elapsed),
        "after `cargo clean -p sparkbot-api`".into(),
    ]);
    touch(&ws.join("sparkbot-api/src/generated.rs"))?;
    let incremental = run_cargo(ws, &cold_target, &build_api)?;
    table.row(vec![
        "incremental rebuild after touching generated.rs".into(),
        secs(incremental.elapsed),
        "dev profile, incremental compilation on".into(),
    ]);
    let noop = median_of(3, ws, &cold_target, &build_api)?;
    table.row(vec![
        "no-op build".into(),
        secs(noop),
        "cargo's fingerprint check only".into(),
    ]);

    // The proof: an extras change leaves sparkbot-api fresh.
    run_cargo(
        ws,
        &cold_target,
        &["build", "--locked", "-p", "sparkbot-extras"],
    )?;
    let extras_src = ws.join("sparkbot-extras/src/lib.rs");
    touch(&extras_src)?;
    let proof = run_cargo(
        ws,
        &cold_target,
        &["build", "--locked", "-v", "-p", "sparkbot-extras"],
    )?;
    let evidence: Vec<&str> = proof
        .stderr
        .lines()
        .map(str::trim)
        .filter(|l| {
            (l.starts_with("Fresh") || l.starts_with("Compiling") || l.starts_with("Dirty"))
                && (l.contains("sparkbot-api") || l.contains("sparkbot-extras"))
        })
        .collect();
    let api_fresh = evidence.iter().any(|l| l.starts_with("Fresh sparkbot-api"));
    let api_rebuilt = evidence
        .iter()
        .any(|l| l.starts_with("Compiling sparkbot-api"));
    let extras_rebuilt = evidence
        .iter()
        .any(|l| l.starts_with("Compiling sparkbot-extras"));
    table.row(vec![
        "touch sparkbot-extras/src/lib.rs, then `cargo build -p sparkbot-extras -v`".into(),
        secs(proof.elapsed),
        format!(
            "sparkbot-extras recompiled: {}; sparkbot-api Fresh: {}; sparkbot-api recompiled: {}",
            yes(extras_rebuilt),
            yes(api_fresh),
            yes(api_rebuilt)
        ),
    ]);

    let mut out = table.render();
    out.push_str("\ncargo's lines for the two crates in that last build:\n\n```text\n");
    for line in &evidence {
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("```\n");
    if api_rebuilt || !api_fresh {
        return Err(format!(
            "{out}\nsparkbot-api was rebuilt by a change in sparkbot-extras"
        ));
    }
    Ok(out)
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}
