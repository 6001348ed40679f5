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

/// What to protect a key with when writing it.
pub enum Protect<'a> {
    /// Plain text (`igl-secret-key-v1`).
    Plain,
    /// Encrypted under this passphrase with these parameters (`igl-secret-key-v2`).
    Passphrase(&'a str, KdfParams),
}

/// The text of a key file.
fn render(key: &SigningKey, protect: &Protect<'_>) -> Result<Zeroizing<String>, KeyFileError> {
    let pk = public_key(key);
    match protect {
        Protect::Plain => {
            let seed = Zeroizing::new(key.to_bytes());
            let seed_hex = Zeroizing::new(hex::encode(seed.as_ref()));
            Ok(Zeroizing::new(format!(
                "# igl ed25519 secret key. Keep it private: whoever holds it can sign as its owner.\n\
                 # public key: {pk}\n{HEADER}{}\n",
                seed_hex.as_str()
            )))
        }
        Protect::Passphrase(passphrase, params) => {
            check_new_passphrase(passphrase)?;
            params.check().map_err(|why| KeyFileError::KdfParams {
                given: params.to_string(),
                why,
            })?;
            let salt = random_bytes::<SALT_LEN>()?;
            let nonce = random_bytes::<NONCE_LEN>()?;
            let aad = format!(
                "{HEADER_V2}{}:{KDF_NAME}:{params}:{}:{AEAD_NAME}:{}:",
                pk.to_hex(),
                hex::encode(salt),
                hex::encode(nonce)
            );
            let derived = params.derive(passphrase.as_bytes(), &salt).map_err(|why| {
                KeyFileError::KdfParams {
                    given: params.to_string(),
                    why,
                }
            })?;
            let cipher = XChaCha20Poly1305::new_from_slice(derived.as_ref())
                .expect("a 32-byte key is the right length");
            let seed = Zeroizing::new(key.to_bytes());
            let ct = cipher
                .encrypt(
                    &XNonce::from(nonce),
                    Payload {
                        msg: seed.as_ref(),
                        aad: aad.as_bytes(),
                    },
                )
                .expect("encrypting 32 bytes cannot fail");
            Ok(Zeroizing::new(format!(
                "# igl ed25519 secret key, encrypted with a passphrase (argon2id, XChaCha20-Poly1305).\n\
                 # Keep it private all the same: whoever holds it and the passphrase can sign as its owner.\n\
                 # public key: {pk}\n{aad}{}\n",
                hex::encode(ct)
            )))
        }
    }
}

fn create_exclusive(path: &Path) -> Result<File, KeyFileError> {
    OpenOptions::new()
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
                KeyFileError::Io {
                    path: path.to_path_buf(),
                    source: e,
                }
            }
        })
}

fn write_all_synced(f: &mut File, path: &Path, text: &str) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    f.write_all(text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)
}

/// Generates a new key and writes it to `path` (which must not exist), mode 0600.
pub fn create(path: &Path) -> Result<SigningKey, KeyFileError> {
    create_protected(path, &Protect::Plain)
}

/// Generates a new key and writes it to `path` (which must not exist), mode 0600, protected as
/// asked.
pub fn create_protected(path: &Path, protect: &Protect<'_>) -> Result<SigningKey, KeyFileError> {
    let seed = Zeroizing::new(random_bytes::<32>()?);
    let key = SigningKey::from_bytes(&seed);
    write_new_protected(path, &key, protect)?;
    Ok(key)
}

/// Writes `key` to a new file at `path` (O_EXCL, mode 0600).
pub fn write_new(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    write_new_protected(path, key, &Protect::Plain)
}

/// Writes `key` to a new file at `path` (O_EXCL, mode 0600), protected as asked. The text is
/// made (and the passphrase checked) before the file is created.
pub fn write_new_protected(
    path: &Path,
    key: &SigningKey,
    protect: &Protect<'_>,
) -> Result<(), KeyFileError> {
    let text = render(key, protect)?;
    let mut f = create_exclusive(path)?;
    if let Err(e) = write_all_synced(&mut f, path, &text) {
        drop(f);
        let _ = fs::remove_file(path);
        return Err(e);
    }
    Ok(())
}

/// Rewrites the key file `file` was read from with the same key under a new protection,
/// atomically: the new text goes to a temporary file (O_EXCL, mode 0600) beside it, is synced,
/// and is renamed over the old one, so the file is at every instant either the old one or the
/// new one, and the secret is never in a file others can read.
pub fn replace(
    file: &KeyFile,
    key: &SigningKey,
    protect: &Protect<'_>,
) -> Result<(), KeyFileError> {
    let path = file.path();
    let text = render(key, protect)?;
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| KeyFileError::Malformed {
            path: path.to_path_buf(),
        })?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(
        ".{name}.{}.igl-tmp",
        hex::encode(random_bytes::<6>()?)
    ));
    let mut f = create_exclusive(&tmp)?;
    let written = write_all_synced(&mut f, &tmp, &text).and_then(|()| {
        drop(f);
        fs::rename(&tmp, path).map_err(io)
    });
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename durable.
    File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| KeyFileError::Io { path: dir, source })
}

