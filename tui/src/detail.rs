//! The entry detail: everything about one entry, loaded once when it is opened, and its lines.

use igl_ledger::merkle;
use igl_ledger::{KeyRecord, PayloadState, StoredEntry};
use igl_schema::note::SignedCheckpoint;
use igl_schema::{Event, Hash32, PublicKey, Timestamp};
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use crate::source::Source;
use crate::text::{thousands, time_full, wrap};
use crate::theme::Theme;

/// The latest checkpoint recorded in the ledger, found by a bounded backwards search.
pub enum CheckpointState {
    /// Not looked for yet (nothing is read until an entry is opened).
    Unknown,
    /// Looking: `next` is the next seq to look at, going back.
    Searching {
        next: Option<u64>,
        checked: u64,
    },
    Found(Box<FoundCheckpoint>),
    /// The ledger has no checkpoint.
    None,
    Error(String),
}

/// A checkpoint recorded at `seq`, covering entries `0..cp.checkpoint.size`.
pub struct FoundCheckpoint {
    pub seq: u64,
    pub cp: SignedCheckpoint,
    /// Who signed it (`P00002 (ig_officer)`).
    pub signer: String,
    /// Whether its note signature verifies with the key of the entry's author.
    pub sig_ok: bool,
    /// When it was signed (its `CheckpointRecorded` entry's time).
    pub time: Option<igl_schema::Timestamp>,
}

impl FoundCheckpoint {
    /// Completes a checkpoint found at `seq`: who signed it, and whether the signature verifies.
    pub fn new(
        source: &dyn Source,
        author: &mut dyn FnMut(&PublicKey) -> Option<KeyRecord>,
        seq: u64,
        cp: SignedCheckpoint,
    ) -> FoundCheckpoint {
        let (signer, sig_ok, time) = match source.entry(seq) {
            Ok(Some(e)) => {
                let pk = e.entry.event.body.author;
                let who = author(&pk).map_or_else(|| pk.short(), |k| who(&k));
                let time = match &e.entry.event.body.event {
                    igl_schema::Event::CheckpointRecorded(c) => Some(c.time),
                    _ => None,
                };
                (who, cp.verify(&pk), time)
            }
            _ => ("?".into(), false, None),
        };
        FoundCheckpoint {
            seq,
            cp,
            signer,
            sig_ok,
            time,
        }
    }
}

fn who(k: &KeyRecord) -> String {
    format!("{} ({})", k.person, k.role)
}

/// The Merkle inclusion proof of an entry against the latest checkpoint.
pub enum Proof {
    /// The checkpoint search is still running.
    Waiting {
        checked: u64,
    },
    NoCheckpoint,
    /// The latest checkpoint is older than the entry.
    NotCovered {
        cp_seq: u64,
        size: u64,
    },
    Proved {
        cp_seq: u64,
        size: u64,
        root: Hash32,
        time: Option<Timestamp>,
        signer: String,
        cp_sig_ok: bool,
        path: Vec<Hash32>,
        /// Whether the path leads from the entry's leaf to the checkpoint's root.
        ok: bool,
    },
    Error(String),
}

impl Proof {
    /// The proof of entry `seq` (hash `hash`) against the checkpoint, if one has been found.
    pub fn new(source: &dyn Source, cp: &CheckpointState, seq: u64, hash: &Hash32) -> Proof {
        match cp {
            CheckpointState::Unknown => Proof::Waiting { checked: 0 },
            CheckpointState::Searching { checked, .. } => Proof::Waiting { checked: *checked },
            CheckpointState::None => Proof::NoCheckpoint,
            CheckpointState::Error(e) => Proof::Error(e.clone()),
            CheckpointState::Found(f) => {
                let c = &f.cp.checkpoint;
                if seq >= c.size {
                    return Proof::NotCovered {
                        cp_seq: f.seq,
                        size: c.size,
                    };
                }
                match source.inclusion_proof(seq, c.size) {
                    Err(e) => Proof::Error(e.to_string()),
                    Ok(path) => {
                        let leaf = merkle::leaf_hash(hash);
                        let ok = merkle::verify_inclusion(seq, c.size, &leaf, &path, &c.root);
                        Proof::Proved {
                            cp_seq: f.seq,
                            size: c.size,
                            root: c.root,
                            time: f.time,
                            signer: f.signer.clone(),
                            cp_sig_ok: f.sig_ok,
                            path,
                            ok,
                        }
                    }
                }
            }
        }
    }
}

