use super::*;

const FAST: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};

fn dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn an_encrypted_key_opens_with_its_passphrase_only() {
    let d = dir();
    let p = d.path().join("k");
    let key = create_protected(&p, &Protect::Passphrase("correct horse", FAST)).unwrap();
    let text = fs::read_to_string(&p).unwrap();
    assert!(text.contains("igl-secret-key-v2:"), "{text}");
    assert!(text.contains(":argon2id:m=64,t=1,p=1:"), "{text}");
    assert!(
        !text.contains(&hex::encode(key.to_bytes())),
        "the seed is not in the file"
    );
    let f = read(&p).unwrap();
    assert_eq!(f.protection(), Protection::Passphrase(FAST));
    let got = f
        .unlock(|| Ok::<_, KeyFileError>(Zeroizing::new("correct horse".into())))
        .unwrap();
    assert_eq!(got.to_bytes(), key.to_bytes());
    let err = f
        .unlock(|| Ok::<_, KeyFileError>(Zeroizing::new("correct horsf".into())))
        .err()
        .unwrap();
    assert!(matches!(err, KeyFileError::WrongPassphrase { .. }), "{err}");
    assert!(matches!(load(&p), Err(KeyFileError::Encrypted { .. })));
}

#[test]
fn every_field_of_the_key_line_is_authenticated() {
    let d = dir();
    let p = d.path().join("k");
    create_protected(&p, &Protect::Passphrase("correct horse", FAST)).unwrap();
    let text = fs::read_to_string(&p).unwrap();
    let line = text.lines().find(|l| l.starts_with(HEADER_V2)).unwrap();
    // Change one hex digit in each field (public key, salt, nonce, ciphertext) and the
    // parameters: never accepted, never a panic.
    let fields: Vec<usize> = line
        .char_indices()
        .filter(|&(_, c)| c == ':')
        .map(|(i, _)| i + 1)
        .collect();
    for &at in &[fields[0], fields[3], fields[5], fields[6], line.len() - 1] {
        let mut bytes = line.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        let changed = String::from_utf8(bytes).unwrap();
        let r = parse(&p, &changed)
            .and_then(|f| f.unlock(|| Ok(Zeroizing::new("correct horse".into()))));
        assert!(r.is_err(), "accepted a change at {at}: {changed}");
    }
    let weaker = line.replace(":m=64,t=1,p=1:", ":m=32,t=1,p=1:");
    let r = parse(&p, &weaker)
        .unwrap()
        .unlock(|| Ok::<_, KeyFileError>(Zeroizing::new("correct horse".into())));
    assert!(matches!(r, Err(KeyFileError::WrongPassphrase { .. })));
}

#[test]
fn kdf_parameters_are_bounded() {
    assert_eq!(
        KdfParams::parse("m=65536,t=3,p=1").unwrap(),
        KdfParams::DEFAULT
    );
    for bad in [
        "",
        "m=65536",
        "m=65536,t=3",
        "m=65536,t=3,p=1,x=2",
        "t=3,m=65536,p=1",
        "m=4,t=1,p=1",
        "m=2097152,t=1,p=1",
        "m=65536,t=0,p=1",
        "m=65536,t=3,p=0",
        "m=65536,t=3,p=99",
        "m=+1,t=1,p=1",
        "m=99999999999,t=1,p=1",
    ] {
        assert!(KdfParams::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn replace_changes_the_protection_and_leaves_no_temporary_file() {
    let d = dir();
    let p = d.path().join("k");
    let key = create(&p).unwrap();
    let f = read(&p).unwrap();
    assert_eq!(f.protection(), Protection::Plain);
    replace(&f, &key, &Protect::Passphrase("a long passphrase", FAST)).unwrap();
    let names: Vec<_> = fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("k")]);
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let f = read(&p).unwrap();
    assert!(f.is_encrypted());
    // A passphrase too short is refused before anything is written.
    let before = fs::read(&p).unwrap();
    assert!(matches!(
        replace(&f, &key, &Protect::Passphrase("short", FAST)),
        Err(KeyFileError::WeakPassphrase)
    ));
    assert_eq!(fs::read(&p).unwrap(), before);
    replace(&f, &key, &Protect::Plain).unwrap();
    assert_eq!(load(&p).unwrap().to_bytes(), key.to_bytes());
}

#[test]
fn passphrase_files_are_checked_like_key_files() {
    let d = dir();
    let p = d.path().join("pass");
    fs::write(&p, "  two words \r\nsecond line\n").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        read_passphrase_file(&p),
        Err(KeyFileError::TooOpen { .. })
    ));
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(read_passphrase_file(&p).unwrap().as_str(), "  two words ");
    fs::write(&p, "\nx\n").unwrap();
    assert!(matches!(
        read_passphrase_file(&p),
        Err(KeyFileError::EmptyPassphraseFile { .. })
    ));
}
