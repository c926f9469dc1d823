//! What a batch remembers between runs: which references it started and which it finished.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The last thing a journal knows of one reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// The send was about to go out: it may or may not have reached the server.
    Started,
    /// The server has the message, with this id (empty when it gave none).
    Sent(String),
    /// The send failed plainly (the server did not take it).
    Failed,
}

/// Where a batch keeps its progress, so that a rerun after a crash sends nobody twice.
///
/// `Started` is recorded before a send goes out and must be durable by then; `Sent` and
/// `Failed` after it ends. On a rerun, a `Sent` reference is skipped without a request, a
/// `Started` one is looked up on the server first (one `GET`), and the rest are sent.
pub trait Journal: Send + Sync {
    /// Every reference the journal knows, with its last entry.
    fn load(&self) -> std::io::Result<HashMap<String, Entry>>;
    /// Records `entry` for `reference`.
    fn record(&self, reference: &str, entry: &Entry) -> std::io::Result<()>;
}

/// A journal in memory: a rerun in the same process (or a test) resumes from it.
#[derive(Debug, Default)]
pub struct MemoryJournal {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Journal for MemoryJournal {
    fn load(&self) -> std::io::Result<HashMap<String, Entry>> {
        Ok(self
            .entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone())
    }

    fn record(&self, reference: &str, entry: &Entry) -> std::io::Result<()> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(reference.to_owned(), entry.clone());
        Ok(())
    }
}

/// A journal in an append-only text file, one line per entry (`started <ref>`,
/// `sent <ref> <id>`, `failed <ref>`). A `started` line is synced to disk before its send goes
/// out, so even a machine that loses power does not forget a message that may have left.
#[derive(Debug)]
pub struct FileJournal {
    path: PathBuf,
    file: Mutex<File>,
}

impl FileJournal {
    /// Opens (or creates) the journal at `path`.
    pub fn open(path: impl AsRef<Path>) -> std::io::Result<Self> {
        let path = path.as_ref().to_owned();
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)?;
        // A crash may have cut the last line short: start the next one on a line of its own.
        if ends_mid_line(&mut file)? {
            file.write_all(b"\n")?;
        }
        Ok(Self {
            path,
            file: Mutex::new(file),
        })
    }

    /// Where the journal is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn ends_mid_line(file: &mut File) -> std::io::Result<bool> {
    use std::io::{Read, Seek, SeekFrom};
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    file.seek(SeekFrom::End(-1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

impl Journal for FileJournal {
    fn load(&self) -> std::io::Result<HashMap<String, Entry>> {
        let mut entries = HashMap::new();
        for line in BufReader::new(File::open(&self.path)?).lines() {
            // A line cut short by a crash is ignored; the entry before it stands.
            let line = line?;
            let mut words = line.split(' ');
            let (Some(kind), Some(reference)) = (words.next(), words.next()) else {
                continue;
            };
            let entry = match kind {
                "started" => Entry::Started,
                "sent" => Entry::Sent(words.next().unwrap_or_default().to_owned()),
                "failed" => Entry::Failed,
                _ => continue,
            };
            entries.insert(reference.to_owned(), entry);
        }
        Ok(entries)
    }

    fn record(&self, reference: &str, entry: &Entry) -> std::io::Result<()> {
        let line = match entry {
            Entry::Started => format!("started {reference}\n"),
            Entry::Sent(id) => format!("sent {reference} {id}\n"),
            Entry::Failed => format!("failed {reference}\n"),
        };
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        file.write_all(line.as_bytes())?;
        if *entry == Entry::Started {
            file.sync_data()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_journal_reads_back_the_last_entry_of_each_reference() {
        let dir = std::env::temp_dir().join(format!("sb-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("batch.journal");
        let _ = std::fs::remove_file(&path);
        let journal = FileJournal::open(&path).unwrap();
        journal.record("a", &Entry::Started).unwrap();
        journal.record("a", &Entry::Sent("m1".into())).unwrap();
        journal.record("b", &Entry::Started).unwrap();
        journal.record("c", &Entry::Failed).unwrap();
        drop(journal);
        // A crash mid-line leaves a fragment, which is skipped.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"sen")
            .unwrap();
        let reopened = FileJournal::open(&path).unwrap();
        reopened.record("d", &Entry::Started).unwrap();
        let entries = reopened.load().unwrap();
        assert_eq!(entries["a"], Entry::Sent("m1".into()));
        assert_eq!(entries["d"], Entry::Started, "written on a line of its own");
        assert_eq!(entries["b"], Entry::Started);
        assert_eq!(entries["c"], Entry::Failed);
        assert_eq!(entries.len(), 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