/// The seal of the batch holding the entry.
pub enum SealInfo {
    None,
    Error(String),
    Sealed {
        first: u64,
        last: u64,
        at: Timestamp,
        appender: String,
        sig_ok: bool,
    },
}

/// Who erased an entry's personal data, when and why.
pub struct Redaction {
    pub by: u64,
    pub who: String,
    pub when: Option<Timestamp>,
    pub reason: String,
}

pub struct Loaded {
    pub e: StoredEntry,
    pub author: Option<KeyRecord>,
    pub signature: Result<(), String>,
    pub seal: SealInfo,
    pub redaction: Option<Redaction>,
    pub proof: Proof,
}

pub enum Body {
    Loaded(Box<Loaded>),
    Missing,
    Error(String),
}

/// An open entry.
pub struct Detail {
    pub seq: u64,
    pub body: Body,
    pub scroll: u16,
}

impl Detail {
    /// Reads entry `seq` and everything the detail shows about it.
    pub fn load(
        source: &dyn Source,
        author: &mut dyn FnMut(&PublicKey) -> Option<KeyRecord>,
        cp: &CheckpointState,
        seq: u64,
    ) -> Detail {
        let body = match source.entry(seq) {
            Err(e) => Body::Error(e.to_string()),
            Ok(None) => Body::Missing,
            Ok(Some(e)) => {
                let rec = author(&e.entry.event.body.author);
                let signature = e.entry.event.verify_signature().map_err(|e| e.to_string());
                let seal = match source.seal_covering(seq) {
                    Err(e) => SealInfo::Error(e.to_string()),
                    Ok(None) => SealInfo::None,
                    // The next seal starts after this entry: nothing seals it.
                    Ok(Some(s)) if s.body.first_seq > seq => SealInfo::None,
                    Ok(Some(s)) => SealInfo::Sealed {
                        first: s.body.first_seq,
                        last: s.body.last_seq,
                        at: s.body.sealed_at,
                        appender: author(&s.body.appender)
                            .map_or_else(|| s.body.appender.short(), |k| who(&k)),
                        sig_ok: s.verify_signature(),
                    },
                };
                let redaction = match e.payload {
                    PayloadState::Redacted { by } => Some(match source.entry(by) {
                        Ok(Some(r)) => {
                            let b = &r.entry.event.body;
                            Redaction {
                                by,
                                who: author(&b.author)
                                    .map_or_else(|| b.author.short(), |k| who(&k)),
                                when: Some(r.entry.recorded_at),
                                reason: match &b.event {
                                    Event::Redacted(x) => x.reason.clone(),
                                    _ => String::new(),
                                },
                            }
                        }
                        _ => Redaction {
                            by,
                            who: "?".into(),
                            when: None,
                            reason: String::new(),
                        },
                    }),
                    _ => None,
                };
                let proof = Proof::new(source, cp, seq, &e.hash);
                Body::Loaded(Box::new(Loaded {
                    e,
                    author: rec,
                    signature,
                    seal,
                    redaction,
                    proof,
                }))
            }
        };
        Detail {
            seq,
            body,
            scroll: 0,
        }
    }

    /// Recomputes the proof (once the checkpoint search has finished).
    pub fn refresh_proof(&mut self, source: &dyn Source, cp: &CheckpointState) {
        if let Body::Loaded(l) = &mut self.body {
            l.proof = Proof::new(source, cp, self.seq, &l.e.hash);
        }
    }

    /// The entry's type, for the title.
    pub fn type_name(&self) -> &'static str {
        match &self.body {
            Body::Loaded(l) => l.e.entry.event.body.event.type_name(),
            _ => "",
        }
    }

    /// The detail's lines at `width` columns.
    pub fn lines(&self, t: &Theme, width: u16) -> Vec<Line<'static>> {
        let mut w = Lines {
            out: Vec::new(),
            t: *t,
            width: width as usize,
        };
        match &self.body {
            Body::Missing => w.status(
                t.bad(),
                "✘",
                &format!("there is no entry at seq {}", self.seq),
            ),
            Body::Error(e) => w.status(
                t.bad(),
                "✘",
                &format!("entry {} could not be read: {e}", self.seq),
            ),
            Body::Loaded(l) => l.write(&mut w),
        }
        w.out
    }
}

