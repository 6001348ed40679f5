//! Offline bundle verification (`igl verify-bundle`) on arbitrary text: errors are fine, panics
//! are not. Input that is bundle JSON but not canonical is also verified in canonical form, so the
//! fuzzer reaches the checks past the canonical-form test.
#![no_main]

use igl_ledger::bundle::{self, Bundle, Trust};
use igl_schema::PublicKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let key = PublicKey([7; 32]);
    let _ = bundle::verify(text, Trust::BundleOnly);
    let _ = bundle::verify(text, Trust::Key(&key));
    if let Ok(b) = serde_json::from_str::<Bundle>(text) {
        let canonical = b.to_text();
        let _ = bundle::verify_detailed(&canonical, Trust::BundleOnly);
    }
});
