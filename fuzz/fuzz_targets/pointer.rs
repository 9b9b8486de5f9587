//! Pointer files: any bytes parse to a pointer or an error, and the path a
//! pointer file's name gives passes the safe-path gate or is refused.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(p) = kiln::pointer::Pointer::parse(&text, std::path::Path::new("x.kiln")) {
        // What kiln writes, it reads back the same.
        let again = kiln::pointer::Pointer::parse(&p.to_text(), std::path::Path::new("x.kiln"));
        assert_eq!(again.ok().as_ref(), Some(&p));
    }
    let _ = kiln::pointer::data_path(&text);
});
