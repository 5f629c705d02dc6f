//! Publishing a run: the lock that keeps two runs apart, the staging directory, the
//! generations and the link renamed over the outputs path, and the hashes and times a run
//! records.

use super::manifest::RUN_MANIFEST;
use super::pipeline_error::PipelineError;
use crate::error::{Context, Result};
use crate::files::hex128;
use std::io::Read;
use std::path::{Path, PathBuf};

const LOCK: &str = "lock";

/// The outputs directory's lock: an exclusive OS lock (`flock`) on `.urval-run.lock`,
/// held while the run lasts and released by the OS when the process ends, however it ends,
/// so a run that died leaves no lock to take over and two runs can never both hold it. The
/// file holds the holder's PID, for the message of a run that is refused; it is left in
/// place (removing it would let a run lock an unlinked file while another locks a new one).
pub(super) struct Lock(#[allow(dead_code)] std::fs::File);

impl Lock {
    pub(super) fn take(dir: &Path) -> Result<Lock> {
        let path = dir.join(LOCK);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .with_context(|| format!("cannot create the lock {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(PipelineError::Locked {
                    holder: lock_holder(&std::fs::read_to_string(&path).unwrap_or_default())
                        .to_string(),
                    lock: path,
                }
                .into());
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
        use std::io::{Seek, Write};
        file.set_len(0)?;
        file.seek(std::io::SeekFrom::Start(0))?;
        file.write_all(std::process::id().to_string().as_bytes())?;
        file.flush()?;
        Ok(Lock(file))
    }
}

/// The holder of the lock as its file names it: `pid 4711`, or `pid unknown` when the file
/// is empty (the holder has locked it but not yet written its PID), unreadable or holds
/// anything but a number.
fn lock_holder(text: &str) -> String {
    match text.trim().parse::<u32>() {
        Ok(pid) => format!("pid {pid}"),
        Err(_) => "pid unknown".to_string(),
    }
}

/// A generation directory being written: removed when dropped before [`Staging::keep`],
/// so that a run that fails (a full disk, an unreadable input) leaves no partial
/// generation behind to fill the disk.
pub(super) struct Staging {
    pub(super) path: PathBuf,
    pub(super) kept: bool,
}

impl Staging {
    /// The generation has been published: leave it.
    pub(super) fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.kept {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// The generations of one outputs path: `link` (the outputs path, a symbolic link) and
/// `dir` (`.NAME.generations` beside it, one numbered directory per run).
pub(super) struct Generations {
    pub(super) link: PathBuf,
    pub(super) dir: PathBuf,
}

impl Generations {
    /// The generations of `outputs`, which must be a link made by an earlier run, or not
    /// exist, or be an empty directory (removed).
    pub(super) fn open(outputs: &Path) -> Result<Generations> {
        let link = std::path::absolute(outputs)
            .with_context(|| format!("cannot resolve the path {}", outputs.display()))?;
        let (Some(parent), Some(name)) = (link.parent(), link.file_name()) else {
            return Err(PipelineError::NotAnOutputsPath {
                outputs: outputs.to_path_buf(),
            }
            .into());
        };
        if !parent.is_dir() {
            return Err(PipelineError::NoOutputsParent {
                parent: parent.to_path_buf(),
            }
            .into());
        }
        let link = parent.join(name);
        match std::fs::symlink_metadata(&link) {
            Ok(m) if m.file_type().is_symlink() => {}
            Ok(m) if m.is_dir() => {
                let empty = std::fs::read_dir(&link)
                    .with_context(|| format!("cannot read {}", link.display()))?
                    .next()
                    .is_none();
                if !empty && link.join(RUN_MANIFEST).is_file() {
                    // The outputs of a urval run from before generations: they become
                    // generation 0 (moved, then linked; a kill between the two is mended
                    // below by the next run).
                    let dir = generations_dir(parent, name);
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("cannot create {}", dir.display()))?;
                    std::fs::rename(&link, dir.join("0")).with_context(|| {
                        format!("cannot move {} into {}", link.display(), dir.display())
                    })?;
                } else if !empty {
                    return Err(PipelineError::ForeignOutputs {
                        generations: PathBuf::from(format!(
                            ".{}.generations",
                            name.to_string_lossy()
                        )),
                        link,
                    }
                    .into());
                }
                if empty {
                    std::fs::remove_dir(&link)
                        .with_context(|| format!("cannot replace {}", link.display()))?;
                }
            }
            Ok(_) => return Err(PipelineError::OutputsIsAFile { link }.into()),
            Err(_) => {}
        }
        let dir = generations_dir(parent, name);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let g = Generations { link, dir };
        if std::fs::symlink_metadata(&g.link).is_err() && g.dir.join("0").is_dir() {
            g.publish(&g.dir.join("0"))?;
        }
        Ok(g)
    }

    /// The generation the link names, if any.
    pub(super) fn current(&self) -> Option<u64> {
        let target = std::fs::read_link(&self.link).ok()?;
        target.file_name()?.to_str()?.parse().ok()
    }

    /// The numbered generation directories.
    pub(super) fn numbered(&self) -> Result<Vec<u64>> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(&self.dir)
            .with_context(|| format!("cannot read {}", self.dir.display()))?
        {
            let e = e?;
            if let Some(n) = e.file_name().to_str().and_then(|n| n.parse::<u64>().ok()) {
                v.push(n);
            }
        }
        v.sort_unstable();
        Ok(v)
    }

    /// A new, empty generation directory (under the lock): generations left by killed
    /// runs (never linked) are removed first.
    pub(super) fn begin(&self) -> Result<PathBuf> {
        let current = self.current();
        let all = self.numbered()?;
        for &n in &all {
            if Some(n) < current.map(|c| c.saturating_sub(1)) || n > current.unwrap_or(0) {
                let _ = std::fs::remove_dir_all(self.dir.join(n.to_string()));
            }
        }
        let next = all
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
            .max(current.unwrap_or(0))
            + 1;
        let path = self.dir.join(next.to_string());
        std::fs::create_dir(&path)
            .with_context(|| format!("cannot write in {}", self.dir.display()))?;
        Ok(path)
    }

    /// Make `generation` the outputs: its files are synced, a link to it is made under a
    /// temporary name and renamed over the outputs path (atomic), then generations older
    /// than the previous one are removed.
    pub(super) fn publish(&self, generation: &Path) -> Result<()> {
        for e in std::fs::read_dir(generation)? {
            let p = e?.path();
            if p.is_file() {
                std::fs::File::open(&p)?.sync_all()?;
            }
        }
        if let Ok(d) = std::fs::File::open(generation) {
            let _ = d.sync_all();
        }
        let name = generation
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir_name = self
            .dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = Path::new(&dir_name).join(&name);
        let tmp = self.dir.join("link.tmp");
        let _ = std::fs::remove_file(&tmp);
        // The temporary link lives in the generations directory but is resolved from the
        // outputs path's directory after the rename, so it points one level up.
        symlink(&target, &tmp)
            .with_context(|| format!("cannot make the link {}", tmp.display()))?;
        if let Err(e) = std::fs::rename(&tmp, &self.link) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e).with_context(|| format!("cannot publish {}", self.link.display()));
        }
        if let Some(parent) = self.link.parent() {
            if let Ok(d) = std::fs::File::open(parent) {
                let _ = d.sync_all();
            }
        }
        // Published: from here on nothing may fail (the caller would remove the generation
        // the outputs path now names); old generations left now go at the next run.
        let now: u64 = name.parse().unwrap_or(0);
        for n in self.numbered().unwrap_or_default() {
            if n + 1 < now {
                let _ = std::fs::remove_dir_all(self.dir.join(n.to_string()));
            }
        }
        Ok(())
    }
}

/// `.NAME.generations` beside the outputs path `parent/NAME`.
fn generations_dir(parent: &Path, name: &std::ffi::OsStr) -> PathBuf {
    parent.join(format!(".{}.generations", name.to_string_lossy()))
}

/// XXH3-128 of a file, streamed.
pub(super) fn stream_hash(path: &Path) -> Result<String> {
    let mut f =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex128(h.digest128()))
}

/// The newest modification time (seconds since 1970) of the given files.
pub(super) fn newest_mtime(paths: &[PathBuf]) -> i64 {
    paths
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok()?.modified().ok())
        .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64)
        .max()
        .unwrap_or(0)
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_holder_is_named_or_said_unknown() {
        assert_eq!(lock_holder("4711"), "pid 4711");
        assert_eq!(lock_holder(" 4711\n"), "pid 4711");
        assert_eq!(lock_holder(""), "pid unknown");
        assert_eq!(lock_holder("x\u{0}"), "pid unknown");
    }
}
