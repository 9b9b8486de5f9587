//! The `kiln` binary: parse arguments, call the library, render the result.
// Output is the binary's job, not the library's.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod ui;

fn main() -> std::process::ExitCode {
    if let Some(missing) = missing_cpu_feature() {
        ui::error(&format!(
            "this kiln was built for x86-64-v3 CPUs, and this CPU has no {missing}"
        ));
        eprintln!(
            "hint: build it for this CPU: RUSTFLAGS=\"-C target-cpu=x86-64\" cargo install --path ."
        );
        return std::process::ExitCode::from(2);
    }
    cli::main()
}

/// An instruction set the build uses (x86-64-v3 by default, see
/// `.cargo/config.toml`) that this CPU lacks: without this test the binary
/// would stop on an illegal instruction at some later point.
fn missing_cpu_feature() -> Option<&'static str> {
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return Some("AVX2");
        }
        if !std::arch::is_x86_feature_detected!("bmi2") {
            return Some("BMI2");
        }
        if !std::arch::is_x86_feature_detected!("fma") {
            return Some("FMA");
        }
    }
    None
}

/// jemalloc, as polars' own Python package uses on Linux: glibc's
/// allocator handed large blocks back to the system when freed and asked
/// for fresh, zeroed ones on the next allocation (a dataset's shards, each
/// read into buffers of the same sizes, spent a tenth of their check's time
/// there), and its per-thread arenas grew by a system call at a time.
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
