//! Output helpers: JSON printing, key fingerprints and times.
//!
//! A key fingerprint is the first 16 hex characters (8 bytes) of the
//! SHA-256 of the 32-byte public key.

use serde::Serialize;
use sha2::{Digest, Sha256};
use warrants::PublicKey;

use crate::exit::CliError;

/// Print a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::usage("--json", format!("cannot serialize: {e}")))?;
    println!("{text}");
    Ok(())
}

/// First 16 hex characters of SHA-256 of the public key.
pub fn fingerprint(key: &PublicKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Current unix time in seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn absolute(unix: u64) -> String {
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Civil-from-days (Howard Hinnant), for days since 1970-01-01.
    let z = days.saturating_add(719_468);
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A duration as `1d 2h`, `9m 58s`, `5s`: the two largest units.
pub fn span(secs: u64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = secs;
    for (size, name) in units {
        if rest >= size || (parts.is_empty() && size == 1) {
            parts.push(format!("{}{name}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    if let (Some(last), true) = (parts.last(), parts.len() == 2) {
        if last.starts_with('0') {
            parts.pop();
        }
    }
    parts.join(" ")
}

/// `in 9m 58s` or `2h ago` relative to `now`.
pub fn relative(t: u64, now: u64) -> String {
    if t == now {
        "now".to_owned()
    } else if t > now {
        format!("in {}", span(t - now))
    } else {
        format!("{} ago", span(now - t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(absolute(0), "1970-01-01T00:00:00Z");
        assert_eq!(absolute(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(span(598), "9m 58s");
        assert_eq!(span(7200), "2h");
        assert_eq!(span(0), "0s");
        assert_eq!(relative(100, 40), "in 1m");
        assert_eq!(relative(0, 7200), "2h ago");
        assert_eq!(relative(50, 50), "now");
        assert_eq!(relative(51, 50), "in 1s");
    }
}
