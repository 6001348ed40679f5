//! Small value types: identifiers, keys, hashes, times and the closed enumerations of the catalogue.

use std::fmt;
use std::str::FromStr;

use bincode::de::Decoder;
use bincode::enc::Encoder;
use bincode::error::{DecodeError, EncodeError};
use bincode::{Decode, Encode};
use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, Timelike, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest identifier accepted (bytes).
pub const MAX_ID_LEN: usize = 64;

fn check_id(s: &str) -> Result<(), String> {
    if s.is_empty() {
        return Err("must not be empty".into());
    }
    if s.len() > MAX_ID_LEN {
        return Err(format!(
            "is {} bytes long; the limit is {MAX_ID_LEN}",
            s.len()
        ));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '@')))
    {
        return Err(format!(
            "contains {c:?}; identifiers use letters, digits and - _ . / @"
        ));
    }
    Ok(())
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident, $what:literal) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// What this identifier names, for error messages.
            pub const WHAT: &'static str = $what;
            /// Validates and wraps an identifier.
            pub fn new(s: impl Into<String>) -> Result<Self, String> {
                let s = s.into();
                check_id(&s).map_err(|e| format!("{} {s:?} {e}", $what))?;
                Ok(Self(s))
            }
            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::new(s)
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::new(s).map_err(serde::de::Error::custom)
            }
        }
        impl Encode for $name {
            fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
                self.0.encode(e)
            }
        }
        impl<C> Decode<C> for $name {
            fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
                let s = String::decode(d)?;
                Self::new(s).map_err(|e| DecodeError::OtherString(e))
            }
        }
        bincode::impl_borrow_decode!($name);
    };
}

id_type!(
    /// A member of staff's personnel number (also used for partner staff), e.g. `P01234`.
    PersonId,
    "person id"
);
id_type!(
    /// An organisation, e.g. `plymouth-cc`.
    OrgId,
    "organisation id"
);
id_type!(
    /// A service user's case-record id in a social-care system, e.g. `SU-004213`.
    RecordId,
    "service-user record id"
);
id_type!(
    /// An access grant, e.g. `G-2026-0042`.
    GrantId,
    "grant id"
);
id_type!(
    /// A case-management system, e.g. `Eclipse` or `Mosaic`.
    SystemId,
    "system"
);
id_type!(
    /// A published policy, e.g. `mosaic-security-policy`.
    PolicyId,
    "policy id"
);
id_type!(
    /// A policy version, e.g. `2024.1`.
    Version,
    "version"
);
id_type!(
    /// A training course, e.g. `protecting-information`.
    CourseId,
    "course"
);
id_type!(
    /// A device's asset tag or id, e.g. `PCC-LT-0192`.
    DeviceId,
    "device id"
);
id_type!(
    /// An access-review campaign, e.g. `AR-2026-Q4-ECLIPSE`.
    CampaignId,
    "campaign id"
);
id_type!(
    /// A breach case, e.g. `BR-2026-003`.
    BreachId,
    "breach id"
);
id_type!(
    /// A subject-rights request, e.g. `SRR-2026-011`.
    RequestId,
    "request id"
);

