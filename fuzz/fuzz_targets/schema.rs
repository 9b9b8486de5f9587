//! Schemas (YAML or Frictionless JSON): parsed or refused, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = kiln::schema::Schema::parse(&text, std::path::Path::new("s.yaml"));
});
