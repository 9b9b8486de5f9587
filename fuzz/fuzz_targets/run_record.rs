//! Run records (`.kiln/runs/<uuid>.json`, committed content).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let path = std::path::Path::new(".kiln/runs/01912d6e-7c4a-7000-8000-000000000000.json");
    let _ = kiln::lineage::record::RunRecord::parse(&text, path);
});
