//! One connection to a remote through object_store, and the single-object
//! operations the transfer engine is built from: existence checks, listing,
//! verified uploads and verified downloads.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use futures::StreamExt;
use object_store::client::HttpErrorKind;
use object_store::path::Path as Key;
use object_store::{
    BackoffConfig, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig, WriteMultipart,
};

use super::RemoteError;
use crate::config::remote::{RemoteConfig, Scheme, SettingsError};
use crate::fsutil::{self, IoError};
use crate::redact::{self, Scrubber};
use crate::store::{Id, Staged, Store, Tree};

/// Objects this large go up in parts; smaller ones in one request.
pub const MULTIPART_FROM: u64 = 8 << 20;
const PART_SIZE: usize = 8 << 20;
/// The largest tree read from a remote: a million entries take ~100 MiB.
const MAX_TREE: u64 = 1 << 30;
/// Whole-object attempts for a download whose body broke off midway
/// (object_store retries requests, not interrupted bodies).
const DOWNLOAD_ATTEMPTS: u32 = 3;
/// Ranged requests in flight for one large download, and for all of them:
/// bounds the memory parts take (8 MiB each) however many files download.
const PARTS_AT_ONCE: usize = 8;
const PARTS_HELD: usize = 16;

/// What a download produced.
pub enum Got<T> {
    Ok(T),
    /// The bytes did not hash to the id (or ran past the expected size).
    Corrupt,
    /// The remote has no such object.
    Missing,
}

/// One object as a listing shows it.
pub struct Listed {
    pub id: Id,
    pub size: u64,
    pub modified: i64,
}

pub struct Conn {
    store: Arc<dyn ObjectStore>,
    root: Key,
    name: String,
    url: String,
    scrub: Scrubber,
    scheme: Scheme,
    /// Ranged parts held in memory at once, across all downloads.
    parts: Arc<tokio::sync::Semaphore>,
}

impl Conn {
    pub fn new(
        config: &RemoteConfig,
        folder: Option<&Path>,
        create: bool,
    ) -> Result<Conn, RemoteError> {
        // Errors name the endpoint too: the same bucket name means another
        // bucket elsewhere.
        let url = match &config.kiln.endpoint {
            Some(e) => format!("{} at {}", config.display_url(), redact::url(e)),
            None => config.display_url(),
        };
        let scrub = Scrubber::new(config.secrets());
        let build_err = |e: object_store::Error| RemoteError::Build {
            name: config.name.clone(),
            url: url.clone(),
            message: redact::describe(&e, &scrub),
        };
        let (store, root): (Arc<dyn ObjectStore>, Key) = match folder {
            Some(dir) => {
                if create {
                    fsutil::create_dir_all(dir)?;
                } else if !dir.is_dir() {
                    return Err(RemoteError::NoFolder {
                        name: config.name.clone(),
                        path: dir.to_path_buf(),
                    });
                }
                let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
                    .map_err(build_err)?;
                (Arc::new(fs), Key::default())
            }
            None => {
                let parsed = url::Url::parse(&config.url).map_err(|e| SettingsError::BadUrl {
                    name: config.name.clone(),
                    url: url.clone(),
                    reason: e.to_string(),
                })?;
                let root =
                    Key::from_url_path(parsed.path()).map_err(|e| SettingsError::BadUrl {
                        name: config.name.clone(),
                        url: url.clone(),
                        reason: e.to_string(),
                    })?;
                (build_cloud(config, build_err)?, root)
            }
        };
        Ok(Conn {
            store,
            root,
            name: config.name.clone(),
            url,
            scrub,
            scheme: config.scheme,
            parts: Arc::new(tokio::sync::Semaphore::new(PARTS_HELD)),
        })
    }

    pub fn key(&self, id: &Id) -> Key {
        let hex = id.hex();
        self.root
            .clone()
            .join("objects")
            .join(&hex[..2])
            .join(&hex[2..])
    }

    fn prefix_key(&self, prefix: u8) -> Key {
        self.root
            .clone()
            .join("objects")
            .join(format!("{prefix:02x}").as_str())
    }

