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
    keep_freed_memory();
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

/// glibc's allocator hands large blocks back to the system when freed and
/// asks for fresh ones on the next allocation, which the kernel must zero:
/// a dataset's shards, each read into buffers of the same sizes, spent a
/// tenth of their check's time there. Kept, freed memory is reused; the
/// peak stays the same order (JSON-lines corpus: 158 -> 194 MiB).
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: set before any other thread starts or allocates much; a
    // value glibc refuses leaves its default in place.
    unsafe {
        // The largest mmap threshold glibc accepts on 64-bit systems.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
}
