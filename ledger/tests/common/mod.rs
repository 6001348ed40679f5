pub mod harness;

/// The body of the fenced block after the line `<!-- golden-KIND:NAME -->` in `doc` (FORMAT.md),
/// trimmed: what a golden-vector test compares with what the code computes.
#[allow(dead_code)]
pub fn golden_block(doc: &str, kind: &str, name: &str) -> Option<String> {
    let marker = format!("<!-- golden-{kind}:{name} -->");
    let mut lines = doc.lines().skip_while(|l| l.trim() != marker).skip(1);
    lines.next()?;
    Some(
        lines
            .take_while(|l| !l.starts_with("```"))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string(),
    )
}