macro_rules! bytes_type {
    ($(#[$m:meta])* $name:ident, $n:literal, $what:literal) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
        pub struct $name(pub [u8; $n]);

        impl $name {
            /// Parses lowercase or uppercase hex of exactly the right length.
            pub fn from_hex(s: &str) -> Result<Self, String> {
                let mut out = [0u8; $n];
                hex::decode_to_slice(s, &mut out).map_err(|_| {
                    format!("{} must be {} hex digits, got {:?}", $what, 2 * $n, s)
                })?;
                Ok(Self(out))
            }
            /// Lowercase hex.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_hex())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

bytes_type!(
    /// A signed-note key id: the first four bytes of `SHA-256(name || "\n" || type || key)`.
    KeyId,
    4,
    "key id"
);
bytes_type!(
    /// A blake3 hash.
    Hash32,
    32,
    "hash"
);
bytes_type!(
    /// An ed25519 public key. Keys are identified by their full public key.
    PublicKey,
    32,
    "public key"
);
bytes_type!(
    /// An ed25519 signature.
    Signature64,
    64,
    "signature"
);
bytes_type!(
    /// A random 128-bit event id: the nonce that makes every event unique, so a signed event
    /// cannot be appended twice.
    EventId,
    16,
    "event id"
);
bytes_type!(
    /// A random 128-bit id fixed at genesis that names one ledger.
    LedgerId,
    16,
    "ledger id"
);
bytes_type!(
    /// The per-entry secret salt keying the personal-data commitments.
    Salt,
    32,
    "salt"
);

impl Hash32 {
    /// The all-zero hash: the `prev_hash` of entry 0, and the key-history commitment of no key
    /// events.
    pub const ZERO: Hash32 = Hash32([0; 32]);
}

impl Default for Hash32 {
    /// [`Hash32::ZERO`].
    fn default() -> Self {
        Hash32::ZERO
    }
}

impl PublicKey {
    /// A short form for humans: the first 12 hex digits.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_string()
    }
}

/// An instant in UTC with microsecond precision. Canonically an `i64` count of microseconds
/// since 1970-01-01T00:00:00Z; in JSON an RFC 3339 string.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Wraps an instant, refusing sub-microsecond precision so the canonical form is exact.
    pub fn new(t: DateTime<Utc>) -> Result<Self, String> {
        if t.nanosecond() >= 1_000_000_000 {
            return Err(format!(
                "{} is a leap second; igl does not record leap seconds",
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            ));
        }
        if !t.nanosecond().is_multiple_of(1000) {
            return Err(format!(
                "{} has sub-microsecond precision; igl records microseconds",
                t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
            ));
        }
        Ok(Self(t))
    }
    /// Truncates an instant to microseconds (for clocks).
    pub fn truncate(t: DateTime<Utc>) -> Self {
        Self::from_micros(t.timestamp_micros()).expect("a clock reading is in range")
    }
    /// The current time, truncated to microseconds.
    pub fn now() -> Self {
        Self::truncate(Utc::now())
    }
    /// From microseconds since the Unix epoch.
    pub fn from_micros(us: i64) -> Option<Self> {
        DateTime::<Utc>::from_timestamp_micros(us).map(Self)
    }
    /// Microseconds since the Unix epoch.
    pub fn micros(&self) -> i64 {
        self.0.timestamp_micros()
    }
    /// The chrono value.
    pub fn datetime(&self) -> DateTime<Utc> {
        self.0
    }
    /// The calendar date (UTC).
    pub fn date(&self) -> Date {
        Date(self.0.date_naive())
    }
    /// Parses RFC 3339 (any offset; converted to UTC).
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = DateTime::parse_from_rfc3339(s).map_err(|e| {
            format!("{s:?} is not an RFC 3339 time ({e}); write e.g. 2026-03-01T09:00:00Z")
        })?;
        Self::new(t.with_timezone(&Utc))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }
}
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
impl Encode for Timestamp {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.micros().encode(e)
    }
}
impl<C> Decode<C> for Timestamp {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let us = i64::decode(d)?;
        Self::from_micros(us)
            .ok_or_else(|| DecodeError::OtherString(format!("timestamp {us} out of range")))
    }
}
bincode::impl_borrow_decode!(Timestamp);

/// A calendar date. Canonically an `i32` count of days since 1970-01-01; in JSON `YYYY-MM-DD`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Date(pub NaiveDate);

const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

impl Date {
    /// Days since 1970-01-01.
    pub fn days(&self) -> i32 {
        self.0.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
    }
    /// From days since 1970-01-01.
    pub fn from_days(days: i32) -> Option<Self> {
        days.checked_add(UNIX_EPOCH_DAYS_FROM_CE)
            .and_then(NaiveDate::from_num_days_from_ce_opt)
            .map(Self)
    }
    /// From year, month, day.
    pub fn ymd(y: i32, m: u32, d: u32) -> Option<Self> {
        NaiveDate::from_ymd_opt(y, m, d).map(Self)
    }
    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Result<Self, String> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Self)
            .map_err(|_| format!("{s:?} is not a date; write YYYY-MM-DD, e.g. 2026-03-01"))
    }
}
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}
impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
impl Encode for Date {
    fn encode<E: Encoder>(&self, e: &mut E) -> Result<(), EncodeError> {
        self.days().encode(e)
    }
}
impl<C> Decode<C> for Date {
    fn decode<D: Decoder<Context = C>>(d: &mut D) -> Result<Self, DecodeError> {
        let days = i32::decode(d)?;
        Self::from_days(days)
            .ok_or_else(|| DecodeError::OtherString(format!("date {days} out of range")))
    }
}
bincode::impl_borrow_decode!(Date);

