//! Checkpoints as C2SP signed notes (`tlog-checkpoint`, `signed-note`, `tlog-cosignature`).
//!
//! ```text
//! igledger/1093f1b5c44b74c0c419c168ab8262e9      origin: names the ledger
//! 2144                                           tree size
//! a4Zs…base64 root hash…=                        root hash (standard base64)
//!                                                blank line ends the body
//! — igledger/1093f1b5… 3fK0…base64(key hash ‖ signature)…
//! — partner-witness AbCd…base64(key hash ‖ timestamp ‖ signature)…
//! ```
//!
//! A note signature is ed25519 over the body bytes; its 4-byte key hash is the first four bytes
//! of `SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key)`. A witness cosignature (type 0x04) signs
//! `"cosignature/v1\ntime <unix seconds>\n" ‖ body` and carries the timestamp.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::types::{Hash32, KeyId, LedgerId, PublicKey};

/// The most signature lines a note may carry (as Go's `note` and azul's `signed_note`).
pub const MAX_SIGNATURES: usize = 100;

/// The signed-note signature type of an Ed25519 note signature (the log's).
pub const SIG_TYPE_ED25519: u8 = 0x01;
/// The signed-note signature type of an Ed25519 `cosignature/v1` (a witness's).
pub const SIG_TYPE_COSIGNATURE: u8 = 0x04;

/// A checkpoint that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("checkpoint line {line}: {message}")]
pub struct NoteError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> NoteError {
    NoteError {
        line,
        message: message.into(),
    }
}

/// The origin line of a ledger's checkpoints.
pub fn origin(ledger_id: &LedgerId) -> String {
    format!("igledger/{ledger_id}")
}

/// What a checkpoint says: this ledger had `size` entries with Merkle root `root`. Exactly the
/// three lines of a C2SP tlog-checkpoint, with no extension lines (when it was signed is the
/// time of its `CheckpointRecorded` entry, and of each cosignature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash32,
}

impl Checkpoint {
    /// The note body: the bytes every signature covers.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root.0)
        )
    }

    /// Signs the body as the ledger (key name = origin).
    pub fn sign(&self, key: &SigningKey) -> [u8; 64] {
        key.sign(self.body().as_bytes()).to_bytes()
    }
}

/// One signature line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    pub name: String,
    pub key_hash: [u8; 4],
    /// The bytes after the key hash: a 64-byte signature, or for a cosignature an 8-byte
    /// big-endian timestamp then the signature.
    pub data: Vec<u8>,
}

impl NoteSignature {
    /// The signature line, `— <name> base64(key hash ‖ data)`, ending in a newline.
    pub fn to_line(&self) -> String {
        let mut blob = self.key_hash.to_vec();
        blob.extend_from_slice(&self.data);
        format!("— {} {}\n", self.name, B64.encode(blob))
    }
}

/// A 32-byte hash in standard base64 with padding (a checkpoint's root, a proof line).
pub fn hash_to_base64(h: &Hash32) -> String {
    B64.encode(h.0)
}

/// A 32-byte hash from standard base64 with padding (canonical: 44 characters, no stray bits).
pub fn hash_from_base64(s: &str) -> Option<Hash32> {
    B64.decode(s)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(Hash32)
}

/// A checkpoint with its signatures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub signatures: Vec<NoteSignature>,
}

/// The signed-note key hash of an ed25519 key of the given signature type.
pub fn key_hash(name: &str, sig_type: u8, key: &PublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([sig_type]);
    h.update(key.0);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// Whether `name` may name a signed-note key: non-empty, no Unicode white space, no `+`.
pub fn is_key_name_valid(name: &str) -> bool {
    !(name.is_empty() || name.chars().any(char::is_whitespace) || name.contains('+'))
}

/// A signed-note verifier key: a name, a signature type and an Ed25519 public key. Its text form
/// (a "vkey") is `<name>+<key id as 8 hex digits>+<base64(type || public key)>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    pub name: String,
    /// [`SIG_TYPE_ED25519`] for a log's key, [`SIG_TYPE_COSIGNATURE`] for a witness's.
    pub sig_type: u8,
    pub key: PublicKey,
}

impl VerifierKey {
    /// A witness's cosigning key.
    pub fn witness(name: &str, key: PublicKey) -> Self {
        Self {
            name: name.to_string(),
            sig_type: SIG_TYPE_COSIGNATURE,
            key,
        }
    }

    /// A log's checkpoint key (named by the ledger's origin).
    pub fn log(origin: &str, key: PublicKey) -> Self {
        Self {
            name: origin.to_string(),
            sig_type: SIG_TYPE_ED25519,
            key,
        }
    }

