//! Atomic JSON files under `<storePathRootDir>/config/`.
//!
//! A file is written to `<name>.tmp`, synced, and renamed over the old one,
//! so a crash leaves either the old or the new content, never a torn file.
//! These are control-plane writes (a topic change, an offset flush every
//! few seconds) of small files; they run on the calling thread.

use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// A config file that could not be read, parsed or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PersistError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: invalid JSON: {source}")]
    Json {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// `<root>/config/<name>`.
pub fn config_path(root: &Path, name: &str) -> PathBuf {
    root.join("config").join(name)
}

/// Reads and parses `path`; `Ok(None)` when the file does not exist.
///
/// # Errors
/// Unreadable file or invalid JSON (never silently reset to defaults).
pub fn load_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, PersistError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(PersistError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|source| PersistError::Json {
            path: path.to_path_buf(),
            source,
        })
}

/// Writes `value` as pretty JSON to `path` atomically (temp file, fsync,
/// rename).
///
/// # Errors
/// Any I/O error, with the path.
pub fn store_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), PersistError> {
    let io = |source| PersistError::Io {
        path: path.to_path_buf(),
        source,
    };
    let text = serde_json::to_vec_pretty(value).map_err(|source| PersistError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let tmp = path.with_extension("json.tmp");
    let mut file = std::fs::File::create(&tmp).map_err(io)?;
    file.write_all(&text).map_err(io)?;
    file.sync_data().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_json_loads_back_and_missing_file_is_none() {
        let dir = std::env::temp_dir().join(format!("thrust-persist-{}", std::process::id()));
        let path = config_path(&dir, "x.json");
        assert!(load_json::<Vec<u32>>(&path).unwrap().is_none());
        store_json(&path, &vec![1u32, 2, 3]).unwrap();
        assert_eq!(load_json::<Vec<u32>>(&path).unwrap(), Some(vec![1, 2, 3]));
        std::fs::write(&path, "{not json").unwrap();
        assert!(load_json::<Vec<u32>>(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
