//! Importing: the rows read, signed by the feed's key and appended, skipping rows already imported (by event id).

use super::*;

/// What an import did (or, with `dry_run`, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Rows read.
    pub rows: usize,
    /// Rows appended (with `dry_run`: that would be).
    pub new: usize,
    /// Rows whose event the ledger already held (imported before).
    pub already_imported: usize,
    /// Rows identical to an earlier row of the file (within a batch, for access imports).
    pub duplicate_rows: usize,
    /// Rows dated in the future (a starter next month, a leaver serving notice): not appended
    /// now, since an event cannot be recorded before it happens; importing the same export
    /// again once the date has passed appends them.
    pub deferred: usize,
    /// New rows per event type.
    pub by_type: std::collections::BTreeMap<String, usize>,
    /// Sealed batches appended.
    pub batches: usize,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub dry_run: bool,
}

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// A row or the file is wrong; `report` says what had been appended before it.
    #[error("{error}")]
    Input {
        error: ImportError,
        report: Box<ImportReport>,
    },
    /// The ledger refused a row (`line` of the file) or could not be written.
    #[error("{}{error}", line.map_or_else(String::new, |l| format!("{file}:{l}: ")))]
    Ledger {
        file: String,
        line: Option<u64>,
        error: crate::LedgerError,
        report: Box<ImportReport>,
    },
}

impl ImportFailure {
    /// What had been appended before the failure.
    pub fn report(&self) -> &ImportReport {
        match self {
            ImportFailure::Input { report, .. } | ImportFailure::Ledger { report, .. } => report,
        }
    }
}

/// The latest `occurred_at` the ledger accepts when recording at `now` (its clock-skew allowance).
pub(super) fn future_limit(now: Timestamp) -> Timestamp {
    Timestamp::from_micros(
        now.micros()
            .saturating_add(crate::chain::MAX_CLOCK_SKEW_SECS * 1_000_000),
    )
    .unwrap_or(now)
}

/// Where the personal-data salts of imported entries come from.
pub enum Salts<'a> {
    /// The operating system's random generator: every real import.
    Random,
    /// A deterministic source: `igl demo`, whose synthetic ledger is the same for the same seed.
    From(&'a mut dyn FnMut() -> [u8; 32]),
}

impl Salts<'_> {
    fn next(&mut self) -> Result<[u8; 32], crate::keys::KeyFileError> {
        match self {
            Salts::Random => crate::keys::random_bytes(),
            Salts::From(f) => Ok(f()),
        }
    }
}

/// Signs `rows` as `key`'s events, each with its stable event id, and appends them as one
/// sealed batch. A refused row is named by its line.
pub(super) fn append_rows(
    ledger: &crate::Ledger,
    ledger_id: LedgerId,
    rows: &[Row],
    key: &igl_schema::SigningKey,
    now: Timestamp,
    salts: &mut Salts,
) -> Result<crate::AppendReceipt, (Option<u64>, crate::LedgerError)> {
    let mut subs = Vec::with_capacity(rows.len());
    for (index, r) in rows.iter().enumerate() {
        let salt = salts.next().map_err(|e| (Some(r.line), e.into()))?;
        let sub = igl_schema::Submission::sign(
            ledger_id,
            r.event.clone(),
            r.occurred_at,
            r.event_id,
            [],
            key,
            igl_schema::Salt(salt),
        )
        .map_err(|e| {
            (
                Some(r.line),
                crate::LedgerError::Rejected {
                    index,
                    seq: None,
                    event_type: r.event.type_name(),
                    message: e.to_string(),
                },
            )
        })?;
        subs.push(sub);
    }
    ledger.append(&subs, key, now).map_err(|e| match e {
        crate::LedgerError::Rejected { index, .. } => (rows.get(index).map(|r| r.line), e),
        e => (None, e),
    })
}

