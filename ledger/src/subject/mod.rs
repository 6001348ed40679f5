//! Everything about one subject, for the data-protection rights: the statutory clocks of
//! subject-rights requests ([`requests`]), the subject access answer with the third-party rule
//! ([`sar`]), and the SAR pack that proves it to someone who trusts no one's machine ([`pack`]).
//! The list of entries about a subject comes from the subject index ([`crate::index`],
//! [`crate::subject_map`]).

pub mod pack;
pub mod requests;
pub mod sar;
