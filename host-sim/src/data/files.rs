//! Writing output files so that nothing is lost: every output is checked
//! before a run starts ([`check_output`]) and written through a temporary
//! file in the same folder and a rename ([`AtomicFile`], [`write_atomic`]),
//! so a reader never sees half a file and an interrupted write leaves the
//! old file as it was.
//!
//! Only regular files are replaced. A device, FIFO or socket (`/dev/null`,
//! `/dev/full`, a named pipe) is refused with an error instead of being
//! replaced by a regular file, and so is a folder. A symbolic link is
//! followed: the file it points to is written and the link stays a link.
//! A missing folder is an error, not created: a typo in an output path
//! fails before training instead of scattering files.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, Result, bail};

/// How many symbolic links [`destination`] follows before giving up (the
/// kernel's own limit for a path lookup).
const MAX_LINKS: usize = 40;

/// The file that writing `path` replaces: `path` itself, or for a symbolic
/// link the file at the end of its chain of links (which need not exist
/// yet). A relative link is read relative to the link's folder.
///
/// # Errors
/// If a link can't be read or the chain is longer than the kernel allows
/// (a loop).
pub fn destination(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = fs::read_link(&current)
                    .with_context(|| format!("cannot read the link {}", current.display()))?;
                current = match current.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(current),
        }
    }
    bail!(
        "{}: too many levels of symbolic links (a loop?)",
        path.display()
    )
}

/// Checks, before any work is done, that `path` can be written as
/// [`write_atomic`] writes it: its folder exists, is a folder and takes a
/// new file, and the path (or the file its link points to) is absent or a
/// regular file. `what` names the output in the message ("--checkpoint").
/// Returns the file that will be written ([`destination`]).
///
/// # Errors
/// A clear message naming `what` and the path: the folder is missing or
/// read-only, or the path is a folder, a device, a FIFO or a socket.
pub fn check_output(path: &Path, what: &str) -> Result<PathBuf> {
    let target = destination(path)?;
    let shown = if target == path {
        path.display().to_string()
    } else {
        format!("{} (a link to {})", path.display(), target.display())
    };
    match fs::metadata(&target) {
        Ok(meta) if meta.is_dir() => {
            bail!("{what} {shown} is a folder; give a file name inside it")
        }
        Ok(meta) if !meta.is_file() => bail!(
            "{what} {shown} is not a regular file (a device, FIFO or socket); \
             only regular files are written"
        ),
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => bail!("{what} {shown}: {e}"),
    }
    let dir = folder_of(&target);
    match fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => bail!("{what} {shown}: {} is not a folder", dir.display()),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            bail!(
                "{what} {shown}: the folder {} does not exist",
                dir.display()
            )
        }
        Err(e) => bail!("{what} {shown}: folder {}: {e}", dir.display()),
    }
    // Whether the folder takes a new file is only known by making one
    // (permissions, read-only mounts, ACLs): the probe is removed at once.
    let probe = temporary_name(&target);
    match File::options().write(true).create_new(true).open(&probe) {
        Ok(file) => {
            drop(file);
            let _ = fs::remove_file(&probe);
        }
        Err(e) => bail!(
            "{what} {shown}: cannot write in the folder {}: {e}",
            dir.display()
        ),
    }
    Ok(target)
}

/// A file being written: its bytes go to a temporary file next to the
/// destination, which [`AtomicFile::commit`] renames over it. Dropped
/// without a commit, the temporary file is removed and the destination is
/// untouched.
///
/// ```
/// use std::io::Write;
/// use microprop_sim::data::files::AtomicFile;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.txt");
/// let mut file = AtomicFile::create(&path)?;
/// file.file().write_all(b"weights")?;
/// assert!(!path.exists()); // nothing visible before the commit
/// file.commit()?;
/// assert_eq!(std::fs::read(&path)?, b"weights");
/// # Ok::<(), anyhow::Error>(())
/// ```
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    shown: PathBuf,
    temporary: PathBuf,
    file: Option<File>,
    committed: bool,
}

