//! The harness: the real `kiln` binary in a temporary git repository, with a
//! private HOME and a cleared environment.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const KILN: &str = env!("CARGO_BIN_EXE_kiln");

/// The fixtures shipped in the repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// What a finished command printed, and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Asserts exit 0 and returns self.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts the exit code and returns self.
    #[track_caller]
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts a failure whose error is one line (plus optional `hint:` lines) and never a panic.
    #[track_caller]
    pub fn fails(self) -> Run {
        assert!(
            self.code != 0,
            "expected failure\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "panicked:\n{}",
            self.stderr
        );
        let errors: Vec<_> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(
            errors.len(),
            1,
            "expected one error line, got:\n{}",
            self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A temporary git repository with `kiln init` run in it.
pub struct Repo {
    pub dir: tempfile::TempDir,
    home: tempfile::TempDir,
}

impl Repo {
    /// A fresh git repository, not yet initialised for kiln.
    pub fn git_only() -> Repo {
        let dir = tempfile::Builder::new()
            .prefix("kiln-test-")
            .tempdir()
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let repo = Repo { dir, home };
        repo.git(["init", "-q", "-b", "main"]);
        repo
    }

    /// A git repository with kiln initialised.
    pub fn new() -> Repo {
        let repo = Repo::git_only();
        repo.kiln(["init"]).ok();
        repo
    }

    /// A new folder added as the default remote `name`; kept while the
    /// returned value lives.
    pub fn folder_remote(&self, name: &str) -> tempfile::TempDir {
        let remote = tempfile::tempdir().unwrap();
        self.kiln([
            "remote",
            "add",
            name,
            remote.path().to_str().unwrap(),
            "--default",
        ])
        .ok();
        remote
    }

    /// A second checkout of this repository's commits, without its store
    /// or secrets.
    pub fn clone_of(&self) -> Repo {
        let c = Repo::git_only();
        c.git(["pull", "-q", self.root().to_str().unwrap(), "main"]);
        c
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.root())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs kiln with extra environment variables.
    pub fn kiln_env<I, S>(&self, args: I, env: &[(&str, &str)]) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(KILN);
        cmd.args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Run::from(cmd.output().expect("kiln runs"))
    }

    pub fn kiln<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.kiln_env(args, &[])
    }

    /// A kiln command not yet started, for tests that run processes at once.
    pub fn kiln_command<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = self.command(KILN);
        cmd.args(args);
        cmd
    }

    /// Runs git; panics unless it succeeds. Returns its stdout.
    pub fn git<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.command("git").args(args).output().expect("git runs");
        assert!(
            out.status.success(),
            "git failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `git add -A && git commit`, returning the new commit id.
    /// Runs git, which may fail (a hook may refuse): whether it succeeded,
    /// and what it printed.
    pub fn git_try(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("git")
            .args(args)
            .current_dir(self.root())
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }

    pub fn commit(&self, message: &str) -> String {
        self.git(["add", "-A"]);
        self.git(["commit", "-q", "--allow-empty", "-m", message]);
        self.git(["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) {
        let p = self.path(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        if p.exists() {
            // Stored files may be read-only links; replace rather than write through.
            fs::remove_file(&p).unwrap();
        }
        fs::write(p, content).unwrap();
    }

    pub fn read(&self, rel: &str) -> Vec<u8> {
        fs::read(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn read_string(&self, rel: &str) -> String {
        String::from_utf8(self.read(rel)).unwrap()
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).symlink_metadata().is_ok()
    }

    pub fn remove(&self, rel: &str) {
        let p = self.path(rel);
        if p.is_dir() {
            fs::remove_dir_all(p).unwrap()
        } else {
            fs::remove_file(p).unwrap()
        }
    }

    /// Object files in the store.
    pub fn store_objects(&self) -> Vec<String> {
        let mut out = Vec::new();
        let root = self.path(".kiln/cache/objects");
        if let Ok(dirs) = fs::read_dir(&root) {
            for d in dirs.flatten() {
                for f in fs::read_dir(d.path()).unwrap().flatten() {
                    out.push(format!(
                        "{}{}",
                        d.file_name().to_string_lossy(),
                        f.file_name().to_string_lossy()
                    ));
                }
            }
        }
        out.sort();
        out
    }

    pub fn object_path(&self, id: &str) -> PathBuf {
        self.path(&format!(".kiln/cache/objects/{}/{}", &id[..2], &id[2..]))
    }
}

/// The value of `key: value` in a pointer file's text.
pub fn pointer_field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        l.strip_prefix(&format!("{key}: "))
            .map(|v| v.trim().to_string())
    })
}

/// Whether the tests run as root, which file permissions do not stop.
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether the test servers (Garage, Azurite) that `scripts/test.sh` starts
/// are there. A plain `cargo test` has none: the tests that need them say
/// they were skipped and pass. Under `scripts/test.sh`, which sets
/// `KILN_TEST_SERVERS`, a missing server is a failure instead.
pub fn servers_up(test: &str) -> bool {
    needs(test, "KILN_TEST_S3_ENDPOINT", "the object-store servers")
}

/// Whether the tools Python (`KILN_TEST_PYTHON`) is there; as [`servers_up`].
pub fn python_up(test: &str) -> bool {
    needs(test, "KILN_TEST_PYTHON", "the tools Python")
}

fn needs(test: &str, var: &str, what: &str) -> bool {
    if std::env::var_os(var).is_some() {
        return true;
    }
    assert!(
        std::env::var_os("KILN_TEST_SERVERS").is_none(),
        "{test}: {var} is not set, though scripts/test.sh should have set it up"
    );
    eprintln!("skipped {test}: it needs {what}, which `bash scripts/test.sh` sets up");
    false
}

/// Headless Chromium, which `scripts/test.sh` installs; as [`servers_up`].
pub fn chromium() -> Option<String> {
    if !needs(
        "the HTML report tests",
        "KILN_TEST_CHROMIUM",
        "headless Chromium",
    ) {
        return None;
    }
    std::env::var("KILN_TEST_CHROMIUM").ok()
}

/// The pixels of an 8-bit, non-interlaced RGB or RGBA PNG (what a browser's
/// screenshot is), as RGB.
pub fn png_pixels(png: &[u8]) -> Vec<[u8; 3]> {
    use std::io::Read;
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let (mut at, mut width, mut channels, mut data) = (8, 0usize, 0usize, Vec::new());
    while at + 8 <= png.len() {
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let kind = &png[at + 4..at + 8];
        let body = &png[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(body[..4].try_into().unwrap()) as usize;
                assert_eq!((body[8], body[12]), (8, 0), "8-bit, not interlaced");
                channels = match body[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("PNG colour type {other}"),
                };
            }
            b"IDAT" => data.extend_from_slice(body),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&data[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = width * channels;
    let mut prev = vec![0u8; stride];
    let mut out = Vec::new();
    for row in raw.chunks(stride + 1) {
        let (filter, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            let predicted = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("PNG filter {other}"),
            };
            cur[i] = line[i].wrapping_add(predicted);
        }
        out.extend(cur.chunks(channels).map(|p| [p[0], p[1], p[2]]));
        prev = cur;
    }
    out
}
