//! Checkpoint (C2SP signed note) parsing: errors are fine, panics are not; what parses prints
//! back as the same text, and signature checks never panic.
#![no_main]

use igl_schema::PublicKey;
use igl_schema::note::SignedCheckpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(cp) = SignedCheckpoint::parse(text) else {
        return;
    };
    assert_eq!(cp.to_text(), text, "one note, one text");
    let again = SignedCheckpoint::parse(&cp.to_text()).expect("printed checkpoints parse");
    assert_eq!(again, cp, "a checkpoint changed through its text");
    let key = PublicKey([7; 32]);
    let _ = cp.verify(&key);
    for s in &cp.signatures {
        let _ = cp.cosigned_by(&s.name, &key);
    }
});