/// `igl import hr`: reads and checks every row, skips those already imported, and appends the
/// rest as one sealed batch signed by `key` (all or nothing).
#[allow(clippy::too_many_arguments)]
pub fn import_hr<R: Read>(
    ledger: &crate::Ledger,
    file: &str,
    input: R,
    mapping: &HrMapping,
    key: &igl_schema::SigningKey,
    dry_run: bool,
    now: Timestamp,
    salts: &mut Salts,
) -> Result<ImportReport, ImportFailure> {
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let ledger_err = |report: &ImportReport, line, error| ImportFailure::Ledger {
        file: file.into(),
        line,
        error,
        report: Box::new(report.clone()),
    };
    let ledger_id = ledger
        .ledger_id()
        .map_err(|e| ledger_err(&report, None, e))?;
    let rows = read_hr(file, input, mapping, ledger_id).map_err(|error| ImportFailure::Input {
        error,
        report: Box::new(report.clone()),
    })?;
    report.rows = rows.len();
    let mut seen = std::collections::BTreeSet::new();
    let mut new_rows = Vec::new();
    let latest = future_limit(now);
    for r in rows {
        if r.occurred_at > latest {
            report.deferred += 1;
        } else if !seen.insert(r.event_id) {
            report.duplicate_rows += 1;
        } else if ledger
            .event_seq(&r.event_id)
            .map_err(|e| ledger_err(&report, Some(r.line), e))?
            .is_some()
        {
            report.already_imported += 1;
        } else {
            *report
                .by_type
                .entry(r.event.type_name().to_string())
                .or_default() += 1;
            new_rows.push(r);
        }
    }
    report.new = new_rows.len();
    if !dry_run && !new_rows.is_empty() {
        let receipt =
            append_rows(ledger, ledger_id, &new_rows, key, now, salts).map_err(|(line, e)| {
                // Nothing was appended: the batch is atomic.
                let none = ImportReport {
                    new: 0,
                    by_type: Default::default(),
                    ..report.clone()
                };
                ledger_err(&none, line, e)
            })?;
        report.batches = 1;
        report.first_seq = Some(receipt.first_seq);
        report.last_seq = Some(receipt.last_seq);
    }
    Ok(report)
}

/// `igl import access`: streams the rows in sealed batches of `batch`, skipping those already
/// imported; memory stays that of one batch. `progress` gets each row's byte offset. Stopped at
/// any point, it is resumed by running it again. `recorded_at` is the recording time of every
/// batch (`None`: the clock when each is appended); rows dated after it (or after the start),
/// beyond the clock-skew allowance, are deferred.
#[allow(clippy::too_many_arguments)]
pub fn import_access<R: Read>(
    ledger: &crate::Ledger,
    file: &str,
    input: R,
    mapping: &AccessMapping,
    system: &SystemId,
    key: &igl_schema::SigningKey,
    batch: usize,
    dry_run: bool,
    recorded_at: Option<Timestamp>,
    salts: &mut Salts,
    mut progress: impl FnMut(u64),
) -> Result<ImportReport, ImportFailure> {
    let batch = batch.max(1);
    let mut report = ImportReport {
        dry_run,
        ..ImportReport::default()
    };
    let ledger_id = ledger.ledger_id().map_err(|error| ImportFailure::Ledger {
        file: file.into(),
        line: None,
        error,
        report: Box::new(report.clone()),
    })?;
    let latest = future_limit(recorded_at.unwrap_or_else(Timestamp::now));
    let mut pending: Vec<Row> = Vec::with_capacity(batch.min(1 << 16));
    let mut in_batch = std::collections::HashSet::with_capacity(batch.min(1 << 16));
    let mut flush = |pending: &mut Vec<Row>,
                     in_batch: &mut std::collections::HashSet<EventId>,
                     report: &mut ImportReport|
     -> Result<(), ImportFailure> {
        if pending.is_empty() {
            return Ok(());
        }
        if !dry_run {
            let at = recorded_at.unwrap_or_else(Timestamp::now);
            let r = append_rows(ledger, ledger_id, pending, key, at, salts).map_err(
                |(line, error)| ImportFailure::Ledger {
                    file: file.into(),
                    line,
                    error,
                    report: Box::new(report.clone()),
                },
            )?;
            report.first_seq.get_or_insert(r.first_seq);
            report.last_seq = Some(r.last_seq);
            report.batches += 1;
        }
        report.new += pending.len();
        *report
            .by_type
            .entry("RecordAccessed".to_string())
            .or_default() += pending.len();
        pending.clear();
        in_batch.clear();
        Ok(())
    };
    let read = read_access(file, input, mapping, system, ledger_id, |row| {
        report.rows += 1;
        progress(row.byte);
        if row.occurred_at > latest {
            report.deferred += 1;
        } else if in_batch.contains(&row.event_id) {
            report.duplicate_rows += 1;
        } else if ledger
            .event_seq(&row.event_id)
            .map_err(|error| ImportFailure::Ledger {
                file: file.into(),
                line: Some(row.line),
                error,
                report: Box::new(report.clone()),
            })?
            .is_some()
        {
            report.already_imported += 1;
        } else {
            in_batch.insert(row.event_id);
            pending.push(row);
            if pending.len() >= batch {
                flush(&mut pending, &mut in_batch, &mut report)?;
            }
        }
        Ok::<(), ImportFailure>(())
    });
    match read {
        Ok(()) => {}
        Err(ImportFailure::Input { error, .. }) => {
            return Err(ImportFailure::Input {
                error,
                report: Box::new(report),
            });
        }
        Err(e) => return Err(e),
    }
    flush(&mut pending, &mut in_batch, &mut report)?;
    Ok(report)
}

