//! Spans of instants: the periods during which something was exposed or covered; most rules are "exposure minus cover", each gap one finding.

use super::*;

/// A half-open span of instants `[start, end)` in microseconds since the Unix epoch;
/// `end == i64::MAX` means it has not ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start: i64,
    pub end: i64,
}

impl Span {
    /// `[start, end)`, `end` = `None` for a span that has not ended.
    pub fn new(start: Timestamp, end: Option<Timestamp>) -> Span {
        Span {
            start: start.micros(),
            end: end.map_or(i64::MAX, |e| e.micros()),
        }
    }
    /// The whole of `[from, ∞)`.
    pub fn from(start: Timestamp) -> Span {
        Span::new(start, None)
    }
    /// The UK calendar dates `from..=until` (inclusive), `until` = `None` for no end.
    pub fn dates(from: NaiveDate, until: Option<NaiveDate>) -> Span {
        Span {
            start: day_start(from).micros(),
            end: until.map_or(i64::MAX, |u| day_end(u).micros() + 1),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
    /// The start as a timestamp.
    pub fn start_ts(&self) -> Timestamp {
        Timestamp::from_micros(self.start).expect("span starts are real instants")
    }
    /// The end as a timestamp, `None` when open-ended.
    pub fn end_ts(&self) -> Option<Timestamp> {
        (self.end != i64::MAX).then(|| Timestamp::from_micros(self.end).expect("in range"))
    }
}

/// A set of instants: sorted, disjoint, non-adjacent, non-empty spans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spans(Vec<Span>);

impl Spans {
    /// Normalises any spans into a set.
    pub fn new(spans: impl IntoIterator<Item = Span>) -> Spans {
        let mut v: Vec<Span> = spans.into_iter().filter(|s| !s.is_empty()).collect();
        v.sort_by_key(|s| s.start);
        let mut out: Vec<Span> = Vec::with_capacity(v.len());
        for s in v {
            match out.last_mut() {
                Some(l) if s.start <= l.end => l.end = l.end.max(s.end),
                _ => out.push(s),
            }
        }
        Spans(out)
    }
    /// Every instant.
    pub fn all() -> Spans {
        Spans(vec![Span {
            start: i64::MIN,
            end: i64::MAX,
        }])
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn spans(&self) -> &[Span] {
        &self.0
    }
    /// Whether the instant `t` is in the set.
    pub fn contains(&self, t: i64) -> bool {
        self.0.iter().any(|s| s.start <= t && t < s.end)
    }
    pub fn union(&self, other: &Spans) -> Spans {
        Spans::new(self.0.iter().chain(&other.0).copied())
    }
    pub fn intersect(&self, other: &Spans) -> Spans {
        let mut out = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < self.0.len() && j < other.0.len() {
            let (a, b) = (self.0[i], other.0[j]);
            let s = Span {
                start: a.start.max(b.start),
                end: a.end.min(b.end),
            };
            if !s.is_empty() {
                out.push(s);
            }
            if a.end < b.end {
                i += 1;
            } else {
                j += 1;
            }
        }
        Spans::new(out)
    }
    /// The instants not in the set.
    pub fn complement(&self) -> Spans {
        let mut out = Vec::new();
        let mut from = i64::MIN;
        for s in &self.0 {
            out.push(Span {
                start: from,
                end: s.start,
            });
            from = s.end;
        }
        out.push(Span {
            start: from,
            end: i64::MAX,
        });
        Spans::new(out)
    }
    /// The instants in `self` and not in `other`.
    pub fn minus(&self, other: &Spans) -> Spans {
        self.intersect(&other.complement())
    }
    /// Cut at the instant `as_of` inclusive: nothing after it.
    pub fn until_inclusive(&self, as_of: Timestamp) -> Spans {
        self.intersect(&Spans(vec![Span {
            start: i64::MIN,
            end: as_of.micros().saturating_add(1),
        }]))
    }
}
