//! A read-through, on-disk cache of id → name lookups.
//!
//! Chat bots and dashboards show "alice tagged hello-1.0-1 into f40" where the
//! hub only gave them `owner: 2` and `tag_id: 197`. [`NameCache`] answers such
//! questions from memory first, then from disk, and only then from the hub,
//! and remembers the answer in both places. Names never expire unless a
//! maximum age is set ([`NameCache::with_max_age`]), which matches txkoji: user
//! and tag names practically never change.
//!
//! Entries live in one small file each:
//! `$XDG_CACHE_HOME/koji-client/<profile>/<kind>/<id>` (or `~/.cache/…` when
//! `XDG_CACHE_HOME` is unset). Names looked up on a hub
//! ([`NameCache::user_name`], [`NameCache::tag_name`],
//! [`NameCache::resolver`]) are kept per hub, below a directory named after
//! the hub's URL (`<profile>/<hub>/<kind>/<id>`, the hub part being its
//! host, port and path plus a hash of the whole URL): the same profile name
//! pointed at another hub never reads the first hub's names. Writes go to a temporary file in the same
//! directory that is renamed into place, so a crash never leaves a truncated
//! name behind; an empty or unreadable entry counts as a miss and is rewritten.
//! When the cache directory cannot be written (read-only file system, wrong
//! permissions), lookups still answer — from memory and the hub — and a
//! warning is logged once per failure.
//!
//! Concurrent lookups of the same id share one fetch: a hundred tasks asking
//! for user 3595 at once make a single hub call.
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use koji_client::cache::NameCache;
//!
//! let dir = std::env::temp_dir().join("koji-client-doc-cache");
//! let cache = NameCache::with_dir(&dir, "fedora")?;
//! let name = cache
//!     .get_or_fetch("user", 3595, |id| async move {
//!         // Here a real program asks the hub, e.g. getUser(id)["name"].
//!         Ok::<_, std::io::Error>(Some(format!("user{id}")))
//!     })
//!     .await?;
//! assert_eq!(name.as_deref(), Some("user3595"));
//! // The second lookup is answered from memory; the fetch is not called.
//! let again = cache
//!     .get_or_fetch("user", 3595, |_| async {
//!         Err(std::io::Error::other("not called: the name is cached"))
//!     })
//!     .await?;
//! assert_eq!(again, name);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(()) }
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(demo()).unwrap();
//! ```

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use tokio::sync::OnceCell;

/// The directory name used below the user's cache directory.
pub const CACHE_DIR_NAME: &str = "koji-client";

/// The cache kind used for user names (`getUser`).
pub const USER: &str = "user";
/// The cache kind used for tag names (`getTag`).
pub const TAG: &str = "tag";

/// Why a cache could not be set up or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// A profile or kind name that is not a safe, single path component.
    #[error("invalid cache {what} name {name:?}: {reason}")]
    InvalidName {
        /// What the name was for: `profile` or `kind`.
        what: &'static str,
        /// The rejected name.
        name: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// Neither `XDG_CACHE_HOME` nor `HOME` is set, so there is no default directory.
    #[error("no cache directory: neither XDG_CACHE_HOME nor HOME is set")]
    NoCacheDir,
    /// Removing cache entries failed.
    #[error("cannot clear cache directory {path}: {source}")]
    Clear {
        /// The directory or file that could not be removed.
        path: PathBuf,
        /// The underlying I/O error.
        source: io::Error,
    },
}

