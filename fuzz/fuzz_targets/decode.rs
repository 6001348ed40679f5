//! Canonical decoding of every stored structure (entries, event bodies, signed events, seals,
//! payloads): errors are fine, panics are not, and whatever decodes re-encodes to exactly the
//! input bytes.
#![no_main]

use igl_schema::{Entry, Event, EventBody, Payload, Seal, SealBody, SignedEvent, codec};
use libfuzzer_sys::fuzz_target;

macro_rules! canonical {
    ($t:ty, $data:expr) => {
        codec::decode::<$t>($data).ok().inspect(|v| {
            assert_eq!(
                codec::encode(v),
                $data,
                "{} decoded but is not canonical",
                stringify!($t)
            )
        })
    };
}

fuzz_target!(|data: &[u8]| {
    if let Some(e) = canonical!(Entry, data) {
        let _ = e.hash();
        let _ = e.event.verify_signature();
        let _ = e.event.body.validate();
    }
    if let Some(b) = canonical!(EventBody, data) {
        let _ = b.validate();
    }
    canonical!(Event, data);
    if let Some(s) = canonical!(SignedEvent, data) {
        let _ = s.verify_signature();
        let _ = igl_schema::json::event_json(&s);
    }
    if let Some(s) = canonical!(Seal, data) {
        let _ = s.verify_signature();
    }
    canonical!(SealBody, data);
    canonical!(Payload, data);
});
