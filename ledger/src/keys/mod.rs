//! Secret key files: created with O_EXCL and mode 0600, refused when others can read them, and
//! optionally encrypted with a passphrase (argon2id + XChaCha20-Poly1305).
//!
//! Two formats, told apart by the header of their one key line (`#` lines are comments):
//!
//! ```text
//! igl-secret-key-v1:<seed, 64 hex>
//! igl-secret-key-v2:<public key, 64 hex>:argon2id:m=65536,t=3,p=1:<salt, 32 hex>:xchacha20poly1305:<nonce, 48 hex>:<ciphertext, 96 hex>
//! ```
//!
//! In v2 the 32-byte ed25519 seed is encrypted with XChaCha20-Poly1305 under a key derived from
//! the passphrase by argon2id (version 0x13, 32-byte output) with the memory (KiB), time and
//! lanes stored in the line and a random 16-byte salt; the nonce is random (24 bytes). The
//! associated data is the line up to and including the `:` before the ciphertext, so the public
//! key, the KDF parameters, the salt and the nonce cannot be changed without the decryption
//! failing. The ciphertext is the encrypted seed followed by the 16-byte tag.
//!
//! This module never asks for a passphrase: [`KeyFile::unlock`] takes a function that supplies one
//! (the binary's reads `--passphrase-file`, `IGL_PASSPHRASE` or the terminal), called only when
//! the file is encrypted.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use igl_schema::{PublicKey, SigningKey, public_key};
use zeroize::Zeroizing;

mod write;

pub use write::*;

const HEADER: &str = "igl-secret-key-v1:";
const HEADER_V2: &str = "igl-secret-key-v2:";
const KDF_NAME: &str = "argon2id";
const AEAD_NAME: &str = "xchacha20poly1305";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;
const SEED_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// The shortest passphrase igl accepts when encrypting a key.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

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
    #[error(
        "{path}: not an igl secret key file (expected a line starting `{HEADER}` or `{HEADER_V2}`)"
    )]
    Malformed { path: PathBuf },
    #[error(
        "{path}: damaged encrypted key file: {what} (restore it from a backup; the key cannot be recovered without it)"
    )]
    Damaged { path: PathBuf, what: String },
    #[error(
        "{path}: encrypted with a passphrase; give it with --passphrase-file FILE or IGL_PASSPHRASE, or run on a terminal to be asked"
    )]
    Encrypted { path: PathBuf },
    #[error("{path}: wrong passphrase or damaged key file")]
    WrongPassphrase { path: PathBuf },
    /// Encrypting it again is refused; changing its passphrase is another operation.
    #[error("{path}: already encrypted with a passphrase")]
    AlreadyEncrypted { path: PathBuf },
    #[error("{path}: not encrypted; nothing to decrypt")]
    NotEncrypted { path: PathBuf },
    #[error(
        "passphrase too short: use at least {MIN_PASSPHRASE_CHARS} characters (a few random words are best); nothing was written"
    )]
    WeakPassphrase,
    #[error("{path}: the passphrase file is empty (the passphrase is its first line)")]
    EmptyPassphraseFile { path: PathBuf },
    #[error("invalid KDF parameters {given:?}: {why}")]
    KdfParams { given: String, why: String },
    #[error("could not read randomness from the operating system: {0}")]
    Random(String),
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], KeyFileError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(buf)
}