/// The error of [`NameCache::get_or_fetch`]: either the lookup was invalid or
/// the fetch itself failed.
#[derive(Debug, thiserror::Error)]
pub enum LookupError<E> {
    /// The kind name was not usable (see [`CacheError::InvalidName`]).
    #[error(transparent)]
    Cache(#[from] CacheError),
    /// The fetch (usually a hub call) failed; nothing was cached.
    #[error("fetching the name failed: {0}")]
    Fetch(#[source] E),
}

type Key = (String, i64);

/// A read-through cache of id → name lookups for one profile.
///
/// See the [module documentation](self) for the storage layout and the rules.
pub struct NameCache {
    dir: PathBuf,
    profile: String,
    max_age: Option<Duration>,
    memory: Mutex<HashMap<Key, String>>,
    inflight: Mutex<HashMap<Key, Arc<OnceCell<Option<String>>>>>,
}

impl fmt::Debug for NameCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameCache")
            .field("dir", &self.dir)
            .field("profile", &self.profile)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock cannot leave the maps inconsistent
    // (every critical section is a single insert/remove), so keep going.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Checks that `name` can be used as one path component below the cache
/// directory: not empty, not `.` or `..`, no `/`, `\` or NUL, not hidden.
fn check_component(what: &'static str, name: &str) -> Result<(), CacheError> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name == "." || name == ".." {
        Some("it names a directory, not an entry")
    } else if name.contains(['/', '\\']) {
        Some("it contains a path separator")
    } else if name.contains('\0') {
        Some("it contains a NUL character")
    } else if name.starts_with('.') {
        Some("it starts with a dot")
    } else if name.chars().any(char::is_control) {
        Some("it contains a control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CacheError::InvalidName {
            what,
            name: name.to_owned(),
            reason,
        }),
        None => Ok(()),
    }
}

