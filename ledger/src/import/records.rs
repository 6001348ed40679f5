//! CSV records with file:line:column positions, for every importer.

use super::*;

/// The header and records of a CSV file.
pub(crate) struct Csv<R: Read> {
    file: String,
    header: Vec<String>,
    reader: csv::Reader<R>,
}

impl<R: Read> Csv<R> {
    pub(crate) fn open(file: &str, input: R) -> Result<Self, ImportError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .trim(csv::Trim::All)
            .from_reader(input);
        let header = reader
            .headers()
            .map_err(|e| ImportError::File {
                file: file.into(),
                message: format!("cannot read the header line: {e}"),
            })?
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').to_string())
            .collect();
        Ok(Csv {
            file: file.into(),
            header,
            reader,
        })
    }

    /// The record just read at `line`, for errors that point at its columns.
    pub(crate) fn rec<'a>(&'a self, line: u64, rec: &'a csv::StringRecord) -> Rec<'a> {
        Rec {
            file: &self.file,
            header: &self.header,
            line,
            rec,
        }
    }

    /// The index of a column the mapping names; `required` columns must exist.
    /// An optional column: absent is fine under its default name, but a column the mapping
    /// names (another name than the default) must exist, so a typo in a mapping is not
    /// silently read as "no such column" (which would also change the rows' ids).
    pub(crate) fn optional(&self, name: &str, default: &str) -> Result<Option<usize>, ImportError> {
        self.column(name, name != default)
    }

    pub(crate) fn column(&self, name: &str, required: bool) -> Result<Option<usize>, ImportError> {
        match self
            .header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
        {
            Some(i) => Ok(Some(i)),
            None if required => Err(ImportError::File {
                file: self.file.clone(),
                message: format!(
                    "no column {name:?} in the header ({}); name it in a mapping file (--map)",
                    self.header.join(", ")
                ),
            }),
            None => Ok(None),
        }
    }
}

/// A record being read: errors point at its line and columns.
pub(crate) struct Rec<'a> {
    file: &'a str,
    header: &'a [String],
    line: u64,
    rec: &'a csv::StringRecord,
}

impl Rec<'_> {
    pub(crate) fn err(&self, col: Option<usize>, message: impl Into<String>) -> ImportError {
        ImportError::Row {
            file: self.file.into(),
            line: self.line,
            column: col.map(|i| (i + 1, self.header[i].clone())),
            message: message.into(),
        }
    }
    pub(crate) fn get(&self, col: Option<usize>) -> Option<&str> {
        col.and_then(|i| self.rec.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
    pub(crate) fn required(&self, col: usize) -> Result<&str, ImportError> {
        self.get(Some(col))
            .ok_or_else(|| self.err(Some(col), "is empty"))
    }
    pub(crate) fn parse<T>(
        &self,
        col: usize,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, ImportError> {
        let v = self.required(col)?;
        f(v).map_err(|e| self.err(Some(col), e))
    }
}

/// The next record that is not empty (spreadsheets export trailing rows of bare commas), with
/// its line and byte offset.
pub(crate) fn read_record<R: Read>(
    csv: &mut Csv<R>,
    rec: &mut csv::StringRecord,
) -> Result<Option<(u64, u64)>, ImportError> {
    loop {
        match read_one(csv, rec)? {
            Some(_) if rec.iter().all(|f| f.trim().is_empty()) => continue,
            other => return Ok(other),
        }
    }
}

pub(super) fn read_one<R: Read>(
    csv: &mut Csv<R>,
    rec: &mut csv::StringRecord,
) -> Result<Option<(u64, u64)>, ImportError> {
    match csv.reader.read_record(rec) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(
            rec.position().map_or((0, 0), |p| (p.line(), p.byte())),
        )),
        Err(e) => {
            let line = e.position().map_or(0, |p| p.line());
            Err(ImportError::Row {
                file: csv.file.clone(),
                line,
                column: None,
                message: match e.kind() {
                    csv::ErrorKind::UnequalLengths {
                        expected_len, len, ..
                    } => format!("has {len} fields; the header has {expected_len}"),
                    csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".into(),
                    _ => e.to_string(),
                },
            })
        }
    }
}
