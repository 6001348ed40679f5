//! README's "A ledger of your own", run literally with the real binary: its commands as written,
//! its example events as written (the placeholder key replaced by a real one). The council named
//! at `init` is the council from the beginning, so the example, dated months before the genesis
//! entry, audits with only what it really violates: the grant has no countersigned declaration
//! (R1) and no Protecting Information training (R2). Not R4 (third party without sponsor) nor R8/
//! R9 (partner without agreements), which a council taken for a third party would draw.

use std::collections::BTreeSet;

use crate::util::Dir;

/// The fenced block of `lang` that follows `heading` in README.md.
fn block(readme: &str, heading: &str, lang: &str) -> String {
    let at = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    let rest = &readme[at..];
    let open = format!("```{lang}\n");
    let start = rest.find(&open).expect("a fenced block") + open.len();
    let len = rest[start..].find("```").expect("a closed block");
    rest[start..start + len].to_string()
}

#[test]
fn readmes_own_ledger_example_audits_with_only_what_it_violates() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let heading = "### A ledger of your own";
    let commands = block(&readme, heading, "sh");
    let events = block(&readme, heading, "json");
    let d = Dir::new();
    // The manager's key the example enrols (README writes "<64 hex digits>").
    let manager = d.new_key("manager.key");
    d.write(
        "events.jsonl",
        events.replace("<64 hex digits>", &manager.public),
    );
    let mut ran = 0;
    for line in commands.lines() {
        let cmd = line.split('#').next().unwrap().trim();
        if cmd.is_empty() {
            continue;
        }
        let words: Vec<String> = shell_words(cmd);
        assert_eq!(words[0], "igl", "{line}");
        d.igl().args(&words[1..]).ok();
        ran += 1;
    }
    assert_eq!(ran, 3, "key new, init, append");

    let audit = d
        .igl()
        .args(["--ledger", "council-ledger", "audit", "--json"])
        .fails(1);
    let rules: BTreeSet<String> = crate::util::parse_jsonl(&audit.0)
        .iter()
        .filter(|v| v["record"] == "finding")
        .map(|v| v["rule"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        rules,
        BTreeSet::from(["R1".to_string(), "R2".to_string()]),
        "{}",
        audit.0
    );
    // And `igl org` calls the council the council.
    let org = d
        .igl()
        .args([
            "--ledger",
            "council-ledger",
            "org",
            "plymouth-city-council",
            "--json",
        ])
        .json();
    assert_eq!(org["council"], true, "{org}");
}

/// Splits a command line on spaces, keeping "double-quoted words" whole.
fn shell_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}
