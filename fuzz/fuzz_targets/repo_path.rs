//! The safe-path gate: whatever it accepts stays inside the work tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = kiln::repo_path::RepoPath::new(&text) {
        let joined = std::path::Path::new("/repo").join(p.as_str());
        assert!(joined.starts_with("/repo/"));
        for part in p.split('/') {
            assert!(!matches!(part, "" | "." | ".."));
            assert!(!part.eq_ignore_ascii_case(".git") && !part.eq_ignore_ascii_case(".kiln"));
        }
    }
});
