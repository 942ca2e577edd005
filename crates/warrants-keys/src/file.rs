//! Keys from a directory: one file per key id.
//!
//! `<dir>/<key_id>` (optionally with an extension such as `.key`) holds the
//! seed as base64url/base64 text or 32 raw bytes. On Unix the file (after
//! following symlinks, as Kubernetes secret mounts use them) must not be
//! readable or writable by others nor writable by its group: mode `0600`
//! or `0400` (`0640`/`0440` for a group-shared mount) pass, the usual
//! `0644` is refused with [`Error::Permissions`] before the file is read.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use warrants::SigningKey;
use zeroize::Zeroizing;

use crate::seed::parse_seed_bytes;
use crate::{check_key_id, Error, KeyResolver};

/// Largest key file read (a seed is at most ~90 bytes of text).
const MAX_FILE_BYTES: u64 = 4096;

/// Permission bits a key file must not have: group write, other read/write/exec.
pub const FORBIDDEN_MODE_BITS: u32 = 0o027;

/// Resolves keys from files in one directory.
#[derive(Clone)]
pub struct FileResolver {
    dir: PathBuf,
    extension: Option<String>,
}

impl FileResolver {
    /// Keys are `<dir>/<key_id>`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            extension: None,
        }
    }

    /// Keys are `<dir>/<key_id>.<ext>` (e.g. `key`).
    pub fn with_extension(mut self, ext: impl Into<String>) -> Self {
        self.extension = Some(ext.into());
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path for `key_id` (after the id is checked).
    pub fn path_for(&self, key_id: &str) -> Result<PathBuf, Error> {
        check_key_id(key_id)?;
        Ok(match &self.extension {
            Some(ext) => self.dir.join(format!("{key_id}.{ext}")),
            None => self.dir.join(key_id),
        })
    }

    /// Read the raw bytes of the key file for `key_id`, checking its mode.
    /// Used by this resolver and by envelope decryption, whose ciphertext
    /// may live in a file.
    pub fn read_blob(&self, key_id: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        let path = self.path_for(key_id)?;
        let shown = path.display().to_string();
        let not_found = || Error::NotFound {
            key_id: key_id.to_string(),
            source_name: format!("file {shown}"),
        };
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
            Err(e) => {
                return Err(Error::Backend {
                    backend: "file",
                    message: format!("{shown}: {}", e.kind()),
                })
            }
        };
        let meta = file.metadata().map_err(|e| Error::Backend {
            backend: "file",
            message: format!("{shown}: {}", e.kind()),
        })?;
        if !meta.is_file() {
            return Err(not_found());
        }
        check_mode(&meta, &shown)?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(Error::Malformed {
                key_id: key_id.to_string(),
                location: format!("file {shown}"),
                reason: "larger than 4096 bytes",
            });
        }
        let mut buf = Zeroizing::new(Vec::with_capacity(128));
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::Backend {
                backend: "file",
                message: format!("{shown}: {}", e.kind()),
            })?;
        Ok(buf)
    }

    /// The key for `key_id`, synchronously.
    pub fn resolve_now(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        let bytes = self.read_blob(key_id)?;
        parse_seed_bytes(&bytes)
            .map(Arc::new)
            .map_err(|reason| Error::Malformed {
                key_id: key_id.to_string(),
                location: format!(
                    "file {}",
                    self.path_for(key_id).unwrap_or_default().display()
                ),
                reason,
            })
    }
}

#[cfg(unix)]
fn check_mode(meta: &std::fs::Metadata, shown: &str) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & FORBIDDEN_MODE_BITS != 0 {
        return Err(Error::Permissions {
            path: shown.to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_meta: &std::fs::Metadata, _shown: &str) -> Result<(), Error> {
    Ok(())
}

impl fmt::Debug for FileResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileResolver")
            .field("dir", &self.dir)
            .field("extension", &self.extension)
            .finish()
    }
}

#[async_trait]
impl KeyResolver for FileResolver {
    fn name(&self) -> &str {
        "file"
    }