impl NameCache {
    /// The default cache root: `$XDG_CACHE_HOME/koji-client`, or
    /// `~/.cache/koji-client` when `XDG_CACHE_HOME` is unset or empty.
    pub fn default_dir() -> Result<PathBuf, CacheError> {
        let xdg = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty());
        let home = std::env::var_os("HOME").filter(|v| !v.is_empty());
        Self::default_dir_from(xdg.map(PathBuf::from), home.map(PathBuf::from))
    }

    /// The default cache root computed from explicit values of
    /// `XDG_CACHE_HOME` and `HOME` (for tests and embedders).
    pub fn default_dir_from(
        xdg_cache_home: Option<PathBuf>,
        home: Option<PathBuf>,
    ) -> Result<PathBuf, CacheError> {
        // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        let base = match (xdg_cache_home.filter(|p| p.is_absolute()), home) {
            (Some(xdg), _) => xdg,
            (None, Some(home)) => home.join(".cache"),
            (None, None) => return Err(CacheError::NoCacheDir),
        };
        Ok(base.join(CACHE_DIR_NAME))
    }

    /// A cache for `profile` in the [default directory](Self::default_dir).
    pub fn new(profile: &str) -> Result<Self, CacheError> {
        Self::with_dir(Self::default_dir()?, profile)
    }

    /// A cache for `profile` below `root` (entries go to `root/<profile>/<kind>/<id>`).
    ///
    /// Nothing is created on disk until the first name is stored.
    pub fn with_dir(root: impl AsRef<Path>, profile: &str) -> Result<Self, CacheError> {
        check_component("profile", profile)?;
        Ok(NameCache {
            dir: root.as_ref().join(profile),
            profile: profile.to_owned(),
            max_age: None,
            memory: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
        })
    }

    /// Makes entries older than `max_age` count as misses (they are fetched
    /// again and rewritten). `None`, the default, keeps names forever.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// The directory holding this profile's entries.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The profile this cache is for.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    fn entry_path(&self, kind: &str, id: i64) -> PathBuf {
        self.dir.join(kind).join(id.to_string())
    }

    /// The cached name of `kind` `id`, from memory or disk, without fetching.
    pub fn cached(&self, kind: &str, id: i64) -> Result<Option<String>, CacheError> {
        check_component("kind", kind)?;
        Ok(self.lookup_local(kind, id))
    }

    fn lookup_local(&self, kind: &str, id: i64) -> Option<String> {
        let key = (kind.to_owned(), id);
        if self.max_age.is_none() {
            if let Some(name) = lock(&self.memory).get(&key) {
                return Some(name.clone());
            }
        }
        let name = self.read_disk(kind, id)?;
        lock(&self.memory).insert(key, name.clone());
        Some(name)
    }

    fn read_disk(&self, kind: &str, id: i64) -> Option<String> {
        let path = self.entry_path(kind, id);
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "unreadable name cache entry; treating it as a miss");
                return None;
            }
        };
        if let Some(max_age) = self.max_age {
            let fresh = file
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| SystemTime::now().duration_since(modified).ok())
                .is_some_and(|age| age <= max_age);
            if !fresh {
                return None;
            }
        }
        let mut text = String::new();
        if let Err(e) = io::Read::read_to_string(&mut &file, &mut text) {
            tracing::warn!(path = %path.display(), error = %e, "unreadable name cache entry; treating it as a miss");
            return None;
        }
        let name = text.trim_end_matches('\n');
        if name.is_empty() {
            return None;
        }
        Some(name.to_owned())
    }

    /// Stores `name` for `kind` `id` in memory and on disk.
    ///
    /// A disk failure is logged and otherwise ignored: the name stays in memory.
    pub fn insert(&self, kind: &str, id: i64, name: &str) -> Result<(), CacheError> {
        check_component("kind", kind)?;
        self.store(kind, id, name);
        Ok(())
    }

    fn store(&self, kind: &str, id: i64, name: &str) {
        lock(&self.memory).insert((kind.to_owned(), id), name.to_owned());
        if let Err(e) = self.write_disk(kind, id, name) {
            tracing::warn!(
                dir = %self.dir.display(), kind, id, error = %e,
                "cannot write the name cache; the name is kept in memory only"
            );
        }
    }

    fn write_disk(&self, kind: &str, id: i64, name: &str) -> io::Result<()> {
        let dir = self.dir.join(kind);
        std::fs::create_dir_all(&dir)?;
        let mut tmp = tempfile::Builder::new().prefix(".tmp-").tempfile_in(&dir)?;
        tmp.write_all(name.as_bytes())?;
        tmp.write_all(b"\n")?;
        tmp.as_file().sync_all()?;
        tmp.persist(dir.join(id.to_string())).map_err(|e| e.error)?;
        Ok(())
    }

    /// Forgets `kind` `id` in memory and on disk.
    pub fn invalidate(&self, kind: &str, id: i64) -> Result<(), CacheError> {
        check_component("kind", kind)?;
        lock(&self.memory).remove(&(kind.to_owned(), id));
        let path = self.entry_path(kind, id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CacheError::Clear { path, source }),
        }
    }

    /// Forgets every entry of this profile, in memory and on disk.
    pub fn clear(&self) -> Result<(), CacheError> {
        lock(&self.memory).clear();
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(CacheError::Clear {
                path: self.dir.clone(),
                source,
            }),
        }
    }

    /// The name of `kind` `id` as known to the hub at `hub_url` (see
    /// [`user_name`](Self::user_name)): kept apart from every other hub's.
    pub(crate) async fn get_or_fetch_on_hub<F, Fut, E>(
        &self,
        hub_url: &str,
        kind: &str,
        id: i64,
        fetch: F,
    ) -> Result<Option<String>, LookupError<E>>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = Result<Option<String>, E>>,
    {
        check_component("kind", kind)?;
        let key = format!("{}/{kind}", hub_dir_name(hub_url));
        self.fetch_through(&key, id, fetch).await
    }

    /// The name of `kind` `id` as known to the hub at `hub_url`, from memory
    /// or disk, without fetching.
    pub fn cached_on_hub(
        &self,
        hub_url: &str,
        kind: &str,
        id: i64,
    ) -> Result<Option<String>, CacheError> {
        check_component("kind", kind)?;
        Ok(self.lookup_local(&format!("{}/{kind}", hub_dir_name(hub_url)), id))
    }

    /// The name of `kind` `id`: from memory, else from disk, else from
    /// `fetch`, whose answer is then stored.
    ///
    /// `fetch` gets the id and returns `Ok(None)` when the hub has no such
    /// object; that answer is returned but not cached, so a user created
    /// later is found. Concurrent calls for the same key share one `fetch`.
    pub async fn get_or_fetch<F, Fut, E>(
        &self,
        kind: &str,
        id: i64,
        fetch: F,
    ) -> Result<Option<String>, LookupError<E>>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = Result<Option<String>, E>>,
    {
        check_component("kind", kind)?;
        self.fetch_through(kind, id, fetch).await
    }

    /// [`get_or_fetch`](Self::get_or_fetch) below `key`, a checked kind or
    /// `<hub>/<kind>`.
    async fn fetch_through<F, Fut, E>(
        &self,
        kind: &str,
        id: i64,
        fetch: F,
    ) -> Result<Option<String>, LookupError<E>>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = Result<Option<String>, E>>,
    {
        if let Some(name) = self.lookup_local(kind, id) {
            return Ok(Some(name));
        }
        let key = (kind.to_owned(), id);
        let cell = lock(&self.inflight)
            .entry(key.clone())
            .or_insert_with(|| Arc::new(OnceCell::new()))
            .clone();
        let result = cell
            .get_or_try_init(|| async {
                // Another caller may have finished between our miss and now.
                if let Some(name) = self.lookup_local(kind, id) {
                    return Ok(Some(name));
                }
                let name = fetch(id).await.map_err(LookupError::Fetch)?;
                if let Some(name) = &name {
                    self.store(kind, id, name);
                }
                Ok(name)
            })
            .await
            .cloned();
        // The first finisher removes the shared cell; later lookups hit memory.
        {
            let mut inflight = lock(&self.inflight);
            if inflight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                inflight.remove(&key);
            }
        }
        result
    }
}

