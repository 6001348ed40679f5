use super::*;

#[test]
fn every_rule_is_listed_once_in_order() {
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    let want: Vec<String> = (1..=18).map(|i| format!("R{i}")).collect();
    assert_eq!(ids, want);
    assert!(
        RULES
            .iter()
            .all(|r| !r.source.is_empty() && !r.title.is_empty())
    );
    assert_eq!(rule("r3").map(|r| r.id), Some("R3"));
    assert!(rule("R19").is_none());
}
