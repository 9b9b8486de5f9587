//! The `kiln` binary: parse arguments, call the library, render the result.
// Output is the binary's job, not the library's.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
mod ui;

fn main() -> std::process::ExitCode {
    keep_freed_memory();
    cli::main()
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