    /// The 4-byte key id of its signature lines.
    pub fn key_id(&self) -> [u8; 4] {
        key_hash(&self.name, self.sig_type, &self.key)
    }

    /// The vkey text.
    pub fn to_vkey(&self) -> String {
        let mut material = vec![self.sig_type];
        material.extend_from_slice(&self.key.0);
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.key_id()),
            B64.encode(material)
        )
    }

    /// Parses a vkey of an Ed25519 key (type 0x01) or an Ed25519 cosigning key (type 0x04),
    /// checking its key id.
    pub fn parse(vkey: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "{vkey:?} is not a verifier key (NAME+KEYID+BASE64, as `igl witness serve` prints)"
            )
        };
        let (name, rest) = vkey.split_once('+').ok_or_else(bad)?;
        let (id, material) = rest.split_once('+').ok_or_else(bad)?;
        if !is_key_name_valid(name) || id.len() != 8 {
            return Err(bad());
        }
        let id = hex::decode(id).map_err(|_| bad())?;
        let material = B64.decode(material).map_err(|_| bad())?;
        let (&sig_type, key) = material.split_first().ok_or_else(bad)?;
        if sig_type != SIG_TYPE_ED25519 && sig_type != SIG_TYPE_COSIGNATURE {
            return Err(format!(
                "verifier key {name}: signature type 0x{sig_type:02x} is not Ed25519 (0x01) or an Ed25519 cosignature (0x04)"
            ));
        }
        let key = <[u8; 32]>::try_from(key).map_err(|_| bad())?;
        let k = Self {
            name: name.to_string(),
            sig_type,
            key: PublicKey(key),
        };
        if k.key_id()[..] != id[..] {
            return Err(format!(
                "verifier key {name}: its key id does not match its name and key"
            ));
        }
        Ok(k)
    }
}

/// A witness's `cosignature/v1` on a checkpoint, as kept in the ledger's `CheckpointRecorded`
/// entry: the fields of its note signature line `— <name> base64(key_id || time || signature)`.
#[derive(
    Clone,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    bincode::Encode,
    bincode::Decode,
)]
#[serde(deny_unknown_fields)]
pub struct Cosignature {
    pub name: String,
    pub key_id: KeyId,
    /// Unix seconds, as the witness signed it.
    pub time: u64,
    pub signature: crate::types::Signature64,
}

impl Cosignature {
    /// As a note signature line's fields.
    pub fn to_note_signature(&self) -> NoteSignature {
        let mut data = self.time.to_be_bytes().to_vec();
        data.extend_from_slice(&self.signature.0);
        NoteSignature {
            name: self.name.clone(),
            key_hash: self.key_id.0,
            data,
        }
    }

    /// A note signature line that has a cosignature's shape (72 bytes after the key id).
    pub fn from_note_signature(s: &NoteSignature) -> Option<Self> {
        if s.data.len() != 72 {
            return None;
        }
        Some(Self {
            name: s.name.clone(),
            key_id: KeyId(s.key_hash),
            time: u64::from_be_bytes(s.data[..8].try_into().ok()?),
            signature: crate::types::Signature64(s.data[8..].try_into().ok()?),
        })
    }

    /// Whether `witness` made this cosignature on `checkpoint`.
    pub fn verify(&self, checkpoint: &Checkpoint, witness: &VerifierKey) -> bool {
        // tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1.
        witness.sig_type == SIG_TYPE_COSIGNATURE
            && self.time <= i64::MAX as u64
            && self.name == witness.name
            && self.key_id.0 == witness.key_id()
            && strict(
                &witness.key,
                &cosignature_message(&checkpoint.body(), self.time),
                &self.signature.0,
            )
    }
}

fn cosignature_message(body: &str, time: u64) -> Vec<u8> {
    let mut m = format!("cosignature/v1\ntime {time}\n").into_bytes();
    m.extend_from_slice(body.as_bytes());
    m
}

