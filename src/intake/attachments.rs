//! Attachment files, stored once by content (sha256) under the configured
//! directory. A file is complete before any row points at it.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct AttachmentStore {
    dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Stored {
    pub sha256: String,
    /// Path relative to the store's directory.
    pub relative_path: String,
}

impl AttachmentStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        AttachmentStore { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `bytes` to a temporary file, syncs it and renames it into
    /// place, so a crash never leaves a half-written attachment.
    pub async fn save(&self, bytes: &[u8]) -> std::io::Result<Stored> {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let relative_path = format!("{}/{}/{sha256}", &sha256[..2], &sha256[2..4]);
        let path = self.dir.join(&relative_path);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(Stored {
                sha256,
                relative_path,
            });
        }
        let parent = path.parent().expect("attachment path has a parent");
        tokio::fs::create_dir_all(parent).await?;
        let tmp = parent.join(format!(".{sha256}.{}.tmp", uuid::Uuid::new_v4().simple()));
        {
            use tokio::io::AsyncWriteExt;
            let mut file = tokio::fs::File::create(&tmp).await?;
            file.write_all(bytes).await?;
            file.sync_all().await?;
        }
        tokio::fs::rename(&tmp, &path).await?;
        Ok(Stored {
            sha256,
            relative_path,
        })
    }

    pub async fn read(&self, relative_path: &str) -> std::io::Result<Vec<u8>> {
        if relative_path.contains("..") {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "bad path",
            ));
        }
        tokio::fs::read(self.dir.join(relative_path)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_bytes_are_stored_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = AttachmentStore::new(dir.path());
        let a = store.save(b"foto").await.unwrap();
        let b = store.save(b"foto").await.unwrap();
        assert_eq!(a.relative_path, b.relative_path);
        assert_eq!(store.read(&a.relative_path).await.unwrap(), b"foto");
        assert!(store.read("../etc/passwd").await.is_err());
    }
}
