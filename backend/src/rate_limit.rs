//! Failed-login counting, per account and per address. An attempt is
//! counted before its password is checked, so many attempts sent at once
//! cannot all be checked before the first failure is recorded; a good
//! login takes its count back. The per-address bound is much looser than
//! the per-account one, so one person mistyping at a shared address (the
//! canteen's office) locks out only their own account, not everyone there.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts attempts and failures within a sliding window.
#[derive(Debug)]
pub struct LoginLimiter {
    per_account: usize,
    per_address: usize,
    window: Duration,
    state: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    accounts: HashMap<String, VecDeque<Instant>>,
    addresses: HashMap<IpAddr, VecDeque<Instant>>,
}

/// Bound on the keys remembered, against a flood of made-up usernames.
const MAX_KEYS: usize = 100_000;

/// An attempt let through: counted as a failure until [`LoginLimiter::succeed`].
#[derive(Debug)]
#[must_use = "report a good login with LoginLimiter::succeed"]
pub struct Attempt {
    account: String,
    ip: IpAddr,
    at: Instant,
}

fn prune<K: Eq + Hash>(map: &mut HashMap<K, VecDeque<Instant>>, now: Instant, window: Duration) {
    if map.len() > MAX_KEYS {
        map.retain(|_, l| l.back().is_some_and(|t| now.duration_since(*t) < window));
    }
}

/// Drops what has aged out; `Err(seconds to wait)` when `max` are left.
fn room(
    list: Option<&mut VecDeque<Instant>>,
    max: usize,
    now: Instant,
    window: Duration,
) -> Result<(), u64> {
    let Some(list) = list else { return Ok(()) };
    while list
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        list.pop_front();
    }
    if list.len() >= max {
        let oldest = list.front().copied().unwrap_or(now);
        return Err(window
            .saturating_sub(now.duration_since(oldest))
            .as_secs()
            .max(1));
    }
    Ok(())
}

fn take_back(list: Option<&mut VecDeque<Instant>>, at: Instant) {
    if let Some(list) = list
        && let Some(i) = list.iter().position(|t| *t == at)
    {
        list.remove(i);
    }
}

impl LoginLimiter {
    /// At most `per_account` failures per username and `per_address`
    /// failures per address within `window`.
    pub fn new(per_account: u32, per_address: u32, window: Duration) -> LoginLimiter {
        let size = |n: u32| usize::try_from(n).unwrap_or(usize::MAX).max(1);
        LoginLimiter {
            per_account: size(per_account),
            per_address: size(per_address),
            window,
            state: Mutex::new(Counts::default()),
        }
    }

    /// Lets an attempt through and counts it, or `Err(seconds to wait)`
    /// when the account or the address is locked out.
    pub fn begin(&self, username: &str, ip: IpAddr, now: Instant) -> Result<Attempt, u64> {
        let account = username.to_lowercase();
        let mut counts = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let Counts {
            accounts,
            addresses,
        } = &mut *counts;
        room(
            accounts.get_mut(&account),
            self.per_account,
            now,
            self.window,
        )?;
        room(addresses.get_mut(&ip), self.per_address, now, self.window)?;
        prune(accounts, now, self.window);
        prune(addresses, now, self.window);
        accounts.entry(account.clone()).or_default().push_back(now);
        addresses.entry(ip).or_default().push_back(now);
        Ok(Attempt {
            account,
            ip,
            at: now,
        })
    }

    /// A good login: its attempt is taken back, and the account's earlier
    /// failures are forgotten.
    pub fn succeed(&self, attempt: Attempt) {
        let mut counts = self.state.lock().unwrap_or_else(|p| p.into_inner());
        counts.accounts.remove(&attempt.account);
        take_back(counts.addresses.get_mut(&attempt.ip), attempt.at);
    }

    /// An attempt that could not be checked (the server was busy): it does
    /// not count against anyone.
    pub fn withdraw(&self, attempt: Attempt) {
        let mut counts = self.state.lock().unwrap_or_else(|p| p.into_inner());
        take_back(counts.accounts.get_mut(&attempt.account), attempt.at);
        take_back(counts.addresses.get_mut(&attempt.ip), attempt.at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn attempts_count_before_they_are_checked() {
        let l = LoginLimiter::new(3, 100, Duration::from_secs(60));
        let t0 = Instant::now();
        // Three attempts in flight at once use up the account's allowance.
        let held: Vec<Attempt> = (0..3).map(|_| l.begin("a", A, t0).unwrap()).collect();
        assert!(l.begin("a", A, t0).is_err());
        assert!(
            l.begin("A", B, t0).is_err(),
            "per account, from any address"
        );
        assert!(l.begin("b", A, t0).is_ok(), "other accounts at the address");
        assert!(l.begin("a", A, t0 + Duration::from_secs(61)).is_ok());
        let mut held = held.into_iter();
        l.succeed(held.next().unwrap());
        assert!(
            l.begin("a", A, t0).is_ok(),
            "a good login clears the account"
        );
    }

    #[test]
    fn an_address_is_bounded_across_accounts() {
        let l = LoginLimiter::new(3, 5, Duration::from_secs(60));
        let t0 = Instant::now();
        for i in 0..5 {
            let _ = l.begin(&format!("user{i}"), A, t0).unwrap();
        }
        assert!(l.begin("user9", A, t0).is_err());
        assert!(l.begin("user9", B, t0).is_ok());
    }

    #[test]
    fn withdrawn_attempts_do_not_count() {
        let l = LoginLimiter::new(1, 5, Duration::from_secs(60));
        let t0 = Instant::now();
        let a = l.begin("a", A, t0).unwrap();
        l.withdraw(a);
        assert!(l.begin("a", A, t0).is_ok());
    }
}