/// A line writer with the layout rules of the detail.
struct Lines {
    out: Vec<Line<'static>>,
    t: Theme,
    width: usize,
}

const LABEL: usize = 12;

impl Lines {
    fn blank(&mut self) {
        self.out.push(Line::default());
    }
    fn heading(&mut self, s: &str) {
        self.out.push(Line::styled(s.to_string(), self.t.title()));
    }
    /// `  label     value`, the value wrapped under itself.
    fn kv(&mut self, label: &str, value: &str, style: Style) {
        self.kv_w(label, LABEL, value, style);
    }
    fn kv_w(&mut self, label: &str, lw: usize, value: &str, style: Style) {
        let avail = self.width.saturating_sub(lw).max(16);
        for (i, chunk) in wrap(value, avail).into_iter().enumerate() {
            let lab = if i == 0 {
                format!("  {label:<w$}", w = lw - 2)
            } else {
                " ".repeat(lw)
            };
            self.out.push(Line::from(vec![
                Span::styled(lab, self.t.label()),
                Span::styled(chunk, style),
            ]));
        }
    }
    /// `  ✔ text`, wrapped under the text.
    fn status(&mut self, style: Style, symbol: &str, text: &str) {
        let avail = self.width.saturating_sub(4).max(16);
        for (i, chunk) in wrap(text, avail).into_iter().enumerate() {
            let lead = if i == 0 {
                format!("  {symbol} ")
            } else {
                "    ".into()
            };
            self.out.push(Line::from(vec![
                Span::styled(lead, style),
                Span::styled(chunk, style),
            ]));
        }
    }
}