/// Loads only the public half of an unencrypted key file (same checks as [`load`]).
pub fn load_public(path: &Path) -> Result<PublicKey, KeyFileError> {
    load(path).map(|k| public_key(&k))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn dir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn an_encrypted_key_opens_with_its_passphrase_only() {
        let d = dir();
        let p = d.path().join("k");
        let key = create_protected(&p, &Protect::Passphrase("correct horse", FAST)).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        assert!(text.contains("igl-secret-key-v2:"), "{text}");
        assert!(text.contains(":argon2id:m=64,t=1,p=1:"), "{text}");
        assert!(
            !text.contains(&hex::encode(key.to_bytes())),
            "the seed is not in the file"
        );
        let f = read(&p).unwrap();
        assert_eq!(f.protection(), Protection::Passphrase(FAST));
        let got = f
            .unlock(|| Ok::<_, KeyFileError>(Zeroizing::new("correct horse".into())))
            .unwrap();
        assert_eq!(got.to_bytes(), key.to_bytes());
        let err = f
            .unlock(|| Ok::<_, KeyFileError>(Zeroizing::new("correct horsf".into())))
            .err()
            .unwrap();
        assert!(matches!(err, KeyFileError::WrongPassphrase { .. }), "{err}");
        assert!(matches!(load(&p), Err(KeyFileError::Encrypted { .. })));
    }

    #[test]
    fn every_field_of_the_key_line_is_authenticated() {
        let d = dir();
        let p = d.path().join("k");
        create_protected(&p, &Protect::Passphrase("correct horse", FAST)).unwrap();
        let text = fs::read_to_string(&p).unwrap();
        let line = text.lines().find(|l| l.starts_with(HEADER_V2)).unwrap();
        // Change one hex digit in each field (public key, salt, nonce, ciphertext) and the
        // parameters: never accepted, never a panic.
        let fields: Vec<usize> = line
            .char_indices()
            .filter(|&(_, c)| c == ':')
            .map(|(i, _)| i + 1)
            .collect();
        for &at in &[fields[0], fields[3], fields[5], fields[6], line.len() - 1] {
            let mut bytes = line.as_bytes().to_vec();
            bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
            let changed = String::from_utf8(bytes).unwrap();
            let r = parse(&p, &changed)
                .and_then(|f| f.unlock(|| Ok(Zeroizing::new("correct horse".into()))));
            assert!(r.is_err(), "accepted a change at {at}: {changed}");
        }
        let weaker = line.replace(":m=64,t=1,p=1:", ":m=32,t=1,p=1:");
        let r = parse(&p, &weaker)
            .unwrap()
            .unlock(|| Ok::<_, KeyFileError>(Zeroizing::new("correct horse".into())));
        assert!(matches!(r, Err(KeyFileError::WrongPassphrase { .. })));
    }

    #[test]
    fn kdf_parameters_are_bounded() {
        assert_eq!(
            KdfParams::parse("m=65536,t=3,p=1").unwrap(),
            KdfParams::DEFAULT
        );
        for bad in [
            "",
            "m=65536",
            "m=65536,t=3",
            "m=65536,t=3,p=1,x=2",
            "t=3,m=65536,p=1",
            "m=4,t=1,p=1",
            "m=2097152,t=1,p=1",
            "m=65536,t=0,p=1",
            "m=65536,t=3,p=0",
            "m=65536,t=3,p=99",
            "m=+1,t=1,p=1",
            "m=99999999999,t=1,p=1",
        ] {
            assert!(KdfParams::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn replace_changes_the_protection_and_leaves_no_temporary_file() {
        let d = dir();
        let p = d.path().join("k");
        let key = create(&p).unwrap();
        let f = read(&p).unwrap();
        assert_eq!(f.protection(), Protection::Plain);
        replace(&f, &key, &Protect::Passphrase("a long passphrase", FAST)).unwrap();
        let names: Vec<_> = fs::read_dir(d.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("k")]);
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let f = read(&p).unwrap();
        assert!(f.is_encrypted());
        // A passphrase too short is refused before anything is written.
        let before = fs::read(&p).unwrap();
        assert!(matches!(
            replace(&f, &key, &Protect::Passphrase("short", FAST)),
            Err(KeyFileError::WeakPassphrase)
        ));
        assert_eq!(fs::read(&p).unwrap(), before);
        replace(&f, &key, &Protect::Plain).unwrap();
        assert_eq!(load(&p).unwrap().to_bytes(), key.to_bytes());
    }

    #[test]
    fn passphrase_files_are_checked_like_key_files() {
        let d = dir();
        let p = d.path().join("pass");
        fs::write(&p, "  two words \r\nsecond line\n").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            read_passphrase_file(&p),
            Err(KeyFileError::TooOpen { .. })
        ));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_passphrase_file(&p).unwrap().as_str(), "  two words ");
        fs::write(&p, "\nx\n").unwrap();
        assert!(matches!(
            read_passphrase_file(&p),
            Err(KeyFileError::EmptyPassphraseFile { .. })
        ));
    }
}
