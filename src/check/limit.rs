//! How many comparisons one address may ask for: a token bucket per address (the `governor`
//! crate's GCRA), so a public upload cannot be used to keep the verifier busy.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Per-address limit on comparisons.
pub struct CompareLimit {
    limiter: DefaultKeyedRateLimiter<IpAddr>,
    clock: DefaultClock,
}

/// Addresses remembered before the idle ones are forgotten: bounds the limiter's memory.
const SWEEP_ABOVE: usize = 10_000;

impl CompareLimit {
    /// `per_minute` comparisons per address, all of them at once at most.
    pub fn new(per_minute: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one comparison for `address`: Ok, or how long it must wait.
    pub fn take(&self, address: IpAddr) -> Result<(), Duration> {
        if self.limiter.len() > SWEEP_ABOVE {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The address a request counts against: the last entry of the proxy's header (the one the
/// proxy itself added) when it is configured and parses, else the connection's peer; requests
/// with neither share one bucket.
pub fn client_address(forwarded: Option<&str>, peer: Option<IpAddr>) -> IpAddr {
    forwarded
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok())
        .or(peer)
        .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_address_has_its_own_bucket() {
        let limit = CompareLimit::new(NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN));
        let one: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        assert!(limit.take(one).is_ok());
        assert!(limit.take(one).is_ok());
        let wait = limit
            .take(one)
            .expect_err("the third within a minute waits");
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert!(limit.take(other).is_ok());
    }

    #[test]
    fn the_proxys_last_entry_names_the_client() {
        let peer: IpAddr = [10, 0, 0, 1].into();
        assert_eq!(
            client_address(Some("198.51.100.7, 203.0.113.9"), Some(peer)),
            IpAddr::from([203, 0, 113, 9])
        );
        assert_eq!(client_address(Some("garbage"), Some(peer)), peer);
        assert_eq!(client_address(None, Some(peer)), peer);
    }
}