impl Loaded {
    fn write(&self, w: &mut Lines) {
        let t = w.t;
        let e = &self.e;
        let body = &e.entry.event.body;
        w.kv("recorded", &time_full(&e.entry.recorded_at), t.plain());
        w.kv("occurred", &time_full(&body.occurred_at), t.plain());
        let author = match &self.author {
            Some(k) => {
                let mut s = format!(
                    "{} · {} · key {} (enrolled at seq {}",
                    k.person,
                    k.role,
                    k.key.short(),
                    k.enrolled_seq
                );
                if let Some(r) = k.revoked_seq {
                    s.push_str(&format!(", revoked at seq {r}"));
                }
                s.push(')');
                s
            }
            None => format!("key {} (not enrolled)", body.author.short()),
        };
        w.kv("author", &author, t.plain());
        let subjects: Vec<String> = body.subjects.iter().map(|s| s.to_string()).collect();
        let subjects = if subjects.is_empty() {
            "–".to_string()
        } else {
            subjects.join(", ")
        };
        w.kv("subjects", &subjects, t.plain());
        w.kv("event id", &body.event_id.to_hex(), t.plain());

        w.blank();
        w.heading("Fields");
        let fs = igl_ledger::view::fields(&body.event);
        let lw = fs.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 4;
        for (k, v) in &fs {
            match v {
                Some(s) => w.kv_w(k, lw, s, t.plain()),
                None => w.kv_w(k, lw, "–", t.dim()),
            }
        }

        w.blank();
        w.heading("Personal data");
        let n = body.event.pii().len();
        match (e.payload, &self.redaction) {
            (PayloadState::None, _) => w.status(
                t.dim(),
                "–",
                "none: this event type has no personal-data fields",
            ),
            (PayloadState::Present, _) => w.status(
                t.ok(),
                "✔",
                &format!("present: {n} field(s), matching the signed commitments"),
            ),
            (PayloadState::Redacted { by }, r) => {
                let mut s = format!("redacted by seq {by}");
                if let Some(r) = r {
                    s.push_str(&format!(" ({}", r.who));
                    if let Some(when) = &r.when {
                        s.push_str(&format!(", {}", time_full(when)));
                    }
                    s.push(')');
                    if !r.reason.is_empty() {
                        s.push_str(&format!(": {}", r.reason));
                    }
                }
                s.push_str(&format!(
                    ". The {n} value(s) are erased; the commitments, hash and signature remain."
                ));
                w.status(t.warn(), "⚠", &s);
            }
            (PayloadState::Missing, _) => w.status(
                t.bad(),
                "✘",
                "missing, and no Redacted entry accounts for it (damage: run verify)",
            ),
        }

        w.blank();
        w.heading("Integrity");
        w.kv("hash", &e.hash.to_hex(), t.plain());
        w.kv("prev hash", &e.entry.prev_hash.to_hex(), t.plain());
        let sig_hex = e.entry.event.signature.to_hex();
        match &self.signature {
            Ok(()) => w.kv("signature", "✔ verifies with the author's key", t.ok()),
            Err(m) => w.kv("signature", &format!("✘ {m}"), t.bad()),
        }
        w.kv(
            "",
            &format!("{}\n{}", &sig_hex[..64], &sig_hex[64..]),
            t.dim(),
        );
        match &self.seal {
            SealInfo::None => w.kv("seal", "✘ no seal covers this entry", t.bad()),
            SealInfo::Error(m) => w.kv("seal", &format!("✘ {m}"), t.bad()),
            SealInfo::Sealed {
                first,
                last,
                at,
                appender,
                sig_ok,
            } => {
                let (sym, style) = if *sig_ok {
                    ("✔", t.ok())
                } else {
                    ("✘", t.bad())
                };
                w.kv(
                    "seal",
                    &format!(
                        "{sym} batch {first}..={last}, sealed {} by {appender}; seal signature {}",
                        time_full(at),
                        if *sig_ok {
                            "verifies"
                        } else {
                            "DOES NOT VERIFY"
                        }
                    ),
                    style,
                );
            }
        }

        w.blank();
        w.heading("Merkle inclusion (latest checkpoint)");
        match &self.proof {
            Proof::Waiting { checked } => w.status(
                t.dim(),
                "…",
                &format!(
                    "looking for the latest checkpoint ({} entries back so far)",
                    thousands(*checked)
                ),
            ),
            Proof::NoCheckpoint => w.status(
                t.dim(),
                "–",
                "the ledger has no checkpoint yet (`igl checkpoint` records one)",
            ),
            Proof::NotCovered { cp_seq, size } => w.status(
                t.warn(),
                "⚠",
                &format!(
                    "not covered yet: the latest checkpoint (seq {cp_seq}) covers entries 0..={}",
                    size - 1
                ),
            ),
            Proof::Error(m) => w.status(t.bad(), "✘", m),
            Proof::Proved {
                cp_seq,
                size,
                root,
                time,
                signer,
                cp_sig_ok,
                path,
                ok,
            } => {
                if *ok {
                    w.status(
                        t.ok(),
                        "✔",
                        &format!(
                            "included: the proof leads from this entry to the root of the checkpoint at seq {cp_seq} ({} entries)",
                            thousands(*size)
                        ),
                    );
                } else {
                    w.status(
                        t.bad(),
                        "✘",
                        &format!(
                            "the inclusion proof does NOT lead to the root of the checkpoint at seq {cp_seq}: the stored tree does not match"
                        ),
                    );
                }
                w.kv("root", &root.to_hex(), t.plain());
                if let Some(time) = time {
                    w.kv("time", &time_full(time), t.plain());
                }
                let (sym, style) = if *cp_sig_ok {
                    ("✔", t.ok())
                } else {
                    ("✘", t.bad())
                };
                w.kv(
                    "signed by",
                    &format!(
                        "{sym} {signer}{}",
                        if *cp_sig_ok {
                            ""
                        } else {
                            ": signature does NOT verify"
                        }
                    ),
                    style,
                );
                w.kv(
                    "proof",
                    &format!("{} hashes, leaf to root:", path.len()),
                    t.plain(),
                );
                for (i, h) in path.iter().enumerate() {
                    w.kv(&format!("{:>3}", i + 1), &h.to_hex(), t.dim());
                }
            }
        }
    }
}
