//! The hub's shared state: configuration, the immutable data set, the
//! mutable catalog (tags, users, events), sessions, fault rules and the
//! request log.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use crate::dataset::{Dataset, Tag, User};
use crate::inject::Rules;
use crate::record::Log;
use crate::session::SessionStore;

/// Hub options (see [`crate::TestHubBuilder`]).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) max_request_length: usize,
    pub(crate) session_lifetime: Duration,
    pub(crate) url_sessions: bool,
    pub(crate) check_client_ip: bool,
    pub(crate) login_creates_user: bool,
    pub(crate) trust_login_as: Option<String>,
    pub(crate) login_header: bool,
    pub(crate) cert_header: Option<String>,
    pub(crate) remote_user_header: Option<String>,
    pub(crate) proxy_dns: Vec<String>,
    pub(crate) proxy_principals: Vec<String>,
    pub(crate) record_requests: bool,
    pub(crate) first_session_id: i64,
    pub(crate) sim: crate::sim::SimConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_request_length: 4_194_304,
            session_lifetime: Duration::from_secs(1440 * 60),
            url_sessions: true,
            check_client_ip: true,
            login_creates_user: true,
            trust_login_as: None,
            login_header: false,
            cert_header: None,
            remote_user_header: None,
            proxy_dns: Vec::new(),
            proxy_principals: Vec::new(),
            record_requests: true,
            first_session_id: 1,
            sim: crate::sim::SimConfig::default(),
        }
    }
}

/// What write calls change.
#[derive(Debug, Clone)]
pub(crate) struct Catalog {
    pub(crate) tags: Vec<Tag>,
    pub(crate) users: Vec<User>,
    pub(crate) passwords: HashMap<String, String>,
    pub(crate) last_event: (i64, f64),
}

impl Catalog {
    /// A tag by id or name.
    pub(crate) fn tag_by_id(&self, id: i64) -> Option<&Tag> {
        self.tags.iter().find(|t| t.id == id)
    }

    /// A tag by name.
    pub(crate) fn tag_by_name(&self, name: &str) -> Option<&Tag> {
        self.tags.iter().find(|t| t.name == name)
    }

    /// A user by id.
    pub(crate) fn user(&self, id: i64) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// A user by name.
    pub(crate) fn user_by_name(&self, name: &str) -> Option<&User> {
        self.users.iter().find(|u| u.name == name)
    }

    /// A user by Kerberos principal.
    pub(crate) fn user_by_principal(&self, p: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| u.krb_principals.iter().any(|k| k == p))
    }

    /// Records a new event (a write) and returns its id.
    pub(crate) fn new_event(&mut self) -> i64 {
        let ts = crate::time::now_ts().max(self.last_event.1);
        self.last_event = (self.last_event.0 + 1, ts);
        self.last_event.0
    }
}

/// Everything a running hub shares between connections.
#[derive(Debug)]
pub(crate) struct Hub {
    pub(crate) cfg: Config,
    pub(crate) data: Dataset,
    catalog: RwLock<Catalog>,
    sessions: Mutex<SessionStore>,
    pub(crate) rules: Rules,
    pub(crate) log: Log,
    /// The `work/` tree of uploads.
    pub(crate) uploads: crate::uploads::UploadStore,
    /// The simulated builder's tasks, builds and messages.
    live: Mutex<crate::sim::Live>,
    /// The broker publisher's inbox, when a broker is configured.
    bus: Mutex<Option<tokio::sync::mpsc::UnboundedSender<crate::sim::Published>>>,
}

impl Hub {
    /// A hub over `data`.
    pub(crate) fn new(cfg: Config, data: Dataset, rules: Rules) -> Hub {
        let catalog = Catalog {
            tags: data.tags.clone(),
            users: data.users.clone(),
            passwords: data.passwords.clone(),
            last_event: data.last_event,
        };
        let sessions =
            SessionStore::new(cfg.first_session_id, cfg.session_lifetime, seed_from_time());
        let log = Log::new(cfg.record_requests);
        let live = crate::sim::Live::new(&data);
        Hub {
            cfg,
            data,
            catalog: RwLock::new(catalog),
            sessions: Mutex::new(sessions),
            rules,
            log,
            uploads: crate::uploads::UploadStore::default(),
            live: Mutex::new(live),
            bus: Mutex::new(None),
        }
    }

    /// Starts publishing to the configured broker (needs a tokio runtime).
    pub(crate) fn start_bus(&self) {
        if let Some(url) = &self.cfg.sim.broker {
            *self.bus.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(crate::bus::spawn(url.clone()));
        }
    }

    /// Runs `f` on the live state, then hands the messages it queued to
    /// the broker publisher (in order).
    pub(crate) fn with_live<T>(&self, f: impl FnOnce(&mut crate::sim::Live) -> T) -> T {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        let out = f(&mut live);
        let msgs = std::mem::take(&mut live.outbox);
        if !msgs.is_empty() {
            let bus = self.bus.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(tx) = bus.as_ref() {
                for m in msgs {
                    let _ = tx.send(m);
                }
            }
        }
        out
    }

    /// One step of the simulated builder; whether anything happened.
    pub(crate) fn step_builder(&self) -> bool {
        if self.with_live(|l| l.idle()) {
            return false;
        }
        let (tags, event) = {
            let mut cat = self.catalog_mut();
            let event = cat.new_event();
            (cat.tags.clone(), event)
        };
        let ctx = crate::sim::StepCtx {
            ds: &self.data,
            tags: &tags,
            prefix: &self.cfg.sim.topic_prefix,
            event,
        };
        self.with_live(|l| l.step(&ctx))
    }

    /// Read access to the catalog.
    pub(crate) fn catalog(&self) -> RwLockReadGuard<'_, Catalog> {
        self.catalog.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Write access to the catalog.
    pub(crate) fn catalog_mut(&self) -> RwLockWriteGuard<'_, Catalog> {
        self.catalog.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The session store.
    pub(crate) fn sessions(&self) -> MutexGuard<'_, SessionStore> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn seed_from_time() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish()
}
