//! The committed config and the local one laid over it, and every remote
//! they declare: loaded or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first NUL, if any, splits the input into the two files.
    let (main, local) = match text.split_once('\0') {
        Some((m, l)) => (m, Some(l)),
        None => (&*text, None),
    };
    let parsed = kiln::config::Config::parse(
        Some(main),
        local,
        Path::new("config.toml"),
        Path::new("config.local.toml"),
    );
    if let Ok(config) = parsed {
        for r in config.remotes.values().flatten() {
            let _ = format!("{r:?} {}", r.display_url());
        }
    }
    let _ = kiln::redact::url(&text);
});
