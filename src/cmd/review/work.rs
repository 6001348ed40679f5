//! The reviewer's side: `igl review todo` (the worksheet) and `igl review decide` (decisions signed offline and appended).

use super::*;

pub(super) fn todo(a: TodoArgs, dir: &Path) -> Result<Outcome> {
    let reviewer = person_arg("--reviewer", &a.reviewer)?;
    let (state, now, cfg) = load(dir, &a.when)?;
    let c = find(&state, &a.campaign, now)?;
    if !c.items.iter().any(|i| i.reviewer == reviewer) {
        let reviewers: Vec<String> = c
            .reviewers(&state, now)
            .keys()
            .map(|p| p.to_string())
            .collect();
        bail!(
            "{reviewer} reviews nothing in campaign {}; its reviewers are {}",
            c.id,
            reviewers.join(", ")
        );
    }
    if let Some(path) = &a.worksheet {
        let n = if path == Path::new("-") {
            let o = std::io::stdout().lock();
            review::write_worksheet(o, c, &state, &reviewer, now)?
        } else {
            let f = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            review::write_worksheet(f, c, &state, &reviewer, now)
                .with_context(|| format!("writing {}", path.display()))?
        };
        if path != Path::new("-") {
            let ledger_id = Ledger::open_read_only(dir)?.ledger_id()?;
            eprintln!(
                "wrote {} item{} for {reviewer} to {} (personal data: for {reviewer} only).\n\
                 Fill in decision (keep, revoke or change), justification and, for a change, \
                 new_role; then, offline, with {reviewer}'s own key:\n  \
                 igl review decide {} --key {reviewer}.key --ledger-id {} > decisions.jsonl\n\
                 and IG appends it: igl append decisions.jsonl --key IG.key",
                n,
                if n == 1 { "" } else { "s" },
                path.display(),
                path.display(),
                ledger_id.to_hex()
            );
        }
        return Ok(Outcome::Ok);
    }
    let mut o = out::stdout();
    let items: Vec<&Item> = c.todo(&state, &reviewer, now).collect();
    if a.json {
        for i in &items {
            out::json_line(&mut o, &item_json(c, i, &state, now, &cfg))?;
        }
    } else if items.is_empty() {
        writeln!(
            o,
            "{reviewer} has nothing left to decide in campaign {} as of {}",
            c.id,
            time::uk_text(now)
        )?;
    } else {
        writeln!(
            o,
            "{reviewer} has {} item{} to decide in campaign {} (due by the end of {}):",
            items.len(),
            if items.len() == 1 { "" } else { "s" },
            c.id,
            c.due
        )?;
        for i in &items {
            let p = state.person(&i.person);
            let g = state.grant(&i.grant);
            writeln!(
                o,
                "  {}  {} {}  {} ({}), granted {}{}",
                i.grant,
                i.person,
                p.and_then(|p| p.name.as_deref()).unwrap_or(""),
                i.system,
                i.role,
                day(i.granted.at),
                match g.and_then(|g| g.business_need.as_deref()) {
                    Some(n) => format!("; need: {n}"),
                    None => String::new(),
                }
            )?;
        }
        writeln!(o)?;
        writeln!(
            o,
            "write the worksheet: igl review todo {} --reviewer {reviewer} --worksheet FILE.csv",
            c.id
        )?;
    }
    o.flush()?;
    Ok(Outcome::Ok)
}

pub(super) fn decide(a: DecideArgs, ledger: Option<&Path>) -> Result<Outcome> {
    let ledger_id = crate::cmd::append::signing_ledger_id(a.ledger_id.as_deref(), ledger)?;
    let name = a.worksheet.display().to_string();
    let f = std::fs::File::open(&a.worksheet).with_context(|| format!("reading {name}"))?;
    let sheet = review::read_worksheet(&name, f).map_err(|e| anyhow!("{e}\nnothing was signed"))?;
    if sheet.decisions.is_empty() {
        bail!(
            "{name}: no row has a decision ({} left undecided); write keep, revoke or change in \
             the decision column; nothing was signed",
            sheet.undecided
        );
    }
    let key = a.pass.load_key(&a.key)?;
    let subs = review::sign_decisions(&sheet.decisions, ledger_id, &key, Timestamp::now())
        .map_err(|e| anyhow!("{name}: {e}\nnothing was signed"))?;
    let mut o = out::stdout();
    for s in &subs {
        out::json_line(&mut o, &Value::Object(submission_json(s)))?;
    }
    o.flush()?;
    eprintln!(
        "signed {} decision{} ({} row{} left undecided); IG appends them with `igl append FILE \
         --key IG.key`",
        subs.len(),
        if subs.len() == 1 { "" } else { "s" },
        sheet.undecided,
        if sheet.undecided == 1 { "" } else { "s" },
    );
    Ok(Outcome::Ok)
}
