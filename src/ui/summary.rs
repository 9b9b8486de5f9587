//! The human summaries that several commands print: transfers, checkouts,
//! what is on a remote, stale outputs.

use std::time::Instant;

use kiln::lineage::staleness::StaleOutput;
use kiln::remote::{self, FetchReport, PathRemoteStatus, PushReport, ResultsReport};
use kiln::workspace::checkout::CheckoutReport;

use super::{outln, size};

/// `1 file`, `2 files`: a count and its noun.
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    kiln::progress::plural(n.into(), noun, &format!("{noun}s"))
}

/// Prints a report as JSON with the time it took.
pub fn print_timed<T: serde::Serialize>(report: &T, started: Instant) {
    #[derive(serde::Serialize)]
    struct Timed<'a, T> {
        #[serde(flatten)]
        report: &'a T,
        seconds: f64,
    }
    super::print_json(&Timed {
        report,
        seconds: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
    });
}

/// The summary line of a fetch, on stderr.
pub fn fetched(report: &FetchReport, started: Instant) -> String {
    if report.fetched == 0 && report.corrupt.is_empty() && report.missing.is_empty() {
        format!(
            "everything is already in the store ({})",
            count(report.objects, "object")
        )
    } else {
        format!(
            "fetched {} ({}) from {} in {:.1}s; {} already in the store",
            count(report.fetched, "object"),
            size(report.fetched_bytes),
            report.remote,
            started.elapsed().as_secs_f64(),
            report.present
        )
    }
}

/// The summary line of results moved (`verb`: "pushed to", "fetched from").
pub fn results(report: &ResultsReport, verb: &str, started: Instant) -> String {
    let mut line = format!(
        "{verb} {} {} ({}) in {:.1}s; {} already there",
        report.remote,
        count(report.files, "result file"),
        size(report.bytes),
        started.elapsed().as_secs_f64(),
        report.present
    );
    if report.refused > 0 {
        let refused = count(report.refused, "file");
        line.push_str(&format!(
            "; {refused} on the remote refused (not a result kiln writes)"
        ));
    }
    line
}

/// The summary line of a push.
pub fn pushed(report: &PushReport, started: Instant) -> String {
    if report.uploaded == 0 {
        format!(
            "everything is already on {} ({})",
            report.remote,
            count(report.objects, "object")
        )
    } else {
        format!(
            "pushed {} ({}) to {} in {:.1}s; {} already there",
            count(report.uploaded, "object"),
            size(report.uploaded_bytes),
            report.remote,
            started.elapsed().as_secs_f64(),
            report.present
        )
    }
}

/// What a checkout could not do, on stderr, and its summary line (for the
/// caller to print unless quiet).
pub fn checkout(report: &CheckoutReport) -> String {
    for m in &report.missing {
        eprintln!(
            "missing from the store: {} (object {}); run `kiln pull`",
            m.path,
            &m.id[..12]
        );
    }
    for c in &report.conflicts {
        eprintln!(
            "kept {c}: its content is not in the store (`kiln add` it, or use --force to replace it)"
        );
    }
    let not_fetched = match report.not_fetched {
        0 => String::new(),
        n => format!(", {} not fetched here", count(n, "file")),
    };
    format!(
        "{} written ({}), {} deleted, {} unchanged{not_fetched}",
        count(report.written.len() as u64, "file"),
        size(report.bytes),
        report.deleted.len(),
        report.unchanged
    )
}

/// `kiln status --remote`: per path, what is not yet pushed or pulled, on stdout.
pub fn remote_status(name: &str, result: &[PathRemoteStatus]) {
    let amount = |c: &remote::Count| format!("{}, {}", count(c.objects, "object"), size(c.bytes));
    for s in result {
        if s.in_sync() {
            outln!("{:<12} {} (on {name})", "pushed:", s.path);
        }
        if s.not_pushed.objects > 0 {
            outln!(
                "{:<12} {} ({} not on {name})",
                "not pushed:",
                s.path,
                amount(&s.not_pushed)
            );
        }
        if s.not_pulled.objects > 0 {
            outln!(
                "{:<12} {} ({} on {name} only)",
                "not pulled:",
                s.path,
                amount(&s.not_pulled)
            );
        }
        if s.missing.objects > 0 {
            outln!(
                "{:<12} {} ({} neither here nor on {name})",
                "missing:",
                s.path,
                amount(&s.missing)
            );
        }
    }
}

/// One line per stale output, on stdout.
pub fn stale(stale: &[StaleOutput]) {
    for s in stale {
        let why: Vec<String> = s.reasons.iter().map(|r| r.to_string()).collect();
        outln!(
            "{:<12} {} (run {}: {})",
            "stale:",
            s.path,
            s.run_name,
            why.join(", ")
        );
    }
}