/// argon2id cost parameters, stored in every encrypted key file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// The parameters of every key file igl encrypts: 64 MiB, 3 passes, 1 lane (RFC 9106's
    /// second recommended option with one lane, since the derivation runs on one thread; about
    /// three times OWASP's minimum of 19 MiB and 2 passes). A fraction of a second per unlock.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };

    /// The most memory a key file may ask for (1 GiB): a larger figure is a damaged file.
    pub const MAX_M_KIB: u32 = 1024 * 1024;
    const MAX_T: u32 = 64;
    const MAX_P: u32 = 16;

    /// Parses `m=65536,t=3,p=1` (the form stored in the file).
    pub fn parse(s: &str) -> Result<KdfParams, KeyFileError> {
        let bad = |why: &str| KeyFileError::KdfParams {
            given: s.to_string(),
            why: why.to_string(),
        };
        let mut it = s.split(',');
        let mut field = |name: &str| -> Result<u32, KeyFileError> {
            let part = it
                .next()
                .ok_or_else(|| bad("expected m=KIB,t=PASSES,p=LANES"))?;
            let v = part
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('='))
                .ok_or_else(|| bad("expected m=KIB,t=PASSES,p=LANES"))?;
            if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) || v.len() > 10 {
                return Err(bad("each value must be a decimal number"));
            }
            v.parse().map_err(|_| bad("each value must fit in 32 bits"))
        };
        let (m_kib, t, p) = (field("m")?, field("t")?, field("p")?);
        if it.next().is_some() {
            return Err(bad("expected m=KIB,t=PASSES,p=LANES"));
        }
        let params = KdfParams { m_kib, t, p };
        params.check().map_err(|why| bad(&why))?;
        Ok(params)
    }

    fn check(&self) -> Result<(), String> {
        if !(1..=Self::MAX_P).contains(&self.p) {
            return Err(format!("p must be 1 to {}", Self::MAX_P));
        }
        if !(1..=Self::MAX_T).contains(&self.t) {
            return Err(format!("t must be 1 to {}", Self::MAX_T));
        }
        if self.m_kib < 8 * self.p || self.m_kib > Self::MAX_M_KIB {
            return Err(format!(
                "m must be from 8×p to {} KiB (1 GiB)",
                Self::MAX_M_KIB
            ));
        }
        Ok(())
    }

    fn derive(&self, passphrase: &[u8], salt: &[u8]) -> Result<Zeroizing<[u8; 32]>, String> {
        let params =
            argon2::Params::new(self.m_kib, self.t, self.p, Some(32)).map_err(|e| e.to_string())?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(passphrase, salt, out.as_mut())
            .map_err(|e| e.to_string())?;
        Ok(out)
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for KdfParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={},t={},p={}", self.m_kib, self.t, self.p)
    }
}

/// How a key file protects its secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// `igl-secret-key-v1`: the seed in hex; only the file's mode protects it.
    Plain,
    /// `igl-secret-key-v2`: encrypted under a passphrase.
    Passphrase(KdfParams),
}

impl fmt::Display for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protection::Plain => write!(f, "none (plain text, protected only by the file's mode)"),
            Protection::Passphrase(p) => write!(
                f,
                "passphrase (argon2id m={} KiB, t={}, p={}; XChaCha20-Poly1305)",
                p.m_kib, p.t, p.p
            ),
        }
    }
}

/// A key file as read from disk, before any passphrase is asked for.
pub struct KeyFile {
    path: PathBuf,
    inner: Inner,
}

enum Inner {
    Plain(SigningKey),
    Sealed(Sealed),
}

struct Sealed {
    public: PublicKey,
    params: KdfParams,
    salt: [u8; SALT_LEN],
    nonce: [u8; NONCE_LEN],
    ciphertext: [u8; SEED_LEN + TAG_LEN],
    /// The line up to and including the `:` before the ciphertext: the associated data.
    aad: String,
}

impl KeyFile {
    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How the file protects its key.
    pub fn protection(&self) -> Protection {
        match &self.inner {
            Inner::Plain(_) => Protection::Plain,
            Inner::Sealed(s) => Protection::Passphrase(s.params),
        }
    }

    /// Whether unlocking needs a passphrase.
    pub fn is_encrypted(&self) -> bool {
        matches!(self.inner, Inner::Sealed(_))
    }

    /// The secret key. `passphrase` is called only when the file is encrypted; a wrong one (or a
    /// changed byte anywhere in the key line) is [`KeyFileError::WrongPassphrase`].
    pub fn unlock<E: From<KeyFileError>>(
        &self,
        passphrase: impl FnOnce() -> Result<Zeroizing<String>, E>,
    ) -> Result<SigningKey, E> {
        match &self.inner {
            Inner::Plain(k) => Ok(k.clone()),
            Inner::Sealed(s) => {
                let pass = passphrase()?;
                Ok(self.open(s, pass.as_bytes())?)
            }
        }
    }

    fn open(&self, s: &Sealed, passphrase: &[u8]) -> Result<SigningKey, KeyFileError> {
        let wrong = || KeyFileError::WrongPassphrase {
            path: self.path.clone(),
        };
        let key = s
            .params
            .derive(passphrase, &s.salt)
            .map_err(|what| KeyFileError::Damaged {
                path: self.path.clone(),
                what,
            })?;
        let cipher = XChaCha20Poly1305::new_from_slice(key.as_ref()).map_err(|_| wrong())?;
        let seed = Zeroizing::new(
            cipher
                .decrypt(
                    &XNonce::from(s.nonce),
                    Payload {
                        msg: &s.ciphertext,
                        aad: s.aad.as_bytes(),
                    },
                )
                .map_err(|_| wrong())?,
        );
        let seed: Zeroizing<[u8; SEED_LEN]> =
            Zeroizing::new(seed.as_slice().try_into().map_err(|_| wrong())?);
        let key = SigningKey::from_bytes(&seed);
        if public_key(&key) != s.public {
            // Authenticated, so only a file made to mislead gets here.
            return Err(KeyFileError::Damaged {
                path: self.path.clone(),
                what: "the decrypted key does not match the public key in the file".into(),
            });
        }
        Ok(key)
    }
}