impl AtomicFile {
    /// Starts writing `path` (see [`check_output`] for what is refused).
    ///
    /// # Errors
    /// As [`check_output`], or if the temporary file can't be made.
    pub fn create(path: &Path) -> Result<Self> {
        let target = check_output(path, "output")?;
        let temporary = temporary_name(&target);
        let file = File::options()
            .write(true)
            .create_new(true)
            .open(&temporary)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        // A replaced file keeps its permissions.
        if let Ok(meta) = fs::metadata(&target) {
            let _ = fs::set_permissions(&temporary, meta.permissions());
        }
        Ok(AtomicFile {
            target,
            shown: path.to_path_buf(),
            temporary,
            file: Some(file),
            committed: false,
        })
    }

    /// The open temporary file, to write to.
    ///
    /// # Panics
    /// Never: the file is only closed by [`AtomicFile::commit`], which
    /// consumes `self`.
    pub fn file(&mut self) -> &mut File {
        self.file
            .as_mut()
            .expect("the temporary file is open until the commit")
    }

    /// The temporary file's path, for writers that open a path themselves
    /// (its extension is the destination's).
    pub fn temporary_path(&self) -> &Path {
        &self.temporary
    }

    /// Flushes the temporary file to disk and renames it over the
    /// destination.
    ///
    /// # Errors
    /// If the data can't be flushed or the rename fails (the destination
    /// is then as it was).
    pub fn commit(mut self) -> Result<()> {
        let shown = self.shown.display().to_string();
        if let Some(mut file) = self.file.take() {
            file.flush()
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {shown}"))?;
        }
        fs::rename(&self.temporary, &self.target)
            .with_context(|| format!("cannot write {shown}"))?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            self.file = None;
            let _ = fs::remove_file(&self.temporary);
        }
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename
/// ([`AtomicFile`]): a reader never sees half a file, only regular files
/// are replaced, and a symbolic link is written through to its target.
///
/// # Errors
/// If the path is refused ([`check_output`]) or the file can't be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.file()
        .write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.commit()
}

/// The folder a file is in (`.` for a bare file name).
fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A fresh hidden name next to `target` that keeps its extension (some
/// writers choose the format by it): `.<pid>-<n>.<file name>`.
fn temporary_name(target: &Path) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = target
        .file_name()
        .map_or_else(|| "output".into(), |n| n.to_string_lossy().into_owned());
    folder_of(target).join(format!(".{}-{n}.{name}", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    #[test]
    fn writes_replace_a_file_and_leave_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn an_uncommitted_file_leaves_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        write_atomic(&path, b"old").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        file.file().write_all(b"half").unwrap();
        drop(file);
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_link_is_written_through_and_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.bin");
        let link = dir.path().join("link.bin");
        write_atomic(&real, b"old").unwrap();
        std::os::unix::fs::symlink("real.bin", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling.bin");
        std::os::unix::fs::symlink("made.bin", &dangling).unwrap();
        write_atomic(&dangling, b"x").unwrap();
        assert_eq!(fs::read(dir.path().join("made.bin")).unwrap(), b"x");
    }

    #[test]
    fn specials_folders_and_missing_folders_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for (path, says) in [
            (PathBuf::from("/dev/null"), "not a regular file"),
            (dir.path().to_path_buf(), "is a folder"),
            (dir.path().join("no/such/file"), "does not exist"),
        ] {
            let err = write_atomic(&path, b"x").unwrap_err().to_string();
            assert!(err.contains(says), "{}: {err}", path.display());
        }
        // /dev/null is still the device it was.
        assert!(
            fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let looped = dir.path().join("loop");
        std::os::unix::fs::symlink("loop", &looped).unwrap();
        let err = check_output(&looped, "--out").unwrap_err().to_string();
        assert!(err.contains("too many levels"), "{err}");
    }
}
