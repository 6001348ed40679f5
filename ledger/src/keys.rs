//! Secret key files: created with O_EXCL and mode 0600, refused when others can read them.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use igl_schema::{PublicKey, SigningKey, public_key};
use zeroize::Zeroizing;

const HEADER: &str = "igl-secret-key-v1:";

/// Problems with a key file. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error(
        "{path}: already exists; igl never overwrites a key (choose another path or remove the old file yourself)"
    )]
    Exists { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: readable by group or others (mode {mode:04o}); run `chmod 600 {path}`")]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("{path}: not an igl secret key file (expected a line starting `{HEADER}`)")]
    Malformed { path: PathBuf },
    #[error("could not read randomness from the operating system: {0}")]
    Random(String),
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], KeyFileError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(buf)
}

/// Generates a new key and writes it to `path` (which must not exist), mode 0600.
pub fn create(path: &Path) -> Result<SigningKey, KeyFileError> {
    let seed = Zeroizing::new(random_bytes::<32>()?);
    let key = SigningKey::from_bytes(&seed);
    write_new(path, &key)?;
    Ok(key)
}

/// Writes `key` to a new file at `path` (O_EXCL, mode 0600).
pub fn write_new(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyFileError::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                io(e)
            }
        })?;
    let text = Zeroizing::new(format!(
        "# igl ed25519 secret key. Keep it private: whoever holds it can sign as its owner.\n\
         # public key: {}\n{HEADER}{}\n",
        public_key(key),
        hex::encode(key.to_bytes())
    ));
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

/// Loads a secret key, refusing files that group or others can read.
pub fn load(path: &Path) -> Result<SigningKey, KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let meta = fs::metadata(path).map_err(io)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    let text = Zeroizing::new(fs::read_to_string(path).map_err(io)?);
    let malformed = || KeyFileError::Malformed {
        path: path.to_path_buf(),
    };
    let line = text
        .lines()
        .find_map(|l| l.trim().strip_prefix(HEADER))
        .ok_or_else(malformed)?;
    let mut seed = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(line.trim(), seed.as_mut()).map_err(|_| malformed())?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Loads only the public half of a key file (same checks as [`load`]).
pub fn load_public(path: &Path) -> Result<PublicKey, KeyFileError> {
    load(path).map(|k| public_key(&k))
}
