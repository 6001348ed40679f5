//! The README's walkthrough, end to end with the real binary on 127.0.0.1: the council's
//! checkpoint is cosigned by a partner's witness over HTTP and recorded; the council publishes its
//! log as tlog-tiles; an auditor who trusts only the council's checkpoint key and the witness's
//! verifier key checks the published log and a subject bundle against the cosigned checkpoint.

use serde_json::Value;

use crate::util::{Council, grant, person, training};
use crate::witness_http::{Server, origin};

#[test]
fn a_partner_witnesses_the_council_publishes_and_an_auditor_checks_from_outside() {
    let c = Council::new();
    c.append(
        &c.ig,
        &[
            person("P100", "Ada Lovelace"),
            grant("G-1", "P100", "Case work"),
            training("P100", 20),
        ],
    );
    // Last month's checkpoint (a council signs one regularly): the subject bundle below proves
    // its list complete up to the latest checkpoint recorded inside the one it is proved
    // against.
    c.igl().args(["checkpoint", "--key"]).arg(&c.ig.path).ok();

    // The partner council runs a witness trusting the council's checkpoint key, given as the
    // log's verifier key (as other witnesses are configured).
    let partner_key = c.dir.new_key("partner-witness.key");
    let log_vkey = igl_schema::note::VerifierKey::log(
        &origin(&c),
        igl_schema::PublicKey::from_hex(&c.ig.public).unwrap(),
    )
    .to_vkey();
    let w = Server::start(
        &c.dir,
        &partner_key,
        &c.dir.join("partner-state"),
        &[(origin(&c), format!("vkey:{log_vkey}"))],
    );

    // The council's checkpoint is recorded only with the witness's cosignature.
    let cp = c
        .igl()
        .env("NO_PROXY", "127.0.0.1")
        .args(["checkpoint", "--json", "--key"])
        .arg(&c.ig.path)
        .args(["--witness", &w.vkey, &w.url, "--quorum", "1"])
        .json();
    assert_eq!(cp["recorded"], true, "{cp}");

    // The council publishes; the published checkpoint carries the cosignature.
    let site = c.dir.join("site");
    c.igl().arg("publish").arg(&site).ok();
    let published = std::fs::read_to_string(site.join("checkpoint")).unwrap();
    assert_eq!(published, cp["note"].as_str().unwrap());

    // The auditor: the published log verifies with the council's key and the witness's quorum...
    let v: Value = c
        .dir
        .igl()
        .arg("verify-published")
        .arg(&site)
        .args([
            "--trusted-key",
            &c.ig.public,
            "--witness",
            &w.vkey,
            "--json",
        ])
        .json();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(
        v["cosigners"],
        serde_json::json!(["partner.example/witness"]),
        "{v}"
    );
    // ... but not with a witness that did not cosign it.
    let stranger = c.dir.new_key("stranger.key");
    let stranger_vkey = igl_schema::note::VerifierKey::witness(
        "stranger.example/witness",
        igl_schema::PublicKey::from_hex(&stranger.public).unwrap(),
    )
    .to_vkey();
    c.dir
        .igl()
        .arg("verify-published")
        .arg(&site)
        .args(["--trusted-key", &c.ig.public, "--witness", &stranger_vkey])
        .fails(1);

    // An inclusion proof against the cosigned checkpoint, with no full verify.
    let p = c
        .igl()
        .args(["prove", "5", "--json", "--trusted-key", &c.ig.public])
        .args(["--witness", &w.vkey])
        .json();
    assert_eq!(p["verified"], true, "{p}");
    c.igl()
        .args(["prove", "5", "--trusted-key", &c.ig.public])
        .args(["--witness", &stranger_vkey])
        .fails(1);

    // A subject bundle, checked against the cosigned checkpoint the auditor fetched.
    let bundle = c.dir.join("p100.bundle.json");
    c.igl()
        .args(["bundle", "--subject", "P100", "--out"])
        .arg(&bundle)
        .ok();
    c.dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .arg("--checkpoint")
        .arg(site.join("checkpoint"))
        .args(["--witness", &w.vkey])
        .ok();
    // Witnesses alone anchor it together with the origin of the ledger expected.
    c.dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .args(["--witness", &w.vkey, "--origin", &origin(&c)])
        .ok();
    c.dir
        .igl()
        .arg("verify-bundle")
        .arg(&bundle)
        .args(["--trusted-key", &c.ig.public, "--witness", &stranger_vkey])
        .fails(1);
}
