//! A council for tests and benchmarks (feature `testkit`, which only dev-dependencies turn on:
//! never in the binary). Deterministic keys ([`key_for`]), the genesis entry ([`Genesis`]) and
//! [`Council`], a ledger in a temporary directory that signs each governance event with a key
//! whose role may write it. The ledger's own tests, the CLI's, the terminal UI's and the
//! benchmarks build their ledgers with it instead of writing a genesis entry by hand.
//!
//! Everything here panics on error: a test kit's failure is the test's.

use std::path::Path;

use igl_schema::{
    BreachId, Date, DeviceId, Event, EventId, GrantId, LedgerCreated, LedgerId, OrgId, PersonId,
    RecordId, RequestId, Salt, SigningKey, Subject, Submission, SystemId, Timestamp, public_key,
};

use crate::store::Ledger;

mod council;

pub use council::{Council, EARLY, RECORDED};

/// An instant written RFC 3339.
pub fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}
/// A date written `YYYY-MM-DD`.
pub fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}
pub fn pid(s: &str) -> PersonId {
    PersonId::new(s).unwrap()
}
pub fn org(s: &str) -> OrgId {
    OrgId::new(s).unwrap()
}
pub fn gid(s: &str) -> GrantId {
    GrantId::new(s).unwrap()
}
/// The case system every test grant is to.
pub fn sys() -> SystemId {
    SystemId::new("Eclipse").unwrap()
}
pub fn dev(s: &str) -> DeviceId {
    DeviceId::new(s).unwrap()
}
pub fn rid(s: &str) -> RequestId {
    RequestId::new(s).unwrap()
}
pub fn bid(s: &str) -> BreachId {
    BreachId::new(s).unwrap()
}
/// `service-user:ID`.
pub fn su(s: &str) -> Subject {
    Subject::ServiceUser(RecordId::new(s).unwrap())
}

/// The event id and salt of the `n`th event a test signs: `n` little-endian in the first eight
/// bytes, zeros after (the same on every run).
pub fn numbered(n: u64) -> (EventId, Salt) {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&n.to_le_bytes());
    let mut salt = [0u8; 32];
    salt[..8].copy_from_slice(&n.to_le_bytes());
    (EventId(id), Salt(salt))
}

/// The signing key named `label`: the same key for the same label, in every run.
pub fn key_for(label: &str) -> SigningKey {
    SigningKey::from_bytes(blake3::hash(label.as_bytes()).as_bytes())
}

/// A ledger's genesis entry (`LedgerCreated`), signed by its admin. By default: organisation
/// `council` ("Test Council"), admin `P1`, event id and salt all zero bytes.
#[derive(Clone, Debug)]
pub struct Genesis {
    pub ledger_id: LedgerId,
    pub at: Timestamp,
    pub organisation: OrgId,
    pub organisation_name: String,
    pub admin_person: PersonId,
    pub event_id: EventId,
    pub salt: Salt,
}

impl Genesis {
    /// The genesis of ledger `ledger_id`, occurring at `at`.
    pub fn new(ledger_id: LedgerId, at: Timestamp) -> Genesis {
        Genesis {
            ledger_id,
            at,
            organisation: org("council"),
            organisation_name: "Test Council".into(),
            admin_person: pid("P1"),
            event_id: EventId([0; 16]),
            salt: Salt([0; 32]),
        }
    }

    /// The council: its organisation id and name.
    pub fn council(mut self, id: &str, name: &str) -> Genesis {
        self.organisation = org(id);
        self.organisation_name = name.into();
        self
    }

    /// The admin's person id.
    pub fn admin(mut self, person: &str) -> Genesis {
        self.admin_person = pid(person);
        self
    }

    pub fn event_id(mut self, id: EventId) -> Genesis {
        self.event_id = id;
        self
    }

    pub fn salt(mut self, salt: Salt) -> Genesis {
        self.salt = salt;
        self
    }

    /// The genesis entry, signed by `admin` (whose key it enrols).
    pub fn sign(&self, admin: &SigningKey) -> Submission {
        Submission::sign(
            self.ledger_id,
            Event::LedgerCreated(LedgerCreated {
                ledger_id: self.ledger_id,
                organisation: self.organisation.clone(),
                organisation_name: self.organisation_name.clone(),
                admin_key: public_key(admin),
                admin_person: self.admin_person.clone(),
            }),
            self.at,
            self.event_id,
            [],
            admin,
            self.salt,
        )
        .unwrap()
    }

    /// A new ledger at `path` with this genesis, appended by `admin` at `recorded_at`.
    pub fn create(&self, path: &Path, admin: &SigningKey, recorded_at: Timestamp) -> Ledger {
        Ledger::create(path, &self.sign(admin), admin, recorded_at)
            .unwrap()
            .0
    }
}