impl From<ImportError> for ImportFailure {
    fn from(error: ImportError) -> Self {
        ImportFailure::Input {
            error,
            report: Box::default(),
        }
    }
}

/// The columns of a case system's account list (`igl reconcile`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountMapping {
    /// The account's own name in the system (a login).
    pub account: String,
    /// The person id the account belongs to (the HR number igl knows them by).
    pub person: String,
    /// The role the account has in the system (optional column).
    pub role: String,
    /// Whether the account is enabled (optional column; absent means enabled). Enabled:
    /// `enabled`, `active`, `yes`, `y`, `true`, `1`; disabled: `disabled`, `inactive`,
    /// `locked`, `suspended`, `expired`, `deleted`, `no`, `n`, `false`, `0`; anything else is
    /// refused.
    pub enabled: String,
}

impl Default for AccountMapping {
    fn default() -> Self {
        AccountMapping {
            account: "account".into(),
            person: "person".into(),
            role: "role".into(),
            enabled: "enabled".into(),
        }
    }
}

/// One account of a case system's account list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub line: u64,
    pub account: String,
    /// `None` when the row names no person (a service or shared account).
    pub person: Option<PersonId>,
    pub role: Option<String>,
    pub enabled: bool,
}

/// Reads an account list (every row, checked; the first bad row stops it).
pub fn read_accounts<R: Read>(
    file: &str,
    input: R,
    mapping: &AccountMapping,
) -> Result<Vec<Account>, ImportError> {
    let mut csv = Csv::open(file, input)?;
    let account = csv.column(&mapping.account, true)?.expect("required");
    let person = csv.column(&mapping.person, true)?.expect("required");
    let d = AccountMapping::default();
    let role = csv.optional(&mapping.role, &d.role)?;
    let enabled = csv.optional(&mapping.enabled, &d.enabled)?;
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    while let Some((line, _)) = read_record(&mut csv, &mut rec)? {
        let r = csv.rec(line, &rec);
        let name = r.required(account)?.to_string();
        let who = match r.get(Some(person)) {
            None => None,
            Some(p) => Some(PersonId::new(p).map_err(|e| r.err(Some(person), e))?),
        };
        let on = match r.get(enabled) {
            None => true,
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "enabled" | "active" | "yes" | "y" | "true" | "1" => true,
                "disabled" | "inactive" | "locked" | "suspended" | "expired" | "deleted" | "no"
                | "n" | "false" | "0" => false,
                _ => {
                    return Err(r.err(
                        enabled,
                        format!(
                            "{v:?} is neither enabled (enabled, active, yes, y, true, 1) nor disabled (disabled, inactive, locked, suspended, expired, deleted, no, n, false, 0)"
                        ),
                    ));
                }
            },
        };
        out.push(Account {
            line,
            account: name,
            person: who,
            role: r.get(role).map(str::to_string),
            enabled: on,
        });
    }
    Ok(out)
}
