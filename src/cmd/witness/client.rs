//! The log's side of witnessing: the witnesses named on the command line, asking each over HTTP (`add-checkpoint`), and the quorum.

use super::*;

/// A witness to ask: its verifier key and its URL prefix (`<URL>/add-checkpoint`).
pub struct Target {
    pub vkey: VerifierKey,
    pub url: String,
}

/// Parses a witness verifier key given on the command line (`NAME+KEYID+BASE64`, type 0x04).
/// Also `NAME=HEXKEY` (a key name has no `+`, a vkey always has two), for witnesses configured
/// by name and hex key.
pub fn parse_witness_vkey(flag: &str, s: &str) -> Result<VerifierKey> {
    let s = s.trim();
    if !s.contains('+') {
        let (name, hex) = s
            .split_once('=')
            .filter(|(n, _)| igl_schema::note::is_key_name_valid(n))
            .ok_or_else(|| {
                anyhow!("{flag} takes a witness's verifier key (NAME+KEYID+BASE64) or NAME=HEXKEY, got {s:?}")
            })?;
        return Ok(VerifierKey::witness(name, parse_key(flag, hex)?));
    }
    let k = VerifierKey::parse(s).map_err(|e| anyhow!("{flag}: {e}"))?;
    if k.sig_type != SIG_TYPE_COSIGNATURE {
        bail!(
            "{flag}: {} is a log's key (type 0x01), not a witness's cosignature key (type 0x04)",
            k.name
        );
    }
    Ok(k)
}

/// `--witness VKEY URL` pairs.
pub fn parse_targets(values: &[String]) -> Result<Vec<Target>> {
    let mut out: Vec<Target> = Vec::new();
    for pair in values.chunks(2) {
        let [vkey, url] = pair else {
            bail!("--witness takes two values, VKEY URL");
        };
        let vkey = parse_witness_vkey("--witness", vkey)?;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            bail!(
                "--witness {}: {url:?} is not an http:// or https:// URL",
                vkey.name
            );
        }
        if out.iter().any(|t| t.vkey.key == vkey.key) {
            bail!("--witness {}: that witness key is given twice", vkey.name);
        }
        out.push(Target {
            vkey,
            url: url.trim_end_matches('/').to_string(),
        });
    }
    Ok(out)
}

/// `--witness VKEY ... --quorum N`: the witnesses and how many must have cosigned (default all).
pub fn parse_quorum(witnesses: usize, quorum: Option<usize>) -> Result<usize> {
    let q = quorum.unwrap_or(witnesses);
    if q == 0 || q > witnesses {
        bail!("--quorum {q}: must be between 1 and the number of witnesses given ({witnesses})");
    }
    Ok(q)
}

/// What asking one witness gave.
pub enum Asked {
    /// Its valid cosignature(s) on the checkpoint.
    Cosigned(Vec<Cosignature>),
    /// No cosignature: why (with the HTTP status and body, when there was an answer). An
    /// `alarm` is evidence that the witness has seen another history of this ledger (a fork, a
    /// rollback), not merely a failure to reach it.
    Failed {
        alarm: bool,
        status: Option<u16>,
        why: String,
    },
}

