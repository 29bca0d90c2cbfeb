//! Passwords (argon2id at OWASP parameters) and random bearer tokens
//! (stored as SHA-256 hashes: they are long and random, so a fast hash is
//! enough and lookups stay cheap).

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

/// Prefix of a person's session token.
pub const SESSION_PREFIX: &str = "hcs_";
/// Prefix of a terminal's token.
pub const TERMINAL_PREFIX: &str = "hct_";

/// A secret shown once; `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

fn argon2() -> Result<Argon2<'static>, HashError> {
    // OWASP: argon2id, m = 19 MiB, t = 2, p = 1.
    let params = Params::new(19_456, 2, 1, None).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password to a PHC string.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| HashError(e.to_string()))?;
    Ok(hash.to_string())
}

/// True when `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match argon2() {
        Ok(a) => a.verify_password(password.as_bytes(), hash).is_ok(),
        Err(_) => false,
    }
}

/// A real hash of a random password, made once: verifying against it for
/// an unknown username takes as long as for a known one.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&random_hex(16)).unwrap_or_default())
}

/// 32 random bytes as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // getrandom only fails when the OS has no randomness source at all.
    if getrandom::fill(&mut buf).is_err() {
        buf = uuid::Uuid::new_v4().as_bytes().repeat(bytes.div_ceil(16));
        buf.truncate(bytes);
    }
    hex(&buf)
}

/// A new token with a prefix: `hcs_…` or `hct_…`.
pub fn new_token(prefix: &str) -> Secret {
    Secret(format!("{prefix}{}", random_hex(32)))
}

/// A readable one-time password: 16 characters, no look-alikes.
pub fn new_password() -> Secret {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 16];
    if getrandom::fill(&mut buf).is_err() {
        buf.copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    Secret(
        buf.iter()
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect(),
    )
}

/// SHA-256 of a token, as hex: what is stored.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// SHA-256 of any text, as hex (content hashes of sales).
pub fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_use_argon2id_at_owasp_parameters() {
        let hash = hash_password("correct horse").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong", &hash));
        assert!(!verify_password("x", dummy_hash()));
        assert!(dummy_hash().starts_with("$argon2id$"));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token(SESSION_PREFIX);
        let b = new_token(SESSION_PREFIX);
        assert_ne!(a, b);
        assert_eq!(a.0.len(), 4 + 64);
        assert_eq!(token_hash(&a.0).len(), 64);
        assert_eq!(format!("{a:?}"), "Secret(***)");
        assert_eq!(new_password().0.len(), 16);
    }
}

/// Bounds concurrent password hashing: argon2 takes 19 MiB and tens of
/// milliseconds of CPU per hash, so unbounded logins would take the memory
/// and the cores that sales need. At most `concurrency` run at once, at most
/// `queue` more wait; beyond that the caller is told to come back later.
#[derive(Debug)]
pub struct PasswordWork {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    in_system: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    max_in_system: usize,
}

/// Why password work was not done.
#[derive(Debug, thiserror::Error)]
pub enum PasswordWorkError {
    /// Too many are running and waiting already.
    #[error("too many sign-ins at once")]
    Busy,
    /// The blocking task failed.
    #[error("password hashing failed: {0}")]
    Failed(String),
}

/// Takes one place in the system back when dropped (also when the request
/// that waited is dropped).
struct InSystem(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for InSystem {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl PasswordWork {
    /// `concurrency` hashes at once (at least one), `queue` waiting.
    pub fn new(concurrency: usize, queue: usize) -> PasswordWork {
        let concurrency = concurrency.max(1);
        PasswordWork {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(concurrency)),
            in_system: std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            max_in_system: concurrency.saturating_add(queue),
        }
    }

    /// One hash at a time per core, keeping one core for everything else
    /// (sales, reads) on machines with more than one.
    pub fn default_concurrency() -> usize {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .saturating_sub(1)
            .max(1)
    }

    /// Runs `work` on the blocking pool once a permit is free, or
    /// `Err(Busy)` at once when the queue is full.
    pub async fn run<T, F>(&self, work: F) -> Result<T, PasswordWorkError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        use std::sync::atomic::Ordering;
        let before = self.in_system.fetch_add(1, Ordering::AcqRel);
        let place = InSystem(self.in_system.clone());
        if before >= self.max_in_system {
            return Err(PasswordWorkError::Busy);
        }
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| PasswordWorkError::Failed(e.to_string()))?;
        let out = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| PasswordWorkError::Failed(e.to_string()));
        drop(place);
        out
    }
}

#[cfg(test)]
mod work_tests {
    use super::*;

    #[tokio::test]
    async fn password_work_is_bounded_and_refuses_beyond_the_queue() {
        let work = std::sync::Arc::new(PasswordWork::new(1, 1));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let running = {
            let work = work.clone();
            tokio::spawn(async move { work.run(move || rx.recv().is_ok()).await })
        };
        // Let the first take its permit, then a second waits in the queue.
        while work.permits.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let waiting = {
            let work = work.clone();
            tokio::spawn(async move { work.run(|| 2).await })
        };
        while work.in_system.load(std::sync::atomic::Ordering::Acquire) < 2 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(work.run(|| 3).await, Err(PasswordWorkError::Busy)));
        tx.send(()).unwrap();
        assert!(running.await.unwrap().unwrap());
        assert_eq!(waiting.await.unwrap().unwrap(), 2);
        assert_eq!(work.run(|| 4).await.unwrap(), 4);
    }
}