    /// The id a listed object's key names, if it is an object at all
    /// (interrupted uploads may leave other names behind).
    fn id_of(location: &Key) -> Option<Id> {
        let parts: Vec<_> = location.parts().collect();
        let [.., dir, file] = parts.as_slice() else {
            return None;
        };
        format!("{}{}", dir.as_ref(), file.as_ref()).parse().ok()
    }

    pub fn fail(&self, what: impl Into<String>, e: &object_store::Error) -> RemoteError {
        self.refused(what.into(), redact::describe(e, &self.scrub))
    }

    pub fn bad_tree(&self, source: crate::store::TreeError) -> RemoteError {
        RemoteError::BadTree {
            name: self.name.clone(),
            url: self.url.clone(),
            source,
        }
    }

    /// One cheap request that tells a missing bucket or an unreachable
    /// server apart before any real work starts.
    pub async fn preflight(&self) -> Result<(), RemoteError> {
        if self.scheme == Scheme::Local {
            return Ok(());
        }
        let prefix = (!self.root.as_ref().is_empty()).then_some(&self.root);
        match self.again(|| self.store.list_with_delimiter(prefix)).await {
            Ok(_) => Ok(()),
            Err(e)
                if matches!(e, object_store::Error::NotFound { .. })
                    || redact::code(&e)
                        .is_some_and(|c| c == "NoSuchBucket" || c == "ContainerNotFound") =>
            {
                Err(RemoteError::NoBucket {
                    name: self.name.clone(),
                    url: self.url.clone(),
                })
            }
            Err(e) => Err(self.fail("reach the remote", &e)),
        }
    }

    /// The size of an object on the remote, or None if it is not there.
    pub async fn head(&self, id: &Id) -> Result<Option<u64>, RemoteError> {
        let key = self.key(id);
        match self.again(|| self.store.head(&key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.fail(format!("check object {}", id.short()), &e)),
        }
    }

    /// Objects under `objects/xx/` with their sizes, up to `limit` entries;
    /// the flag says whether the listing was complete.
    pub async fn list_prefix(
        &self,
        prefix: u8,
        limit: usize,
    ) -> Result<(Vec<(Id, u64)>, bool), RemoteError> {
        let (listed, complete) = self.list_under(&self.prefix_key(prefix), limit).await?;
        Ok((
            listed.into_iter().map(|l| (l.id, l.size)).collect(),
            complete,
        ))
    }

    /// Every object on the remote: its id, size and when it was last
    /// written, in seconds since 1970 by the server's clock.
    pub async fn list_objects(&self) -> Result<Vec<Listed>, RemoteError> {
        let key = self.root.clone().join("objects");
        Ok(self.list_under(&key, usize::MAX).await?.0)
    }