/// The HTTP client for witnesses: blocking, rustls, 4xx answers returned (not errors), no
/// redirects, bounded waits.
pub fn http_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(Duration::from_secs(30)))
        .user_agent(format!("igl/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

/// One add-checkpoint exchange: (status, content type, body).
pub(super) fn post(
    agent: &ureq::Agent,
    url: &str,
    body: &str,
) -> Result<(u16, String, String), String> {
    let mut resp = agent
        .post(format!("{url}/add-checkpoint"))
        .header("Content-Type", "text/plain; charset=utf-8")
        .send(body.as_bytes())
        .map_err(|e| format!("POST {url}/add-checkpoint: {e}"))?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = resp
        .body_mut()
        .with_config()
        .limit(MAX_REQUEST_BODY as u64)
        .read_to_string()
        .map_err(|e| format!("POST {url}/add-checkpoint: reading the answer: {e}"))?;
    Ok((status, content_type, text))
}

/// An answer's body for a message: trimmed, one line, at most 300 characters.
pub(super) fn shown(body: &str) -> String {
    let one: String = body.trim().replace('\n', " / ");
    if one.chars().count() > 300 {
        format!("{}…", one.chars().take(300).collect::<String>())
    } else {
        one
    }
}

/// Asks witness `w` to cosign `note` (the ledger's new checkpoint, signed, not yet recorded).
/// The old size is that of the latest checkpoint recorded in `ledger` with a valid cosignature
/// by `w` (0 if none), with the consistency proof from it; on 409 it asks once more from the
/// size the witness gives. Only cosignatures that verify with `w`'s key are kept.
pub fn ask(agent: &ureq::Agent, ledger: &Ledger, note: &SignedCheckpoint, w: &Target) -> Asked {
    let size = note.checkpoint.size;
    let failed =
        |alarm: bool, status: Option<u16>, why: String| Asked::Failed { alarm, status, why };
    let proof_from = |old: u64| -> Result<Vec<igl_schema::Hash32>, String> {
        if old == 0 {
            Ok(Vec::new())
        } else {
            ledger
                .consistency_proof(old, size)
                .map_err(|e| e.to_string())
        }
    };
    let old = match ledger.latest_cosigned_by(&w.vkey) {
        Ok(cp) => cp.map_or(0, |c| c.checkpoint.size),
        Err(e) => return failed(false, None, format!("reading the ledger: {e}")),
    };
    let proof = match proof_from(old) {
        Ok(p) => p,
        Err(e) => return failed(false, None, format!("a consistency proof from {old}: {e}")),
    };
    let mut exchange = post(agent, &w.url, &witness::request_body(old, &proof, note));
    if let Ok((409, ct, body)) = &exchange {
        let theirs = body
            .strip_suffix('\n')
            .and_then(witness::parse_size)
            .filter(|_| ct.starts_with(witness::CONTENT_TYPE_SIZE));
        let Some(theirs) = theirs else {
            return failed(
                false,
                Some(409),
                format!(
                    "HTTP 409 without a tree size (Content-Type {ct:?}, expected {}; is it a tlog-witness?): {}",
                    witness::CONTENT_TYPE_SIZE,
                    shown(body)
                ),
            );
        };
        if theirs < old {
            return failed(
                true,
                Some(409),
                format!(
                    "ALARM: the witness says the last checkpoint of this ledger it cosigned has {theirs} entries, but this ledger records its cosignature on {old}: it has lost or rolled back its state, and may since have cosigned another history. Its operator must restore its state (SECURITY.md, \"What a witness guarantees\"); it is not counted until then"
                ),
            );
        }
        if theirs > size {
            return failed(
                true,
                Some(409),
                format!(
                    "ALARM: the witness has cosigned a checkpoint of {theirs} entries of this ledger, more than the {size} it has now: it has seen a longer or different history (this ledger rolled back, or a fork shown to it)"
                ),
            );
        }
        let proof = match proof_from(theirs) {
            Ok(p) => p,
            Err(e) => {
                return failed(
                    true,
                    Some(409),
                    format!(
                        "ALARM: the witness has cosigned {theirs} entries, and no consistency proof from them to this ledger's {size} can be made: {e}"
                    ),
                );
            }
        };
        exchange = post(agent, &w.url, &witness::request_body(theirs, &proof, note));
        if let Ok((422, _, body)) = &exchange {
            return failed(
                true,
                Some(422),
                format!(
                    "ALARM: the checkpoint of {theirs} entries the witness cosigned is not a prefix of this ledger (HTTP 422: {}): it has seen a different history (a fork)",
                    shown(body)
                ),
            );
        }
    }
    let (status, _, body) = match exchange {
        Ok(x) => x,
        Err(e) => return failed(false, None, e),
    };
    match status {
        200 => match witness::cosignatures_in_answer(&note.checkpoint, &body, &w.vkey) {
            Ok(c) if !c.is_empty() => Asked::Cosigned(c),
            Ok(_) => failed(
                false,
                Some(200),
                format!(
                    "HTTP 200, but no cosignature in the answer verifies with the witness's key: {}",
                    shown(&body)
                ),
            ),
            Err(e) => failed(false, Some(200), format!("HTTP 200: {e}: {}", shown(&body))),
        },
        422 => failed(
            true,
            Some(422),
            format!(
                "ALARM: HTTP 422: {}: the witness holds a history of this ledger this checkpoint does not extend (a fork)",
                shown(&body)
            ),
        ),
        s => failed(false, Some(s), format!("HTTP {s}: {}", shown(&body))),
    }
}

/// `--witness VKEY` (repeatable) and `--quorum N` for commands that check a checkpoint's
/// cosignatures (`prove`, `verify-bundle`, `verify --against`, `verify-published`).
#[derive(Args, Clone, Debug, Default)]
pub struct QuorumArgs {
    /// A witness whose valid cosignature must be on the checkpoint checked against, as its
    /// verifier key (NAME+KEYID+BASE64, as `igl witness serve` prints it) or NAME=HEXKEY. Repeatable.
    #[arg(long = "witness", value_name = "VKEY")]
    pub witnesses: Vec<String>,
    /// How many of the --witness keys must have cosigned (default: all of them).
    #[arg(long, value_name = "N", requires = "witnesses")]
    pub quorum: Option<usize>,
}

/// A parsed witness policy.
pub struct Quorum {
    pub witnesses: Vec<VerifierKey>,
    pub quorum: usize,
}

impl QuorumArgs {
    /// The policy, or `None` without --witness.
    pub fn policy(&self) -> Result<Option<Quorum>> {
        if self.witnesses.is_empty() {
            return Ok(None);
        }
        let mut witnesses: Vec<VerifierKey> = Vec::new();
        for v in &self.witnesses {
            let k = parse_witness_vkey("--witness", v)?;
            if witnesses.iter().any(|w| w.key == k.key) {
                bail!("--witness {}: that witness key is given twice", k.name);
            }
            witnesses.push(k);
        }
        let quorum = parse_quorum(witnesses.len(), self.quorum)?;
        Ok(Some(Quorum { witnesses, quorum }))
    }
}

impl Quorum {
    /// The names of the witnesses that cosigned `cp`, or why too few did.
    pub fn check(&self, cp: &SignedCheckpoint) -> Result<Vec<String>, String> {
        witness::check_quorum(cp, &self.witnesses, self.quorum)
    }
}
