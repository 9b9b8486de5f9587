//! Trees: any bytes (under their own id, so the parser is reached) decode to
//! a tree whose names are all safe, or to an error.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let id = kiln::store::Id::of_tree_bytes(data);
    if let Ok(tree) = kiln::store::Tree::decode(id, data) {
        for e in tree.entries() {
            assert!(kiln::repo_path::check_component(&e.name).is_ok());
        }
        assert_eq!(tree.encode(), data);
    }
});