    /// The objects below `key`, up to `limit`; whether that was all of them.
    async fn list_under(
        &self,
        key: &Key,
        limit: usize,
    ) -> Result<(Vec<Listed>, bool), RemoteError> {
        // A listing that broke off is listed again from the start.
        let listed = self
            .again(|| async {
                let mut stream = self.store.list(Some(key));
                let mut out = Vec::new();
                while let Some(item) = stream.next().await {
                    if out.len() >= limit {
                        return Ok((out, false));
                    }
                    match item {
                        Ok(meta) => {
                            if let Some(id) = Self::id_of(&meta.location) {
                                out.push(Listed {
                                    id,
                                    size: meta.size,
                                    modified: meta.last_modified.timestamp(),
                                });
                            }
                        }
                        Err(object_store::Error::NotFound { .. }) => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok((out, true))
            })
            .await;
        listed.map_err(|e| self.fail(format!("list {key}"), &e))
    }

    /// Whether the object is a tree, by its first bytes.
    pub async fn is_tree(&self, id: &Id, size: u64) -> Result<bool, RemoteError> {
        let header = crate::store::tree::HEADER.as_bytes();
        if size < header.len() as u64 {
            return Ok(false);
        }
        let key = self.key(id);
        match self
            .again(|| self.store.get_range(&key, 0..header.len() as u64))
            .await
        {
            Ok(bytes) => Ok(bytes.as_ref() == header),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.fail(format!("read object {}", id.short()), &e)),
        }
    }

    /// Deletes an object; one already gone is no error.
    pub async fn delete(&self, id: &Id) -> Result<(), RemoteError> {
        let key = self.key(id);
        match self.store.delete(&key).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.fail(format!("delete object {}", id.short()), &e)),
        }
    }

    /// When a derived file was last written, by the server's clock.
    pub async fn modified(&self, area: &str, rel: &str) -> Result<i64, RemoteError> {
        let key = self.derived_key(area, rel);
        self.again(|| self.store.head(&key))
            .await
            .map(|m| m.last_modified.timestamp())
            .map_err(|e| self.fail(format!("read {key}"), &e))
    }

    /// The key of a derived file (not content-addressed by its bytes) under
    /// `area` (such as `results`), at the slash-separated `rel`.
    fn derived_key(&self, area: &str, rel: &str) -> Key {
        rel.split('/')
            .fold(self.area_key(area), |k, part| k.join(part))
    }

    fn area_key(&self, area: &str) -> Key {
        area.split('/')
            .fold(self.root.clone(), |k, part| k.join(part))
    }

    /// Every file under `area`: its path below it and its size.
    pub async fn list_derived(&self, area: &str) -> Result<Vec<(String, u64)>, RemoteError> {
        let base = self.area_key(area);
        let listed = self
            .again(|| async {
                let mut stream = self.store.list(Some(&base));
                let mut out = Vec::new();
                while let Some(item) = stream.next().await {
                    match item {
                        Ok(meta) => {
                            let parts: Vec<String> = meta
                                .location
                                .prefix_match(&base)
                                .map(|p| p.map(|s| s.as_ref().to_string()).collect())
                                .unwrap_or_default();
                            if !parts.is_empty() {
                                out.push((parts.join("/"), meta.size));
                            }
                        }
                        Err(object_store::Error::NotFound { .. }) => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok(out)
            })
            .await;
        listed.map_err(|e| self.fail(format!("list {base}"), &e))
    }

    pub async fn put_derived(
        &self,
        area: &str,
        rel: &str,
        bytes: Bytes,
    ) -> Result<(), RemoteError> {
        let key = self.derived_key(area, rel);
        self.store
            .put(&key, PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| self.fail(format!("upload {key}"), &e))
    }

    /// A derived file's bytes, up to `limit` of them (a larger one is
    /// refused); None if it is not there.
    pub async fn get_derived(
        &self,
        area: &str,
        rel: &str,
        limit: u64,
    ) -> Result<Option<Bytes>, RemoteError> {
        let key = self.derived_key(area, rel);
        let got = self
            .again(|| async {
                match self.store.get(&key).await {
                    Ok(r) if r.meta.size > limit => Ok(Err(r.meta.size)),
                    Ok(r) => r.bytes().await.map(|b| Ok(Some(b))),
                    Err(object_store::Error::NotFound { .. }) => Ok(Ok(None)),
                    Err(e) => Err(e),
                }
            })
            .await
            .map_err(|e| self.fail(format!("download {key}"), &e))?;
        got.map_err(|size| {
            self.refused(
                format!("download {key}"),
                format!("it is {size} bytes, more than the {limit} expected"),
            )
        })
    }

    /// A request the remote answered with something kiln does not take.
    pub fn refused(&self, what: String, message: String) -> RemoteError {
        RemoteError::Backend {
            name: self.name.clone(),
            url: self.url.clone(),
            what,
            message,
        }
    }

    /// Sends an idempotent request again when its answer broke off part way
    /// (a reset connection, a body shorter than it said): object_store
    /// retries requests that fail, not answers that end early.
    async fn again<T, F, Fut>(&self, mut request: F) -> Result<T, object_store::Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, object_store::Error>>,
    {
        let mut attempt = 1;
        loop {
            match request().await {
                Err(e) if attempt < DOWNLOAD_ATTEMPTS && broke_off(&e) => {
                    tracing::debug!(
                        "an answer broke off ({}); asking again",
                        redact::describe(&e, &self.scrub)
                    );
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    /// Uploads a stored object, checking on the way that its bytes still
    /// hash to its id: a damaged local object never reaches the remote.
    pub async fn upload(
        &self,
        object: PathBuf,
        id: Id,
        tree: bool,
        size: u64,
        parts_in_flight: usize,
    ) -> Result<(), RemoteError> {
        let key = self.key(&id);
        let what = || format!("upload object {}", id.short());
        // Trees go whole: their id is over the whole encoding.
        if tree || size < MULTIPART_FROM {
            let data = super::blocking(move || {
                let data = fsutil::read(&object)?;
                let actual = if tree {
                    Id::of_tree_bytes(&data)
                } else {
                    Id::of_bytes(&data)
                };
                if actual != id {
                    return Err(RemoteError::LocalCorrupt { id });
                }
                Ok(data)
            })
            .await??;
            self.store
                .put(&key, PutPayload::from(Bytes::from(data)))
                .await
                .map_err(|e| self.fail(what(), &e))?;
            return Ok(());
        }
        let upload = self
            .store
            .put_multipart(&key)
            .await
            .map_err(|e| self.fail(what(), &e))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
        match self
            .send_parts(&mut writer, &object, id, parts_in_flight)
            .await
        {
            Ok(()) => {
                writer.finish().await.map_err(|e| self.fail(what(), &e))?;
                Ok(())
            }
            Err(e) => {
                // Nothing half-uploaded stays behind on the remote.
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    /// Reads a large object part by part into a multipart upload, hashing
    /// it on the way.
    async fn send_parts(
        &self,
        writer: &mut WriteMultipart,
        object: &Path,
        id: Id,
        parts_in_flight: usize,
    ) -> Result<(), RemoteError> {
        let mut file = fsutil::open(object)?;
        let mut hasher = blake3::Hasher::new();
        loop {
            let (f, chunk) = read_chunk(file, object).await?;
            file = f;
            if chunk.is_empty() {
                break;
            }
            hasher.update(&chunk);
            writer
                .wait_for_capacity(parts_in_flight)
                .await
                .map_err(|e| self.fail(format!("upload object {}", id.short()), &e))?;
            writer.put(chunk);
        }
        if Id::from(hasher.finalize()) != id {
            return Err(RemoteError::LocalCorrupt { id });
        }
        Ok(())
    }

    /// Downloads a file object into the store's temporary folder, hashing
    /// it as it streams; `size` is what the tree that names it says.
    pub async fn download_file(
        &self,
        store: &Store,
        id: Id,
        size: u64,
    ) -> Result<Got<Staged>, RemoteError> {
        let mut attempt = 1;
        loop {
            match self.try_download(store, id, size).await {
                Err(Broke(e)) if attempt < DOWNLOAD_ATTEMPTS => {
                    tracing::debug!(
                        "download of {} broke off ({}); trying again",
                        id.short(),
                        redact::describe(&e, &self.scrub)
                    );
                    tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                    attempt += 1;
                }
                Err(Broke(e)) => {
                    return Err(self.fail(format!("download object {}", id.short()), &e));
                }
                Ok(got) => return got,
            }
        }
    }

    async fn try_download(
        &self,
        store: &Store,
        id: Id,
        size: u64,
    ) -> Result<Result<Got<Staged>, RemoteError>, Broke> {
        if size > PART_SIZE as u64 {
            return self.try_download_parts(store, id, size).await;
        }
        let result = match self.store.get(&self.key(&id)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(Ok(Got::Missing)),
            Err(e) => {
                return Ok(Err(self.fail(format!("download object {}", id.short()), &e)));
            }
        };
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(16);
        let staging = store.clone();
        let writer = tokio::task::spawn_blocking(move || {
            let mut reader = ChannelReader {
                rx,
                current: Bytes::new(),
            };
            staging.stage_verified(&mut reader, id)
        });
        let mut stream = result.into_stream();
        let mut received = 0u64;
        let mut broke = None;
        let mut oversize = false;
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(bytes) => {
                    received += bytes.len() as u64;
                    if received > size {
                        oversize = true;
                        break;
                    }
                    if tx.send(bytes).await.is_err() {
                        break;
                    }
                }
                Err(e) => {
                    broke = Some(e);
                    break;
                }
            }
        }
        drop(tx);
        let staged = match super::joined(writer.await) {
            Ok(staged) => staged,
            Err(e) => return Ok(Err(e)),
        };
        if let Some(e) = broke {
            return Err(Broke(e));
        }
        Ok(match staged {
            Err(e) => Err(e.into()),
            Ok(_) if oversize => Ok(Got::Corrupt),
            Ok(Some(s)) => Ok(Got::Ok(s)),
            Ok(None) => Ok(Got::Corrupt),
        })
    }

    /// A large object as concurrent ranged requests written in place, then
    /// hashed whole: one stream from one object is as slow as the server
    /// serves a single request.
    async fn try_download_parts(
        &self,
        store: &Store,
        id: Id,
        size: u64,
    ) -> Result<Result<Got<Staged>, RemoteError>, Broke> {
        use std::os::unix::fs::FileExt;
        let key = self.key(&id);
        // A remote object of another size is damaged, not a broken transfer.
        match self.store.head(&key).await {
            Ok(meta) if meta.size != size => return Ok(Ok(Got::Corrupt)),
            Ok(_) => {}
            Err(object_store::Error::NotFound { .. }) => return Ok(Ok(Got::Missing)),
            Err(e) => return Ok(Err(self.fail(format!("download object {}", id.short()), &e))),
        }
        let fail = |e: IoError| Ok(Err(RemoteError::from(e)));
        let tmp = match store.temp_object() {
            Ok(t) => t,
            Err(e) => return fail(e),
        };
        let file = match tmp.as_file().try_clone() {
            Ok(f) => Arc::new(f),
            Err(e) => return fail(IoError::new("open", tmp.path(), e)),
        };
        let parts = (0..size)
            .step_by(PART_SIZE)
            .map(|start| start..size.min(start + PART_SIZE as u64));
        let mut written = futures::stream::iter(parts)
            .map(|range| {
                let file = file.clone();
                let key = &key;
                async move {
                    let _held = self
                        .parts
                        .acquire()
                        .await
                        .expect("the semaphore is never closed");
                    let bytes = self.store.get_range(key, range.clone()).await?;
                    if bytes.len() as u64 != range.end - range.start {
                        return Ok(None);
                    }
                    let wrote =
                        super::blocking(move || file.write_all_at(&bytes, range.start)).await;
                    Ok(Some(wrote))
                }
            })
            .buffer_unordered(PARTS_AT_ONCE);
        while let Some(part) = written.next().await {
            match part {
                Ok(Some(Ok(Ok(())))) => {}
                Ok(Some(Ok(Err(e)))) => return fail(IoError::new("write", tmp.path(), e)),
                Ok(Some(Err(e))) => return Ok(Err(e)),
                // A short part: the remote object is not what its id says.
                Ok(None) => return Ok(Ok(Got::Corrupt)),
                Err(object_store::Error::NotFound { .. }) => return Ok(Ok(Got::Missing)),
                Err(e) => return Err(Broke(e)),
            }
        }
        drop(written);
        let staging = store.clone();
        let staged = match super::blocking(move || staging.stage_written(tmp, id)).await {
            Ok(staged) => staged,
            Err(e) => return Ok(Err(e)),
        };
        Ok(match staged {
            Err(e) => Err(e.into()),
            Ok(Some(s)) => Ok(Got::Ok(s)),
            Ok(None) => Ok(Got::Corrupt),
        })
    }

    /// Downloads a tree, checks its id and every name in it, and stages it.
    pub async fn download_tree(
        &self,
        store: &Store,
        id: Id,
    ) -> Result<Got<(Tree, Staged, u64)>, RemoteError> {
        let what = || format!("download tree {}", id.short());
        let mut attempt = 1;
        let bytes = loop {
            let result = match self.store.get(&self.key(&id)).await {
                Ok(r) => r,
                Err(object_store::Error::NotFound { .. }) => return Ok(Got::Missing),
                Err(e) => return Err(self.fail(what(), &e)),
            };
            if result.meta.size > MAX_TREE {
                return Ok(Got::Corrupt);
            }
            match result.bytes().await {
                Ok(b) => break b,
                Err(e) if attempt < DOWNLOAD_ATTEMPTS => {
                    tracing::debug!(
                        "download of tree {} broke off ({}); trying again",
                        id.short(),
                        redact::describe(&e, &self.scrub)
                    );
                    attempt += 1;
                }
                Err(e) => return Err(self.fail(what(), &e)),
            }
        };
        if Id::of_tree_bytes(&bytes) != id {
            return Ok(Got::Corrupt);
        }
        let tree = Tree::decode(id, &bytes).map_err(|e| self.bad_tree(e))?;
        let len = bytes.len() as u64;
        let staging = store.clone();
        // Verified above: written as they are.
        let staged = super::blocking(move || staging.stage_with_id(&bytes, id)).await??;
        Ok(Got::Ok((tree, staged, len)))
    }
}

/// Whether a failed request's answer broke off part way, which asking again
/// can mend (as opposed to an answer that says no).
fn broke_off(e: &object_store::Error) -> bool {
    redact::transport(e).is_some_and(|h| {
        matches!(
            h.kind(),
            HttpErrorKind::Interrupted | HttpErrorKind::Decode | HttpErrorKind::Timeout
        )
    })
}

/// A body that broke off after the request succeeded.
struct Broke(object_store::Error);

/// Reads up to one part from `file` off the async threads.
async fn read_chunk(
    file: std::fs::File,
    path: &Path,
) -> Result<(std::fs::File, Bytes), RemoteError> {
    let path = path.to_path_buf();
    super::blocking(move || {
        let mut file = file;
        let mut buf = Vec::with_capacity(PART_SIZE);
        (&mut file)
            .take(PART_SIZE as u64)
            .read_to_end(&mut buf)
            .map_err(|e| IoError::new("read", &path, e))?;
        Ok((file, Bytes::from(buf)))
    })
    .await?
}

/// Feeds a blocking reader (the store's verified staging) from chunks
/// arriving on an async channel; the channel closing is the end.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.current = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        self.current.advance(n);
        Ok(n)
    }
}

/// Builds the client for a cloud remote: the provider's environment
/// variables first, then the remote's options over them.
fn build_cloud(
    config: &RemoteConfig,
    build_err: impl Fn(object_store::Error) -> RemoteError,
) -> Result<Arc<dyn ObjectStore>, RemoteError> {
    // About ten seconds of retries on average before a failure is reported:
    // long enough for a server restart or a network blip, short enough for
    // a wrong endpoint. The `retries` option trades one for the other.
    let retry = RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(300),
            max_backoff: Duration::from_secs(8),
            base: 3.0,
        },
        max_retries: config.kiln.retries.unwrap_or(6),
        retry_timeout: Duration::from_secs(180),
    };
    let mut options = config.backend_options();
    // Bodies are not hashed into S3 signatures unless asked: kiln checks
    // every object by its id at both ends, and TLS guards the wire. It
    // spares a SHA-256 pass over all data on each side.
    if config.scheme == Scheme::S3
        && !config.kiln.unsigned_payload_set
        && std::env::var_os(crate::env::AWS_UNSIGNED_PAYLOAD).is_none()
    {
        options.push(("unsigned_payload", "true".into()));
    }
    for (name, time) in [
        ("timeout", config.kiln.timeout),
        ("connect_timeout", config.kiln.connect_timeout),
    ] {
        if let Some(time) = time {
            options.push((name, format!("{}s", time.as_secs())));
        }
    }
    // The keys come from kiln's own table of options, so they parse.
    macro_rules! build {
        ($builder:ty) => {{
            let mut b = <$builder>::from_env()
                .with_url(&config.url)
                .with_retry(retry);
            for (k, v) in options {
                b = b.with_config(k.parse().map_err(&build_err)?, v);
            }
            Arc::new(b.build().map_err(&build_err)?)
        }};
    }
    Ok(match config.scheme {
        Scheme::S3 => build!(object_store::aws::AmazonS3Builder),
        Scheme::Gs => build!(object_store::gcp::GoogleCloudStorageBuilder),
        Scheme::Az => build!(object_store::azure::MicrosoftAzureBuilder),
        Scheme::Local => {
            return Err(SettingsError::BadUrl {
                name: config.name.clone(),
                url: config.display_url(),
                reason: "a folder is not an object store".into(),
            }
            .into());
        }
    })
}
