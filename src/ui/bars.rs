//! Progress bars on stderr, through indicatif.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use kiln::progress::{Progress, Task, Unit};

pub struct Bars {
    multi: MultiProgress,
}

impl Bars {
    pub fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
        }
    }
}

struct Bar {
    bar: ProgressBar,
    bytes: std::sync::atomic::AtomicU64,
}

impl Task for Bar {
    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    fn advance_bytes(&self, n: u64) {
        let total = self
            .bytes
            .fetch_add(n, std::sync::atomic::Ordering::Relaxed)
            + n;
        self.bar
            .set_message(indicatif::HumanBytes(total).to_string());
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bars {
    fn task(&self, label: &str, total: u64, unit: Unit) -> Box<dyn Task> {
        let template = match unit {
            Unit::Bytes => {
                "{prefix:>10} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} {eta}"
            }
            Unit::Files | Unit::Objects => "{prefix:>10} [{bar:30}] {pos}/{len} {msg} {per_sec}",
        };
        let style = ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        let bar = self.multi.add(
            ProgressBar::new(total)
                .with_style(style)
                .with_prefix(label.to_string()),
        );
        Box::new(Bar {
            bar,
            bytes: Default::default(),
        })
    }
}