    async fn resolve(&self, key_id: &str) -> Result<Arc<SigningKey>, Error> {
        let this = self.clone();
        let id = key_id.to_string();
        // Small blocking read; keep it off the async worker threads.
        match tokio::task::spawn_blocking(move || this.resolve_now(&id)).await {
            Ok(r) => r,
            Err(_) => Err(Error::Backend {
                backend: "file",
                message: "read task failed".into(),
            }),
        }
    }
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::seed::URL_SAFE;
    use base64::Engine;
    use std::os::unix::fs::PermissionsExt;

    fn write(dir: &Path, name: &str, bytes: &[u8], mode: u32) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        p
    }

    #[tokio::test]
    async fn text_raw_and_extension() {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "a", URL_SAFE.encode([1; 32]).as_bytes(), 0o600);
        write(d.path(), "b", &[2; 32], 0o400);
        write(
            d.path(),
            "c.key",
            format!("{}\n", URL_SAFE.encode([3; 32])).as_bytes(),
            0o640,
        );
        let r = FileResolver::new(d.path());
        assert_eq!(
            r.resolve("a").await.unwrap().public_key(),
            SigningKey::from_seed(&[1; 32]).public_key()
        );
        assert_eq!(
            r.resolve("b").await.unwrap().public_key(),
            SigningKey::from_seed(&[2; 32]).public_key()
        );
        let r = r.with_extension("key");
        assert_eq!(
            r.resolve("c").await.unwrap().public_key(),
            SigningKey::from_seed(&[3; 32]).public_key()
        );
    }

    #[tokio::test]
    async fn refuses_world_readable_and_group_writable() {
        let d = tempfile::tempdir().unwrap();
        for (name, mode) in [("w", 0o644), ("g", 0o660), ("o", 0o602), ("x", 0o601)] {
            let p = write(d.path(), name, URL_SAFE.encode([1; 32]).as_bytes(), mode);
            let e = FileResolver::new(d.path()).resolve(name).await.unwrap_err();
            assert_eq!(e.code(), "KEY_FILE_PERMISSIONS", "{name}");
            assert_eq!(
                e.to_string(),
                format!(
                    "key file {} has mode {mode:04o}; it must not be readable or writable by others nor writable by its group (chmod 600)",
                    p.display()
                )
            );
        }
    }

    #[tokio::test]
    async fn follows_symlinks_and_checks_the_target() {
        let d = tempfile::tempdir().unwrap();
        let target = write(d.path(), "real", URL_SAFE.encode([4; 32]).as_bytes(), 0o600);
        std::os::unix::fs::symlink(&target, d.path().join("linked")).unwrap();
        let r = FileResolver::new(d.path());
        assert!(r.resolve("linked").await.is_ok());
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            r.resolve("linked").await.unwrap_err().code(),
            "KEY_FILE_PERMISSIONS"
        );
    }

    #[tokio::test]
    async fn missing_malformed_traversal_and_directories() {
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("keys");
        std::fs::create_dir(&sub).unwrap();
        write(
            d.path(),
            "outside",
            URL_SAFE.encode([5; 32]).as_bytes(),
            0o600,
        );
        write(&sub, "bad", b"SECRET-garbage", 0o600);
        write(&sub, "huge", &[b'A'; 5000], 0o600);
        std::fs::create_dir(sub.join("dir")).unwrap();
        let r = FileResolver::new(&sub);
        assert_eq!(r.resolve("nope").await.unwrap_err().code(), "KEY_NOT_FOUND");
        assert_eq!(r.resolve("dir").await.unwrap_err().code(), "KEY_NOT_FOUND");
        let e = r.resolve("bad").await.unwrap_err();
        assert_eq!(e.code(), "KEY_MALFORMED");
        assert!(e.to_string().contains("keys/bad"), "{e}");
        assert!(!e.to_string().contains("SECRET"));
        assert_eq!(r.resolve("huge").await.unwrap_err().code(), "KEY_MALFORMED");
        // The file one level up cannot be reached through the id.
        for id in ["../outside", "..", "/etc/passwd", "keys/../outside"] {
            assert_eq!(
                r.resolve(id).await.unwrap_err().code(),
                "KEY_ID_INVALID",
                "{id}"
            );
        }
    }
}