/// The directory name of a hub's entries: its host, port and path made
/// safe as one path component, and a hash of the whole URL so that URLs
/// that only differ in what was replaced never share a directory.
fn hub_dir_name(url: &str) -> String {
    let url = crate::error::strip_query(url).trim_end_matches('/');
    let readable: String = url
        .split_once("://")
        .map_or(url, |(_, rest)| rest)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    // FNV-1a: stable across runs and versions (std's hasher is not).
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in url.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    let readable = readable.trim_start_matches('.');
    format!("hub-{readable}-{hash:016x}")
}

/// Names looked up on one hub through a [`NameCache`]: the
/// [`NameResolver`](crate::messages::NameResolver) that resolves a bus
/// message's owner and tag ids on the hub, remembering the answers (see
/// [`NameCache::resolver`]).
#[derive(Debug, Clone, Copy)]
pub struct HubNames<'a> {
    pub(crate) cache: &'a NameCache,
    pub(crate) koji: &'a crate::Connection,
}

impl NameCache {
    /// A [`NameResolver`](crate::messages::NameResolver) that answers from
    /// this cache and asks `koji`'s hub for the names it lacks
    /// ([`user_name`](Self::user_name), [`tag_name`](Self::tag_name)); its
    /// errors are the hub's [`Error`](crate::Error)s.
    ///
    /// ```no_run
    /// # async fn demo(koji: koji_client::Connection, mut event: koji_client::messages::KojiEvent) -> koji_client::Result<()> {
    /// use koji_client::cache::NameCache;
    ///
    /// let cache = NameCache::new("fedora")?;
    /// // A task message carries its owner's id only: ask the hub (once).
    /// event.resolve_names(&cache.resolver(&koji)).await?;
    /// println!("{}", event.summary(Some("https://koji.fedoraproject.org/koji")));
    /// # Ok(()) }
    /// ```
    pub fn resolver<'a>(&'a self, koji: &'a crate::Connection) -> HubNames<'a> {
        HubNames { cache: self, koji }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn cache(dir: &Path) -> NameCache {
        NameCache::with_dir(dir, "testprofile").unwrap()
    }

    async fn fetch_ok(id: i64) -> Result<Option<String>, io::Error> {
        Ok(Some(format!("name-{id}")))
    }

    #[tokio::test]
    async fn miss_fetches_then_hits_memory_and_disk() {
        let tmp = tempfile::tempdir().unwrap();
        let calls = AtomicUsize::new(0);
        let c = cache(tmp.path());
        let fetch = |id| {
            calls.fetch_add(1, Ordering::SeqCst);
            fetch_ok(id)
        };
        assert_eq!(
            c.get_or_fetch(USER, 7, fetch).await.unwrap().as_deref(),
            Some("name-7")
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let on_disk = std::fs::read_to_string(tmp.path().join("testprofile/user/7")).unwrap();
        assert_eq!(on_disk, "name-7\n");
        // Memory hit.
        let fetch = |id| {
            calls.fetch_add(1, Ordering::SeqCst);
            fetch_ok(id)
        };
        assert_eq!(
            c.get_or_fetch(USER, 7, fetch).await.unwrap().as_deref(),
            Some("name-7")
        );
        // Disk hit from a fresh cache object (a new process).
        let c2 = cache(tmp.path());
        let fetch = |id| {
            calls.fetch_add(1, Ordering::SeqCst);
            fetch_ok(id)
        };
        assert_eq!(
            c2.get_or_fetch(USER, 7, fetch).await.unwrap().as_deref(),
            Some("name-7")
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn kinds_are_separate() {
        let tmp = tempfile::tempdir().unwrap();
        let c = cache(tmp.path());
        c.insert(USER, 1, "alice").unwrap();
        c.insert(TAG, 1, "f40").unwrap();
        assert_eq!(c.cached(USER, 1).unwrap().as_deref(), Some("alice"));
        assert_eq!(c.cached(TAG, 1).unwrap().as_deref(), Some("f40"));
        assert_eq!(c.cached("channel", 1).unwrap(), None);
    }

    #[tokio::test]
    async fn nil_answer_is_not_cached() {
        let tmp = tempfile::tempdir().unwrap();
        let c = cache(tmp.path());
        let got = c
            .get_or_fetch(USER, 99, |_| async { Ok::<_, io::Error>(None) })
            .await
            .unwrap();
        assert_eq!(got, None);
        assert!(!tmp.path().join("testprofile/user/99").exists());
        // A later lookup asks again and finds the user created meanwhile.
        let got = c.get_or_fetch(USER, 99, fetch_ok).await.unwrap();
        assert_eq!(got.as_deref(), Some("name-99"));
    }

    #[tokio::test]
    async fn fetch_error_is_returned_and_not_cached() {
        let tmp = tempfile::tempdir().unwrap();
        let c = cache(tmp.path());
        let err = c
            .get_or_fetch(USER, 5, |_| async {
                Err::<Option<String>, _>(io::Error::other("hub down"))
            })
            .await
            .unwrap_err();
        assert!(matches!(err, LookupError::Fetch(ref e) if e.to_string() == "hub down"));
        assert_eq!(c.cached(USER, 5).unwrap(), None);
        assert_eq!(
            c.get_or_fetch(USER, 5, fetch_ok).await.unwrap().as_deref(),
            Some("name-5")
        );
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_fetch() {
        let tmp = tempfile::tempdir().unwrap();
        let c = Arc::new(cache(tmp.path()));
        let calls = Arc::new(AtomicUsize::new(0));
        let gate = Arc::new(tokio::sync::Notify::new());
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (c, calls, gate) = (c.clone(), calls.clone(), gate.clone());
            tasks.push(tokio::spawn(async move {
                c.get_or_fetch(USER, 3595, |id| async move {
                    calls.fetch_add(1, Ordering::SeqCst);
                    // Hold the fetch open until every task is waiting for it.
                    gate.notified().await;
                    Ok::<_, io::Error>(Some(format!("user{id}")))
                })
                .await
            }));
        }
        // On this single-threaded runtime each yield lets every spawned task
        // run up to its first await: one inside the fetch, 99 on the shared cell.
        for _ in 0..3 {
            tokio::task::yield_now().await;
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        gate.notify_waiters();
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap().as_deref(), Some("user3595"));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn corrupt_or_empty_entry_is_a_miss_and_rewritten() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("testprofile/user");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("3"), "").unwrap();
        std::fs::write(dir.join("4"), [0xff, 0xfe, 0x00]).unwrap();
        let c = cache(tmp.path());
        assert_eq!(c.cached(USER, 3).unwrap(), None);
        assert_eq!(c.cached(USER, 4).unwrap(), None);
        assert_eq!(
            c.get_or_fetch(USER, 3, fetch_ok).await.unwrap().as_deref(),
            Some("name-3")
        );
        assert_eq!(
            c.get_or_fetch(USER, 4, fetch_ok).await.unwrap().as_deref(),
            Some("name-4")
        );
        assert_eq!(std::fs::read_to_string(dir.join("3")).unwrap(), "name-3\n");
        assert_eq!(std::fs::read_to_string(dir.join("4")).unwrap(), "name-4\n");
    }

    #[tokio::test]
    async fn writes_leave_no_temporary_files() {
        let tmp = tempfile::tempdir().unwrap();
        let c = cache(tmp.path());
        for id in 0..20 {
            c.get_or_fetch(TAG, id, fetch_ok).await.unwrap();
        }
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("testprofile/tag"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 20);
        assert!(names.iter().all(|n| n.parse::<i64>().is_ok()), "{names:?}");
    }

    #[tokio::test]
    async fn read_only_directory_still_answers() {
        let tmp = tempfile::tempdir().unwrap();
        // A regular file where the profile directory should be: no write can
        // succeed, whoever runs the test (root ignores permission bits).
        std::fs::write(tmp.path().join("testprofile"), "not a directory").unwrap();
        let c = cache(tmp.path());
        let got = c.get_or_fetch(USER, 1, fetch_ok).await.unwrap();
        assert_eq!(got.as_deref(), Some("name-1"));
        // Kept in memory even though the disk write failed.
        let got = c
            .get_or_fetch(USER, 1, |_| async {
                Err::<Option<String>, _>(io::Error::other("must not be called"))
            })
            .await
            .unwrap();
        assert_eq!(got.as_deref(), Some("name-1"));
    }

    #[tokio::test]
    async fn path_traversal_is_rejected() {
        let tmp = tempfile::tempdir().unwrap();
        for bad in [
            "", ".", "..", "../x", "a/b", "a\\b", "nul\0", ".hidden", "tab\t",
        ] {
            assert!(
                matches!(
                    NameCache::with_dir(tmp.path(), bad),
                    Err(CacheError::InvalidName {
                        what: "profile",
                        ..
                    })
                ),
                "profile {bad:?}"
            );
            let c = cache(tmp.path());
            let err = c.get_or_fetch(bad, 1, fetch_ok).await.unwrap_err();
            assert!(
                matches!(
                    err,
                    LookupError::Cache(CacheError::InvalidName { what: "kind", .. })
                ),
                "kind {bad:?}"
            );
            assert!(c.insert(bad, 1, "x").is_err());
            assert!(c.cached(bad, 1).is_err());
            assert!(c.invalidate(bad, 1).is_err());
        }
        // Nothing was written anywhere.
        assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn invalidate_and_clear() {
        let tmp = tempfile::tempdir().unwrap();
        let c = cache(tmp.path());
        c.insert(USER, 1, "alice").unwrap();
        c.insert(USER, 2, "bob").unwrap();
        c.invalidate(USER, 1).unwrap();
        assert_eq!(c.cached(USER, 1).unwrap(), None);
        assert_eq!(c.cached(USER, 2).unwrap().as_deref(), Some("bob"));
        c.clear().unwrap();
        assert_eq!(c.cached(USER, 2).unwrap(), None);
        assert!(!tmp.path().join("testprofile").exists());
        // Clearing an empty cache is fine.
        c.clear().unwrap();
    }

    #[tokio::test]
    async fn max_age_expires_entries() {
        let tmp = tempfile::tempdir().unwrap();
        let c = cache(tmp.path());
        c.insert(USER, 1, "old-name").unwrap();
        // Back-date the entry by two hours.
        let path = tmp.path().join("testprofile/user/1");
        let f = std::fs::File::options().write(true).open(&path).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(7200))
            .unwrap();
        drop(f);
        let fresh = cache(tmp.path()).with_max_age(Some(Duration::from_secs(3600)));
        assert_eq!(fresh.cached(USER, 1).unwrap(), None);
        let got = fresh.get_or_fetch(USER, 1, fetch_ok).await.unwrap();
        assert_eq!(got.as_deref(), Some("name-1"));
        // Without a max age the old entry would have been used.
        let forever = cache(tmp.path());
        assert_eq!(forever.cached(USER, 1).unwrap().as_deref(), Some("name-1"));
    }

    #[test]
    fn hub_directories_differ_per_hub_and_are_one_component() {
        let a = hub_dir_name("https://koji.example.com/kojihub");
        let b = hub_dir_name("https://koji.example.com:8443/kojihub");
        let c = hub_dir_name("https://koji.example.com/kojihub/");
        let d = hub_dir_name("https://koji.example.com/kojihub?session-key=x");
        assert_ne!(a, b);
        assert_eq!(a, c);
        assert_eq!(a, d);
        assert!(a.starts_with("hub-koji.example.com_kojihub-"), "{a}");
        for name in [&a, &b, &hub_dir_name("http://../../etc")] {
            check_component("hub", name).unwrap();
        }
    }

    #[tokio::test]
    async fn names_of_two_hubs_stay_apart() {
        let tmp = tempfile::tempdir().unwrap();
        let c = cache(tmp.path());
        let one = c
            .get_or_fetch_on_hub("http://hub-one/kojihub", USER, 1, |_| async {
                Ok::<_, io::Error>(Some("alice".to_owned()))
            })
            .await
            .unwrap();
        let two = c
            .get_or_fetch_on_hub("http://hub-two/kojihub", USER, 1, |_| async {
                Ok::<_, io::Error>(Some("zoe".to_owned()))
            })
            .await
            .unwrap();
        assert_eq!(one.as_deref(), Some("alice"));
        assert_eq!(two.as_deref(), Some("zoe"));
        // A new process with the same profile name reads each hub's own name.
        let again = cache(tmp.path());
        assert_eq!(
            again
                .cached_on_hub("http://hub-one/kojihub", USER, 1)
                .unwrap()
                .as_deref(),
            Some("alice")
        );
        assert_eq!(
            again
                .cached_on_hub("http://hub-two/kojihub", USER, 1)
                .unwrap()
                .as_deref(),
            Some("zoe")
        );
        assert_eq!(again.cached(USER, 1).unwrap(), None);
    }

    #[test]
    fn default_dir_rules() {
        let d = NameCache::default_dir_from(Some("/x/cache".into()), Some("/home/u".into()));
        assert_eq!(d.unwrap(), PathBuf::from("/x/cache/koji-client"));
        let d = NameCache::default_dir_from(None, Some("/home/u".into()));
        assert_eq!(d.unwrap(), PathBuf::from("/home/u/.cache/koji-client"));
        // A relative XDG_CACHE_HOME is ignored, per the XDG spec.
        let d = NameCache::default_dir_from(Some("rel".into()), Some("/home/u".into()));
        assert_eq!(d.unwrap(), PathBuf::from("/home/u/.cache/koji-client"));
        assert!(matches!(
            NameCache::default_dir_from(None, None),
            Err(CacheError::NoCacheDir)
        ));
    }
}
