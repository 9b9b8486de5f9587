use crate::ui::{out, outln};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use kiln::Error;
use kiln::binding::BindingError;
use kiln::repo::RepoError;
use kiln::validate::{CheckOptions, Checker, FileReport, Verdict, render};

use super::App;

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
    Junit,
    Github,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Error,
    Warn,
}

#[derive(clap::Args)]
pub struct Args {
    /// Tracked data, or any data file or folder with --schema (default: every tracked
    /// dataset that has a schema)
    paths: Vec<PathBuf>,
    /// Check the given data against this schema, whether tracked or not
    #[arg(long, value_name = "FILE", requires = "paths")]
    schema: Option<PathBuf>,
    /// How to print the report
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Same as --format json
    #[arg(long, conflicts_with = "format")]
    json: bool,
    /// Sample rows shown per failed check
    #[arg(long, value_name = "N", default_value_t = 5)]
    max_samples: usize,
    /// The lowest severity that makes the data invalid (exit 1)
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = FailOn::Error)]
    fail_on: FailOn,
    /// Read the data even if a result is cached, and record none
    #[arg(long)]
    no_cache: bool,
    /// Check part I of N (from 0) of every dataset's shards and record the results, for a
    /// later check that merges them (see the README: sharded checks on many machines)
    #[arg(long, value_name = "I/N", conflicts_with = "no_cache")]
    shard: Option<kiln::validate::Part>,
    /// MiB of keys (for repeats across shards and overlaps) held in memory; beyond it they are
    /// sorted onto disk
    #[arg(long, value_name = "MIB", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    memory: u32,
    /// Also write a self-contained HTML report (findings and each column's distribution) to FILE
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
}

pub fn run(app: &App, args: Args) -> Result<ExitCode, Error> {
    let opts = CheckOptions {
        max_samples: args.max_samples,
        use_cache: !args.no_cache,
        part: args.shard,
        memory: u64::from(args.memory) << 20,
    };
    let format = if args.json {
        OutputFormat::Json
    } else {
        args.format
    };
    let mut reports: Vec<FileReport> = Vec::new();
    // Each table's report (by its index) with its repository path and schema,
    // for the schema's drift rules.
    let mut tables: Vec<(usize, String, PathBuf)> = Vec::new();
    // Bars only above a report meant for people.
    let progress = app.progress(format != OutputFormat::Human);
    let repo = match app.repo() {
        Ok(r) => Some(r),
        Err(Error::Repo(RepoError::NotFound { .. })) if args.schema.is_some() => None,
        Err(e) => return Err(e),
    };
    if let Some(schema) = &args.schema {
        let schema = app.cwd.join(schema);
        // Any file can be checked against a schema, in a repository or not.
        let dirs = repo.as_ref().map(kiln::binding::dirs);
        let checker = Checker::new(dirs.as_ref(), &opts).with_progress(progress.as_ref());
        for p in &args.paths {
            let start = reports.len();
            reports.extend(checker.check_path(&app.cwd.join(p), &schema, None)?);
            if let Some(table) = reports.get(start) {
                tables.push((start, table.path.clone(), schema.clone()));
            }
        }
    } else {
        let repo = repo.as_ref().expect("found above");
        let plan = kiln::binding::plan(repo, &app.cwd, &args.paths)?;
        if !args.paths.is_empty()
            && let Some(path) = plan.unbound.first()
        {
            return Err(BindingError::Unbound { path: path.clone() }.into());
        }
        if plan.jobs.is_empty() {
            app.say("nothing to check: no tracked data has a schema");
            return Ok(ExitCode::SUCCESS);
        }
        let dirs = kiln::binding::dirs(repo);
        let checker = Checker::new(Some(&dirs), &opts).with_progress(progress.as_ref());
        for job in &plan.jobs {
            let schema = repo.root().join(&job.schema);
            tables.push((reports.len(), job.data.to_string(), schema.clone()));
            if job.files.is_empty() {
                let data = repo.root().join(&job.data);
                match kiln::binding::listed_shards(repo, &job.data)? {
                    Some(shards) => {
                        reports.extend(checker.check_listed(&job.data, &shards, &schema)?);
                    }
                    None => reports.extend(checker.check_path(&data, &schema, None)?),
                }
            } else {
                let files: Vec<_> = job.files.iter().map(|f| repo.root().join(f)).collect();
                reports.extend(checker.check_files(&job.data, &files, &schema)?);
            }
        }
    }
    // Drift is judged on whole tables, so not on a part of one (--shard).
    let mut baselines = Vec::new();
    if let (Some(repo), None) = (&repo, args.shard) {
        for (i, rel, schema) in &tables {
            if let Some(report) = reports.get_mut(*i)
                && let Some(judged) =
                    kiln::drift::judge(repo, rel, schema, report, progress.as_ref())?
            {
                baselines.push((report.path.clone(), judged.profile));
            }
        }
    }
    if let Some(html) = &args.html {
        crate::ui::write_page(
            &app.cwd.join(html),
            &kiln::html::check_page(&reports, &baselines),
        )?;
    }
    let fail_on_warn = args.fail_on == FailOn::Warn;
    match format {
        OutputFormat::Human => {
            if !app.quiet {
                let color = crate::ui::color(std::io::stdout().is_terminal());
                out!("{}", render::human(&reports, fail_on_warn, color));
            }
        }
        OutputFormat::Json => outln!("{}", render::json(&reports, fail_on_warn)),
        OutputFormat::Junit => out!("{}", render::junit(&reports, fail_on_warn)),
        OutputFormat::Github => out!("{}", render::github(&reports, fail_on_warn)),
    }
    Ok(match render::Summary::of(&reports).verdict(fail_on_warn) {
        Verdict::Valid | Verdict::Warn => ExitCode::SUCCESS,
        Verdict::Invalid => ExitCode::from(1),
        Verdict::Unreadable => ExitCode::from(3),
    })
}
