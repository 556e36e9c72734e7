//! A daemon's state file: versioned JSON in its state directory, written durably. Every
//! save goes to `<name>.tmp`, is fsynced, renamed over `<name>`, and the directory is
//! fsynced, so a crash leaves either the old or the new state, never a torn one. A corrupt
//! file, or one of a newer version, is refused rather than reset: the state is what keeps
//! a restarted daemon from submitting twice.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// One JSON state file in a directory.
#[derive(Clone, Debug)]
pub struct StateFile {
    dir: PathBuf,
    name: String,
}

/// A state with a version number (checked when read).
pub trait Versioned {
    /// The version this build writes and reads.
    const VERSION: u32;
    fn version(&self) -> u32;
}

impl StateFile {
    /// `dir/name`; the directory is created.
    pub fn open(dir: &Path, name: &str) -> anyhow::Result<StateFile> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating state dir {}", dir.display()))?;
        Ok(StateFile {
            dir: dir.into(),
            name: name.into(),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    /// Reads the state; a missing file is `None`. `what` names the state in errors.
    pub fn load<T: DeserializeOwned + Versioned>(&self, what: &str) -> anyhow::Result<Option<T>> {
        let path = self.path();
        match std::fs::read(&path) {
            Ok(bytes) => {
                let s: T = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{}: not a {what}", path.display()))?;
                anyhow::ensure!(
                    s.version() == T::VERSION,
                    "{}: state version {}, this worker reads {}",
                    path.display(),
                    s.version(),
                    T::VERSION
                );
                Ok(Some(s))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes `state` durably: temp file, fsync, rename, fsync of the directory.
    pub fn save<T: Serialize>(&self, state: &T) -> anyhow::Result<()> {
        write_durably(&self.path(), &serde_json::to_vec_pretty(state)?)
    }

    /// [`save`](Self::save), a failure logged rather than returned (the daemon's next save
    /// retries); `what` names the state in the log ("provider state").
    pub fn save_or_log<T: Serialize>(&self, state: &T, what: &str) {
        if let Err(e) = self.save(state) {
            tracing::error!(error = %crate::one_line(&e), "could not write the {what}");
        }
    }
}

/// Writes `bytes` to `path` durably: `<path>.tmp`, fsync, rename, fsync of the directory.
pub fn write_durably(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    // A bare file name's parent is "": the current directory.
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f =
        std::fs::File::create(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} into place", tmp.display()))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_file_name_is_written_in_the_current_directory() {
        let name = format!("write-durably-{}.bin", std::process::id());
        let cwd = std::env::current_dir().unwrap();
        // Relative to the current directory, as a CLI flag would be given.
        let rel = PathBuf::from(&name);
        let abs = cwd.join(&name);
        let r = write_durably(&rel, b"x");
        let _ = std::fs::remove_file(&abs);
        r.unwrap();
    }

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct S {
        version: u32,
        n: u64,
    }
    impl Versioned for S {
        const VERSION: u32 = 1;
        fn version(&self) -> u32 {
            self.version
        }
    }

    #[test]
    fn a_saved_state_survives_a_torn_temp_file_and_a_newer_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = StateFile::open(&dir.path().join("d"), "state.json").unwrap();
        assert_eq!(f.load::<S>("state").unwrap(), None);
        f.save(&S { version: 1, n: 7 }).unwrap();
        std::fs::write(f.dir().join("state.json.tmp"), b"{torn").unwrap();
        assert_eq!(f.load::<S>("state").unwrap(), Some(S { version: 1, n: 7 }));
        f.save(&S { version: 2, n: 7 }).unwrap();
        let e = f.load::<S>("state").unwrap_err().to_string();
        assert!(e.contains("state version 2"), "{e}");
        std::fs::write(f.path(), b"{").unwrap();
        assert!(f.load::<S>("state").is_err());
    }
}