macro_rules! closed_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $v:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $s)] $v),+
        }
        impl $name {
            /// Every value, in canonical (tag) order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];
            /// The JSON / CLI name.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$v => $s),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$v),)+
                    _ => Err(format!(
                        "unknown {} {s:?}; expected one of: {}",
                        $what,
                        [$($s),+].join(", ")
                    )),
                }
            }
        }
    };
}

closed_enum!(
    /// What a key may sign. See `Event::allowed_roles`.
    Role, "role" {
        Admin = "admin",
        IgOfficer = "ig_officer",
        Manager = "manager",
        Staff = "staff",
        SystemFeed = "system_feed",
        Auditor = "auditor",
    }
);
closed_enum!(
    /// Whether an organisation is the council itself or a partner.
    OrgKind, "organisation kind" {
        Council = "council",
        Partner = "partner",
    }
);
closed_enum!(
    /// Agreements a partner signs before its staff get access (Eclipse MoU).
    AgreementKind, "agreement kind" {
        /// Information-sharing agreement.
        Isa = "isa",
        /// Summary data protection impact assessment.
        Dpia = "dpia",
        /// Full DPIA, an alternative to external accreditation.
        FullDpia = "full_dpia",
    }
);
closed_enum!(
    /// External security accreditations (Eclipse MoU, "Organisational security").
    Scheme, "accreditation scheme" {
        /// NHS Data Security and Protection Toolkit.
        NhsDspt = "nhs_dspt",
        /// Cyber Essentials Plus.
        CyberEssentialsPlus = "cyber_essentials_plus",
    }
);
closed_enum!(
    /// Why access was removed.
    RevocationReason, "revocation reason" {
        Leaver = "leaver",
        Suspension = "suspension",
        Violation = "violation",
        NoLongerNeeded = "no_longer_needed",
        Review = "review",
    }
);
closed_enum!(
    /// What kind of personal-data breach was reported.
    BreachKind, "breach kind" {
        Loss = "loss",
        Theft = "theft",
        UnauthorisedDisclosure = "unauthorised_disclosure",
        UnauthorisedAccess = "unauthorised_access",
        Other = "other",
    }
);
closed_enum!(
    /// The data-protection right exercised (UK GDPR Arts. 15–21).
    Right, "right" {
        Access = "access",
        Rectification = "rectification",
        Erasure = "erasure",
        Restriction = "restriction",
        Portability = "portability",
        Objection = "objection",
    }
);

closed_enum!(
    /// A reviewer's decision on a grant in an access-review campaign.
    ReviewDecision, "review decision" {
        /// The access is still needed as it is.
        Keep = "keep",
        /// The access is no longer needed: remove it.
        Revoke = "revoke",
        /// The access is needed with another role: remove this grant and grant that role.
        Change = "change",
    }
);

/// Someone an event is about: a member of staff or a service user. Written `person:ID` or
/// `service-user:ID`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Encode, Decode)]
pub enum Subject {
    Person(PersonId),
    ServiceUser(RecordId),
}

impl Subject {
    /// Parses `person:ID` or `service-user:ID`.
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(id) = s.strip_prefix("person:") {
            Ok(Subject::Person(PersonId::new(id)?))
        } else if let Some(id) = s.strip_prefix("service-user:") {
            Ok(Subject::ServiceUser(RecordId::new(id)?))
        } else {
            Err(format!(
                "subject {s:?} must be written person:ID or service-user:ID"
            ))
        }
    }
    /// The bare id.
    pub fn id(&self) -> &str {
        match self {
            Subject::Person(p) => p.as_str(),
            Subject::ServiceUser(r) => r.as_str(),
        }
    }
}
impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Person(p) => write!(f, "person:{p}"),
            Subject::ServiceUser(r) => write!(f, "service-user:{r}"),
        }
    }
}
impl FromStr for Subject {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::parse(s)
    }
}
impl Serialize for Subject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}
impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