fn too_open(path: &Path) -> Result<(), KeyFileError> {
    let meta = fs::metadata(path).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// Reads a key file, refusing files that group or others can read. Asks for nothing.
pub fn read(path: &Path) -> Result<KeyFile, KeyFileError> {
    too_open(path)?;
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })?);
    parse(path, &text)
}

/// Parses the text of a key file (`path` is only for messages).
pub fn parse(path: &Path, text: &str) -> Result<KeyFile, KeyFileError> {
    let malformed = || KeyFileError::Malformed {
        path: path.to_path_buf(),
    };
    let damaged = |what: &str| KeyFileError::Damaged {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    for line in text.lines().map(str::trim) {
        if let Some(hex_seed) = line.strip_prefix(HEADER) {
            let mut seed = Zeroizing::new([0u8; SEED_LEN]);
            hex::decode_to_slice(hex_seed.trim(), seed.as_mut()).map_err(|_| malformed())?;
            return Ok(KeyFile {
                path: path.to_path_buf(),
                inner: Inner::Plain(SigningKey::from_bytes(&seed)),
            });
        }
        if let Some(rest) = line.strip_prefix(HEADER_V2) {
            let parts: Vec<&str> = rest.split(':').collect();
            let [pk, kdf, params, salt, aead, nonce, ct] = parts[..] else {
                return Err(damaged(
                    "expected public key, KDF, parameters, salt, cipher, nonce and ciphertext",
                ));
            };
            if kdf != KDF_NAME || aead != AEAD_NAME {
                return Err(damaged(&format!(
                    "unknown algorithms {kdf}/{aead} (expected {KDF_NAME}/{AEAD_NAME})"
                )));
            }
            let public = PublicKey::from_hex(pk).map_err(|_| damaged("bad public key"))?;
            let params = KdfParams::parse(params).map_err(|e| damaged(&e.to_string()))?;
            let mut sealed = Sealed {
                public,
                params,
                salt: [0; SALT_LEN],
                nonce: [0; NONCE_LEN],
                ciphertext: [0; SEED_LEN + TAG_LEN],
                aad: line[..line.len() - ct.len()].to_string(),
            };
            hex::decode_to_slice(salt, &mut sealed.salt).map_err(|_| damaged("bad salt"))?;
            hex::decode_to_slice(nonce, &mut sealed.nonce).map_err(|_| damaged("bad nonce"))?;
            hex::decode_to_slice(ct, &mut sealed.ciphertext)
                .map_err(|_| damaged("bad ciphertext"))?;
            return Ok(KeyFile {
                path: path.to_path_buf(),
                inner: Inner::Sealed(sealed),
            });
        }
    }
    Err(malformed())
}

/// Loads an unencrypted secret key, refusing files that group or others can read. An encrypted
/// file is [`KeyFileError::Encrypted`]: use [`read`] and [`KeyFile::unlock`].
pub fn load(path: &Path) -> Result<SigningKey, KeyFileError> {
    read(path)?.unlock(|| {
        Err(KeyFileError::Encrypted {
            path: path.to_path_buf(),
        })
    })
}

/// Refuses a passphrase too short to protect a key.
pub fn check_new_passphrase(passphrase: &str) -> Result<(), KeyFileError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeyFileError::WeakPassphrase);
    }
    Ok(())
}

/// Reads a passphrase from the first line of `path` (without its line ending), refusing a file
/// that group or others can read, like a key file.
pub fn read_passphrase_file(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    too_open(path)?;
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })?);
    let first = text.split('\n').next().unwrap_or("");
    let first = first.strip_suffix('\r').unwrap_or(first);
    if first.is_empty() {
        return Err(KeyFileError::EmptyPassphraseFile {
            path: path.to_path_buf(),
        });
    }
    Ok(Zeroizing::new(first.to_string()))
}

#[cfg(test)]
mod tests;
