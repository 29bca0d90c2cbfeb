//! Failed-login counting per username and address: after N failures within
//! the window, further attempts are refused until the oldest failure ages out.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts failed logins.
#[derive(Debug)]
pub struct LoginLimiter {
    max_failures: usize,
    window: Duration,
    failures: Mutex<HashMap<(String, IpAddr), VecDeque<Instant>>>,
}

impl LoginLimiter {
    /// At most `max_failures` failures per `window`.
    pub fn new(max_failures: u32, window: Duration) -> LoginLimiter {
        LoginLimiter {
            max_failures: usize::try_from(max_failures).unwrap_or(usize::MAX).max(1),
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when this username and address are locked out.
    pub fn check(&self, username: &str, ip: IpAddr, now: Instant) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let Some(list) = map.get_mut(&(username.to_string(), ip)) else {
            return Ok(());
        };
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            list.pop_front();
        }
        if list.len() >= self.max_failures {
            let oldest = list.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    /// Records a failure.
    pub fn fail(&self, username: &str, ip: IpAddr, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            // Bound memory under a flood of made-up usernames.
            let window = self.window;
            map.retain(|_, l| l.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        map.entry((username.to_string(), ip))
            .or_default()
            .push_back(now);
    }

    /// Forgets failures after a good login.
    pub fn succeed(&self, username: &str, ip: IpAddr) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&(username.to_string(), ip));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_out_after_n_failures_until_the_window_passes() {
        let l = LoginLimiter::new(3, Duration::from_secs(60));
        let ip: IpAddr = [127, 0, 0, 1].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.check("a", ip, t0).is_ok());
            l.fail("a", ip, t0);
        }
        assert!(l.check("a", ip, t0).is_err());
        assert!(l.check("b", ip, t0).is_ok());
        assert!(l.check("a", ip, t0 + Duration::from_secs(61)).is_ok());
        l.succeed("a", ip);
        assert!(l.check("a", ip, t0).is_ok());
    }
}
