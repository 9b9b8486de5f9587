//! `kiln repro`: which recorded runs to re-run, in dependency order, to
//! bring stale outputs up to date.

use std::collections::HashSet;

use uuid::Uuid;

use super::LineageError;
use super::graph::Index;
use super::record::RunRecord;
use super::run::RunSpec;
use super::staleness::{Reason, Staleness};
use crate::workspace::Tracked;

/// One run to repeat and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Step {
    /// The recorded run whose command, inputs and outputs are repeated.
    pub run: Uuid,
    pub name: String,
    pub argv: Vec<String>,
    pub outputs: Vec<String>,
    pub reasons: Vec<Reason>,
    #[serde(skip)]
    pub spec: RunSpec,
}

impl RunSpec {
    /// The same command, inputs and outputs as a recorded run.
    pub fn again(r: &RunRecord) -> RunSpec {
        RunSpec {
            name: Some(r.name.clone()),
            argv: r.argv.clone(),
            shell: r.shell,
            workdir: r.workdir.clone(),
            deps: r.deps.iter().map(|d| d.path.clone()).collect(),
            outputs: r.outputs.iter().map(|o| o.path.clone()).collect(),
            strict: false,
        }
    }
}

/// The runs to repeat so that `targets` are up to date, each after the
/// runs that make its inputs.
pub fn plan<'i>(
    index: &'i Index,
    staleness: &mut Staleness<'i, '_>,
    targets: &[Tracked],
) -> Result<Vec<Step>, LineageError> {
    let mut steps = Vec::new();
    let mut planned = HashSet::new();
    for t in targets {
        visit(
            index,
            staleness,
            &t.rel,
            &t.pointer.id,
            &mut planned,
            &mut steps,
        )?;
    }
    Ok(steps)
}

fn visit<'i>(
    index: &'i Index,
    staleness: &mut Staleness<'i, '_>,
    path: &str,
    id: &crate::store::Id,
    planned: &mut HashSet<Uuid>,
    steps: &mut Vec<Step>,
) -> Result<(), LineageError> {
    let reasons = staleness.reasons(path, id)?;
    if reasons.is_empty() {
        return Ok(());
    }
    // Staleness comes from a producing run; no run, nothing to repeat.
    let Some(run) = index.producer(path, id) else {
        return Ok(());
    };
    if !planned.insert(run.id) {
        return Ok(());
    }
    for r in &reasons {
        if let Reason::Upstream { path } = r
            && let Some(d) = run.deps.iter().find(|d| d.path == *path)
        {
            visit(index, staleness, &d.path, &d.id, planned, steps)?;
        }
    }
    steps.push(Step {
        run: run.id,
        name: run.name.clone(),
        argv: run.argv.clone(),
        outputs: run.outputs.iter().map(|o| o.path.clone()).collect(),
        reasons,
        spec: RunSpec::again(run),
    });
    Ok(())
}
