//! The code's shape, as ARCHITECTURE.md states it: inside each crate no module imports one that
//! imports it back, and no source file is over 600 lines unless ARCHITECTURE.md says why
//! ("Files over 600 lines").

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each crate's source directory.
const CRATES: &[&str] = &["schema/src", "ledger/src", "tui/src", "src"];

/// The most lines a source file has unless ARCHITECTURE.md says why it has more.
const MAX_LINES: usize = 600;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The top-level module a file belongs to: `store/read.rs` and `store/mod.rs` are `store`.
fn module_of(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

/// The code of a file without its comments and without an inline `mod tests`.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests {").next().unwrap();
    text.lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first names of each top-level item of a `use` tree's braces: `a, b::{c, d}, e::f` gives
/// a, b, e.
fn first_names(tree: &str) -> Vec<String> {
    let (mut depth, mut cur, mut out) = (0, String::new(), Vec::new());
    for ch in tree.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => out.push(std::mem::take(&mut cur)),
            _ if depth == 0 => cur.push(ch),
            _ => {}
        }
    }
    out.push(cur);
    out.iter()
        .filter_map(|n| {
            let n: String = n
                .trim()
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!n.is_empty()).then_some(n)
        })
        .collect()
}

/// Every name a file reaches through `crate::`: `crate::x…` paths and `use crate::{x, y::…}`.
fn crate_names(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(tree) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = tree
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(tree.len(), |(j, _)| j);
            out.extend(first_names(&tree[..end]));
        } else {
            out.extend(first_names(
                rest.split(['(', ')', ';', ' ', '\n', '<', '>', '&', ','])
                    .next()
                    .unwrap(),
            ));
        }
    }
    out
}

/// Module → the crate's other modules it imports, with `crate::Name` re-exported by `lib.rs`
/// or `main.rs` (`pub use module::{Name, …}`) counted as an import of that module.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut names: BTreeMap<PathBuf, BTreeSet<String>> = BTreeMap::new();
    let mut modules = BTreeSet::new();
    for f in &files {
        let rel = f.strip_prefix(src).unwrap().to_path_buf();
        if rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue; // a `#[cfg(test)] mod tests;`
        }
        modules.insert(module_of(&rel));
        names.insert(
            rel,
            crate_names(&code(&std::fs::read_to_string(f).unwrap())),
        );
    }
    let mut reexported: BTreeMap<String, String> = BTreeMap::new();
    for root_file in ["lib.rs", "main.rs"] {
        let Ok(text) = std::fs::read_to_string(src.join(root_file)) else {
            continue;
        };
        for line in code(&text).lines() {
            let Some(u) = line.trim().strip_prefix("pub use ") else {
                continue;
            };
            let Some((module, rest)) = u.split_once("::") else {
                continue;
            };
            let rest = rest.trim_end_matches(';');
            let rest = rest.trim_start_matches('{').trim_end_matches('}');
            for n in first_names(rest) {
                reexported.insert(n, module.to_string());
            }
        }
    }
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, ns) in names {
        let from = module_of(&rel);
        let to: BTreeSet<String> = ns
            .into_iter()
            .filter_map(|n| {
                if modules.contains(&n) {
                    Some(n)
                } else {
                    reexported.get(&n).cloned()
                }
            })
            .filter(|m| *m != from)
            .collect();
        graph.entry(from).or_default().extend(to);
    }
    graph
}

/// A path of imports from `from` back to itself, if there is one.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, from: &str) -> Option<Vec<String>> {
    let mut stack = vec![(from.to_string(), vec![from.to_string()])];
    let mut seen = BTreeSet::new();
    while let Some((m, path)) = stack.pop() {
        for next in graph.get(&m).into_iter().flatten() {
            if next == from {
                let mut p = path.clone();
                p.push(next.clone());
                return Some(p);
            }
            if seen.insert(next.clone()) {
                let mut p = path.clone();
                p.push(next.clone());
                stack.push((next.clone(), p));
            }
        }
    }
    None
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    for src in CRATES {
        let graph = module_graph(&root().join(src));
        assert!(graph.len() > 1, "{src}: no modules found");
        for m in graph.keys() {
            if let Some(cycle) = cycle_through(&graph, m) {
                panic!("{src}: an import circle: {}", cycle.join(" → "));
            }
        }
    }
}

#[test]
fn the_layering_check_sees_a_circle() {
    let g: BTreeMap<String, BTreeSet<String>> = [
        ("store", vec!["rows"]),
        ("index", vec!["store", "rows"]),
        ("rows", vec![]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.into_iter().map(String::from).collect()))
    .collect();
    assert_eq!(cycle_through(&g, "store"), None);
    let mut g = g;
    g.get_mut("store").unwrap().insert("index".into());
    assert_eq!(
        cycle_through(&g, "store"),
        Some(vec!["store".into(), "index".into(), "store".into()])
    );
    assert_eq!(
        crate_names("use crate::{a, b::{c, d}};\nfn f() { crate::e::g(); crate::F::new() }"),
        ["F", "a", "b", "e"].into_iter().map(String::from).collect()
    );
}

/// The files ARCHITECTURE.md lists under "Files over 600 lines", each with its reason.
fn listed_large_files() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let section = text
        .split("### Files over 600 lines")
        .nth(1)
        .expect("ARCHITECTURE.md has a section \"Files over 600 lines\"");
    let section = section.split("\n#").next().unwrap();
    let mut out = BTreeMap::new();
    for item in section.split("\n- ").skip(1) {
        let (path, reason) = item
            .strip_prefix('`')
            .and_then(|i| i.split_once("` — "))
            .expect("each item is `path` — reason");
        out.insert(path.to_string(), reason.trim().to_string());
    }
    out
}

#[test]
fn every_source_file_over_600_lines_is_listed_with_its_reason() {
    let listed = listed_large_files();
    let mut large = BTreeSet::new();
    for src in CRATES {
        let mut files = Vec::new();
        rust_files(&root().join(src), &mut files);
        for f in files {
            let lines = std::fs::read_to_string(&f).unwrap().lines().count();
            if lines > MAX_LINES {
                let rel = f
                    .strip_prefix(root())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                large.insert(rel);
            }
        }
    }
    for f in &large {
        assert!(
            listed.get(f).is_some_and(|r| r.len() > 20),
            "{f} is over {MAX_LINES} lines: split it, or say why in ARCHITECTURE.md, \"Files over 600 lines\""
        );
    }
    for f in listed.keys() {
        assert!(
            large.contains(f),
            "ARCHITECTURE.md lists {f} under \"Files over 600 lines\", but it is not (any more)"
        );
    }
}
