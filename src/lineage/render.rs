//! The lineage graph as text: an indented tree for people, Graphviz DOT and
//! Mermaid for diagrams.

use std::collections::HashSet;

use super::graph::{Graph, InWorkspace, Node};
use super::record::Status;

/// A commit id as people read it.
fn short_commit(c: &str) -> &str {
    &c[..c.len().min(7)]
}

/// One line describing a node.
pub fn label(node: &Node) -> String {
    match node {
        Node::Data {
            path,
            id,
            tracked,
            workspace,
            stale,
            origin,
            ..
        } => {
            let mut s = format!("{path}  {}", id.short());
            if !tracked {
                s += "  (code)";
            }
            match workspace {
                InWorkspace::Current => {}
                InWorkspace::Changed => s += "  [changed in the workspace]",
                InWorkspace::Missing => s += "  [missing from the workspace]",
            }
            if !stale.is_empty() {
                let why: Vec<String> = stale.iter().map(|r| r.to_string()).collect();
                s += &format!("  STALE: {}", why.join(", "));
            }
            if let Some(i) = origin.as_ref().and_then(|o| o.import.as_ref()) {
                s += &format!(
                    "  imported from {} {} at commit {}",
                    crate::redact::url(&i.repo),
                    i.path,
                    short_commit(&i.commit)
                );
            } else if let Some(c) = origin.as_ref().and_then(|o| o.commit.as_deref())
                && origin.as_ref().is_some_and(|o| o.run.is_none())
            {
                s += &format!(
                    "  added at {}",
                    commit_text(c, origin.as_ref().is_some_and(|o| o.dirty))
                );
            }
            s
        }
        Node::Run {
            run,
            name,
            status,
            commit,
            dirty,
            ..
        } => {
            let mut s = format!("run {name}  {}", super::record::short_run_id(run));
            s += &match commit {
                Some(c) => format!("  at {}", commit_text(c, *dirty)),
                None if *dirty => "  before the first commit (dirty)".to_string(),
                None => "  (no commit)".to_string(),
            };
            if *status == Status::Fail {
                s += "  FAIL";
            }
            s
        }
    }
}

fn commit_text(commit: &str, dirty: bool) -> String {
    if dirty {
        format!("commit {} (dirty)", short_commit(commit))
    } else {
        format!("commit {}", short_commit(commit))
    }
}

/// The tree: the starting version, what made it (up) and, under
/// `derived:`, what was made from it (down).
pub fn tree(g: &Graph) -> String {
    let mut out = label(&g.nodes[g.root]);
    out.push('\n');
    let mut seen = HashSet::from([g.root]);
    branch(g, g.root, "", true, &mut seen, &mut out);
    if !g.children(g.root).is_empty() {
        out += "derived:\n";
        let mut seen = HashSet::from([g.root]);
        branch(g, g.root, "", false, &mut seen, &mut out);
    }
    out
}

fn branch(
    g: &Graph,
    n: usize,
    prefix: &str,
    up: bool,
    seen: &mut HashSet<usize>,
    out: &mut String,
) {
    let kids = if up { g.parents(n) } else { g.children(n) };
    for (i, &k) in kids.iter().enumerate() {
        let last = i + 1 == kids.len();
        out.push_str(prefix);
        out.push_str(if last { "└── " } else { "├── " });
        out.push_str(&label(&g.nodes[k]));
        if !seen.insert(k) {
            out.push_str("  (shown above)\n");
            continue;
        }
        out.push('\n');
        let deeper = format!("{prefix}{}", if last { "    " } else { "│   " });
        branch(g, k, &deeper, up, seen, out);
    }
}

/// Graphviz DOT: data as boxes, runs as ellipses, stale data in red.
pub fn dot(g: &Graph) -> String {
    let mut out =
        String::from("digraph lineage {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n");
    for (i, n) in g.nodes.iter().enumerate() {
        let (text, attrs) = match n {
            Node::Data {
                path, id, stale, ..
            } => (
                format!("{path}\n{}", id.short()),
                if stale.is_empty() {
                    "shape=box"
                } else {
                    "shape=box, color=red"
                },
            ),
            Node::Run { .. } => (run_text(n), "shape=ellipse"),
        };
        let bold = if i == g.root { ", penwidth=2" } else { "" };
        out += &format!("  n{i} [label={}, {attrs}{bold}];\n", dot_string(&text));
    }
    for e in &g.edges {
        out += &format!("  n{} -> n{};\n", e.from, e.to);
    }
    out.push_str("}\n");
    out
}

/// A run in two lines: its name, then its commit.
fn run_text(n: &Node) -> String {
    let Node::Run {
        name,
        commit,
        dirty,
        status,
        ..
    } = n
    else {
        return String::new();
    };
    let mut second = match commit {
        Some(c) => short_commit(c).to_string(),
        None => "no commit".to_string(),
    };
    if *dirty {
        second += " (dirty)";
    }
    if *status == Status::Fail {
        second += " FAIL";
    }
    format!("{name}\n{second}")
}

fn dot_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            '\n' => out += "\\n",
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Mermaid flowchart: data as rectangles, runs as stadiums.
pub fn mermaid(g: &Graph) -> String {
    let mut out = String::from("flowchart LR\n");
    for (i, n) in g.nodes.iter().enumerate() {
        match n {
            Node::Data { path, id, .. } => {
                let text = mermaid_text(&format!("{path}\n{}", id.short()));
                out += &format!("  n{i}[\"{text}\"]\n");
            }
            Node::Run { .. } => {
                out += &format!("  n{i}([\"{}\"])\n", mermaid_text(&run_text(n)));
            }
        }
    }
    for e in &g.edges {
        out += &format!("  n{} --> n{}\n", e.from, e.to);
    }
    let stale: Vec<String> = g
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(n, Node::Data { stale, .. } if !stale.is_empty()))
        .map(|(i, _)| format!("n{i}"))
        .collect();
    if !stale.is_empty() {
        out += "  classDef stale stroke:#d00,stroke-width:2px\n";
        out += &format!("  class {} stale\n", stale.join(","));
    }
    out
}

fn mermaid_text(s: &str) -> String {
    s.replace('"', "#quot;").replace('\n', "<br/>")
}
