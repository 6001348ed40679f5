//! Writing key files: new ones (`O_EXCL`, mode 0600), with or without a passphrase, and a file's protection replaced atomically.

use super::*;

/// What to protect a key with when writing it.
pub enum Protect<'a> {
    /// Plain text (`igl-secret-key-v1`).
    Plain,
    /// Encrypted under this passphrase with these parameters (`igl-secret-key-v2`).
    Passphrase(&'a str, KdfParams),
}

/// The text of a key file.
pub(super) fn render(
    key: &SigningKey,
    protect: &Protect<'_>,
) -> Result<Zeroizing<String>, KeyFileError> {
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

pub(super) fn create_exclusive(path: &Path) -> Result<File, KeyFileError> {
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

pub(super) fn write_all_synced(f: &mut File, path: &Path, text: &str) -> Result<(), KeyFileError> {
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
