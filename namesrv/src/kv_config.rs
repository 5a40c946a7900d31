//! KV configuration (REMOTING.md §4.6): namespace → key → value, kept in a
//! JSON file across restarts.
//!
//! The file has Java's `kvConfig.json` shape,
//! `{"configTable":{"ORDER_TOPIC_CONFIG":{"TopicA":"broker-a:4"}}}`, so a
//! file from an Apache name server can be reused. Writes are atomic: the
//! whole table goes to `<file>.tmp`, which is fsynced and renamed over the
//! file, then the directory is fsynced. [`KvConfig`] itself is pure; the
//! caller runs [`persist`] (blocking) off the reactor.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The namespace whose entries have protocol meaning: topic →
/// `brokerName:queueNum[;brokerName:queueNum...]`.
pub const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

/// Why the KV file cannot be loaded or saved.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KvError {
    #[error("cannot read KV config {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("KV config {path} is not valid JSON: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("cannot write KV config {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// The table as stored on disk.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KvConfig {
    #[serde(rename = "configTable", default)]
    table: BTreeMap<String, BTreeMap<String, String>>,
}

impl KvConfig {
    /// Sets `namespace`/`key` to `value`; `true` if that changed anything.
    pub fn put(&mut self, namespace: &str, key: &str, value: &str) -> bool {
        let entries = self.table.entry(namespace.to_owned()).or_default();
        let old = entries.insert(key.to_owned(), value.to_owned());
        old.as_deref() != Some(value)
    }

    /// The value of `namespace`/`key`.
    pub fn get(&self, namespace: &str, key: &str) -> Option<&str> {
        self.table.get(namespace)?.get(key).map(String::as_str)
    }

    /// Removes `namespace`/`key`; `true` if it existed. An emptied
    /// namespace is removed too.
    pub fn delete(&mut self, namespace: &str, key: &str) -> bool {
        let Some(entries) = self.table.get_mut(namespace) else {
            return false;
        };
        let removed = entries.remove(key).is_some();
        if entries.is_empty() {
            self.table.remove(namespace);
        }
        removed
    }

    /// Every entry of `namespace`, or `None` if it has none.
    pub fn namespace(&self, namespace: &str) -> Option<&BTreeMap<String, String>> {
        self.table
            .get(namespace)
            .filter(|entries| !entries.is_empty())
    }

    /// The table as the file's JSON text.
    pub fn to_json(&self) -> String {
        // Serialising string maps cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads the file; a missing file is an empty table.
    ///
    /// # Errors
    /// [`KvError::Read`] or [`KvError::Parse`].
    pub fn load(path: &Path) -> Result<Self, KvError> {
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(KvError::Read {
                    path: path.to_owned(),
                    source,
                })
            }
        };
        if text.trim().is_empty() {
            return Ok(Self::default());
        }
        serde_json::from_str(&text).map_err(|source| KvError::Parse {
            path: path.to_owned(),
            source,
        })
    }
}

/// Atomically replaces the file at `path` with `json` (blocking: run it on
/// glommio's blocking pool). Creates the directory if needed.
///
/// # Errors
/// [`KvError::Write`] with the failing step's cause; the old file is then
/// intact.
pub fn persist(path: &Path, json: &str) -> Result<(), KvError> {
    let write_err = |source| KvError::Write {
        path: path.to_owned(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(write_err)?;
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    let mut file = File::create(&tmp).map_err(write_err)?;
    file.write_all(json.as_bytes()).map_err(write_err)?;
    file.sync_all().map_err(write_err)?;
    drop(file);
    fs::rename(&tmp, path).map_err(write_err)?;
    File::open(&dir)
        .and_then(|dir| dir.sync_all())
        .map_err(write_err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_delete_and_list_by_namespace() {
        let mut kv = KvConfig::default();
        assert!(kv.put("ns", "k", "v"));
        assert!(!kv.put("ns", "k", "v"));
        assert_eq!(kv.get("ns", "k"), Some("v"));
        assert_eq!(kv.namespace("ns").map(BTreeMap::len), Some(1));
        assert!(kv.delete("ns", "k"));
        assert!(!kv.delete("ns", "k"));
        assert!(kv.namespace("ns").is_none());
    }

    #[test]
    fn persisted_table_loads_back_in_java_shape() {
        let dir = std::env::temp_dir().join(format!("thrust-kv-{}", std::process::id()));
        let path = dir.join("sub").join("kvConfig.json");
        let mut kv = KvConfig::default();
        kv.put(ORDER_TOPIC_CONFIG, "T", "broker-a:4");
        persist(&path, &kv.to_json()).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"configTable\""), "{text}");
        assert_eq!(KvConfig::load(&path).unwrap(), kv);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_file_is_an_empty_table() {
        let path = Path::new("/nonexistent-thrust/kvConfig.json");
        assert_eq!(KvConfig::load(path).unwrap(), KvConfig::default());
    }
}