fn strict(key: &PublicKey, msg: &[u8], sig: &[u8]) -> bool {
    let (Ok(vk), Ok(sig)) = (VerifyingKey::from_bytes(&key.0), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    vk.verify_strict(msg, &ed25519_dalek::Signature::from_bytes(&sig))
        .is_ok()
}

impl SignedCheckpoint {
    /// A checkpoint signed by the ledger's key (name = origin).
    pub fn new(checkpoint: Checkpoint, signature: [u8; 64], key: &PublicKey) -> Self {
        let name = checkpoint.origin.clone();
        Self {
            signatures: vec![NoteSignature {
                key_hash: key_hash(&name, SIG_TYPE_ED25519, key),
                name,
                data: signature.to_vec(),
            }],
            checkpoint,
        }
    }

    /// The note text.
    pub fn to_text(&self) -> String {
        let mut s = self.checkpoint.body();
        s.push('\n');
        for sig in &self.signatures {
            s.push_str(&sig.to_line());
        }
        s
    }

    /// Parses a note. Only the syntax is checked here; signatures with [`Self::verify`].
    pub fn parse(text: &str) -> Result<Self, NoteError> {
        // Like a C2SP note, no control characters but newlines: a carriage return, even in CRLF
        // line endings, is refused, as Go's `note` and azul's `signed_note` refuse it (a note
        // igl accepted must verify the same everywhere).
        if let Some((i, l)) = text
            .split('\n')
            .enumerate()
            .find(|(_, l)| l.chars().any(char::is_control))
        {
            let c = l.chars().find(|c| c.is_control()).unwrap_or_default();
            let hint = if c == '\r' {
                " (Windows line endings? convert them to \\n, e.g. with dos2unix)"
            } else {
                ""
            };
            return Err(err(
                i + 1,
                format!("control character {c:?} in a checkpoint (only newlines may appear){hint}"),
            ));
        }
        let Some((body, sigs)) = text.split_once("\n\n") else {
            return Err(err(
                1,
                "no blank line between the checkpoint and its signatures",
            ));
        };
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.len() < 3 {
            return Err(err(
                lines.len() + 1,
                "a checkpoint has an origin, a size and a root hash",
            ));
        }
        let origin = lines[0].to_string();
        if origin.is_empty() {
            return Err(err(1, "empty origin"));
        }
        let size: u64 = lines[1]
            .parse()
            .map_err(|_| err(2, format!("tree size {:?} is not a number", lines[1])))?;
        if lines[1].starts_with('0') && lines[1] != "0" || lines[1].starts_with('+') {
            return Err(err(
                2,
                "tree size must be written without leading zeros or sign",
            ));
        }
        let root = B64
            .decode(lines[2])
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| err(3, "root hash is not 32 bytes of standard base64"))?;
        if let Some(l) = lines.get(3) {
            return Err(err(
                4,
                format!("extension line {l:?}: igl checkpoints have none"),
            ));
        }
        let checkpoint = Checkpoint {
            origin,
            size,
            root: Hash32(root),
        };
        if checkpoint.body() != format!("{body}\n") {
            return Err(err(1, "the checkpoint is not in canonical form"));
        }
        let first_sig_line = lines.len() + 2;
        // As signed-note writes them: each signature line ends in a newline, with no blank line
        // between them, so that a note has one text (what parses prints back byte for byte).
        let Some(sig_block) = sigs.strip_suffix('\n') else {
            return Err(err(
                first_sig_line + sigs.matches('\n').count(),
                "the last signature line does not end in a newline",
            ));
        };
        let mut signatures = Vec::new();
        for (i, l) in sig_block.split('\n').enumerate() {
            let line = first_sig_line + i;
            if i == MAX_SIGNATURES {
                return Err(err(line, format!("more than {MAX_SIGNATURES} signatures")));
            }
            let rest = l
                .strip_prefix("— ")
                .ok_or_else(|| err(line, "signature lines start with \"— \" (em dash, space)"))?;
            let (name, b64) = rest
                .split_once(' ')
                .ok_or_else(|| err(line, "a signature line is \"— NAME BASE64\""))?;
            if !is_key_name_valid(name) {
                return Err(err(
                    line,
                    format!("{name:?} is not a key name (no spaces or +)"),
                ));
            }
            let blob = B64
                .decode(b64)
                .map_err(|_| err(line, "signature is not standard base64"))?;
            if blob.len() < 5 {
                return Err(err(line, "signature too short"));
            }
            signatures.push(NoteSignature {
                name: name.to_string(),
                key_hash: [blob[0], blob[1], blob[2], blob[3]],
                data: blob[4..].to_vec(),
            });
        }
        if signatures.is_empty() {
            return Err(err(first_sig_line, "the checkpoint has no signature"));
        }
        Ok(Self {
            checkpoint,
            signatures,
        })
    }

    /// Whether `key` (as the ledger, named by the origin) signed this checkpoint.
    pub fn verify(&self, key: &PublicKey) -> bool {
        let name = &self.checkpoint.origin;
        let kh = key_hash(name, SIG_TYPE_ED25519, key);
        let body = self.checkpoint.body();
        // As signed-note requires, a line naming this key (name and key id) that does not verify
        // makes the note fail, even beside one that does.
        let mut lines = self
            .signatures
            .iter()
            .filter(|s| s.name == *name && s.key_hash == kh)
            .peekable();
        lines.peek().is_some() && lines.all(|s| strict(key, body.as_bytes(), &s.data))
    }

    /// Adds a witness cosignature made at `time` (Unix seconds).
    pub fn cosign(&mut self, name: &str, key: &SigningKey, time: u64) {
        let pk = PublicKey(key.verifying_key().to_bytes());
        let msg = cosignature_message(&self.checkpoint.body(), time);
        let mut data = time.to_be_bytes().to_vec();
        data.extend_from_slice(&key.sign(&msg).to_bytes());
        self.signatures.push(NoteSignature {
            name: name.to_string(),
            key_hash: key_hash(name, SIG_TYPE_COSIGNATURE, &pk),
            data,
        });
    }

    /// The time of a valid cosignature by witness `name` holding `key`, if there is one.
    pub fn cosigned_by(&self, name: &str, key: &PublicKey) -> Option<u64> {
        self.cosignature_by(&VerifierKey::witness(name, *key))
            .map(|c| c.time)
    }

    /// The valid cosignature by `witness` on this checkpoint, if there is one.
    /// A line naming the witness's key (name and key id) that does not verify makes it `None`,
    /// as signed-note requires.
    pub fn cosignature_by(&self, witness: &VerifierKey) -> Option<Cosignature> {
        let id = witness.key_id();
        let mut found = None;
        for s in self
            .signatures
            .iter()
            .filter(|s| s.name == witness.name && s.key_hash == id)
        {
            let c = Cosignature::from_note_signature(s)?;
            if !c.verify(&self.checkpoint, witness) {
                return None;
            }
            found.get_or_insert(c);
        }
        found
    }

    /// The witnesses among `witnesses` that cosigned this checkpoint (each counted once).
    pub fn cosigners<'a>(&self, witnesses: &'a [VerifierKey]) -> Vec<&'a VerifierKey> {
        let mut seen: Vec<&VerifierKey> = Vec::new();
        for w in witnesses {
            if !seen.iter().any(|s| s.key == w.key) && self.cosignature_by(w).is_some() {
                seen.push(w);
            }
        }
        seen
    }

    /// Adds cosignatures kept elsewhere (a `CheckpointRecorded` entry) as signature lines.
    pub fn with_cosignatures(mut self, cosignatures: &[Cosignature]) -> Self {
        self.signatures
            .extend(cosignatures.iter().map(Cosignature::to_note_signature));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_parse_verify_cosign() {
        let log = SigningKey::from_bytes(&[1; 32]);
        let wit = SigningKey::from_bytes(&[2; 32]);
        let lpk = PublicKey(log.verifying_key().to_bytes());
        let wpk = PublicKey(wit.verifying_key().to_bytes());
        let cp = Checkpoint {
            origin: origin(&LedgerId([4; 16])),
            size: 2144,
            root: Hash32([7; 32]),
        };
        let mut sc = SignedCheckpoint::new(cp.clone(), cp.sign(&log), &lpk);
        let text = sc.to_text();
        let back = SignedCheckpoint::parse(&text).unwrap();
        assert_eq!(back, sc);
        assert!(back.verify(&lpk));
        assert!(!back.verify(&wpk));
        sc.cosign("partner-witness", &wit, 1_795_000_000);
        let back = SignedCheckpoint::parse(&sc.to_text()).unwrap();
        assert_eq!(
            back.cosigned_by("partner-witness", &wpk),
            Some(1_795_000_000)
        );
        assert_eq!(back.cosigned_by("partner-witness", &lpk), None);
        // Any change to the body breaks every signature.
        let forged = text.replace("\n2144\n", "\n2145\n");
        let f = SignedCheckpoint::parse(&forged).unwrap();
        assert!(!f.verify(&lpk));
        assert!(SignedCheckpoint::parse("x\n1\n").is_err());
        assert!(SignedCheckpoint::parse(&text.replace("\n2144\n", "\n02144\n")).is_err());

        // A second line under the log's key that does not verify fails the note (signed-note).
        let mut two = back.clone();
        let mut bad = two.signatures[0].clone();
        bad.data[0] ^= 1;
        two.signatures.push(bad);
        assert!(!two.verify(&lpk));
        // Likewise a failing second cosignature line by the witness.
        let w = VerifierKey::witness("partner-witness", wpk);
        assert!(back.cosignature_by(&w).is_some());
        let mut two = back.clone();
        let mut bad = two.signatures[1].clone();
        bad.data[20] ^= 1;
        two.signatures.push(bad);
        assert_eq!(two.cosignature_by(&w), None);
        // A cosignature timestamp above 2^63 - 1 is not one (tlog-cosignature).
        let mut late = SignedCheckpoint::new(cp.clone(), cp.sign(&log), &lpk);
        late.cosign("partner-witness", &wit, 1 << 63);
        assert_eq!(late.cosignature_by(&w), None);
    }
}
