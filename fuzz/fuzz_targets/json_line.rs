//! JSON Lines event parsing (`igl append` / `igl sign` input): errors are fine, panics are not.
//! A signed line that parses writes back to a line that parses to the same submission; a draft
//! that parses can be signed, and the signed line parses back.
#![no_main]

use igl_schema::json::{self, Line};
use igl_schema::{EventId, LedgerId, Salt, SigningKey, codec};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match json::parse_line(text) {
        Ok(Line::Signed(sub)) => {
            let line = serde_json::Value::Object(json::submission_json(&sub)).to_string();
            let Ok(Line::Signed(back)) = json::parse_line(&line) else {
                panic!("a parsed signed line does not parse back: {line}");
            };
            assert_eq!(codec::encode(&back.event), codec::encode(&sub.event));
        }
        Ok(Line::Draft(draft)) => {
            let key = SigningKey::from_bytes(&[3; 32]);
            if let Ok(sub) = draft.sign(LedgerId([1; 16]), &key, EventId([1; 16]), Salt([2; 32])) {
                let line = serde_json::Value::Object(json::submission_json(&sub)).to_string();
                let Ok(Line::Signed(back)) = json::parse_line(&line) else {
                    panic!("a signed draft does not parse back: {line}");
                };
                assert_eq!(back, sub);
            }
        }
        Err(_) => {}
    }
});
