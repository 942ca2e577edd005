//! Durations on the command line: `90` (seconds), `90s`, `10m`, `1h`,
//! `7d`, or combinations like `1h30m`.

/// Parse a duration into seconds.
pub fn parse_secs(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("empty duration".to_owned());
    }
    if let Ok(n) = t.parse::<u64>() {
        return Ok(n);
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for ch in t.chars() {
        if ch.is_ascii_digit() {
            num.push(ch);
            continue;
        }
        let unit = match ch {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(format!("`{t}`: unknown unit `{ch}` (use s, m, h, d)")),
        };
        let n: u64 = num
            .parse()
            .map_err(|_| format!("`{t}`: expected a number before `{ch}`"))?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(|| format!("`{t}`: too large"))?;
        num.clear();
    }
    if !num.is_empty() {
        return Err(format!("`{t}`: trailing number without a unit"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::parse_secs;

    #[test]
    fn forms() {
        assert_eq!(parse_secs("3600").unwrap(), 3600);
        assert_eq!(parse_secs("10m").unwrap(), 600);
        assert_eq!(parse_secs("1h30m").unwrap(), 5400);
        assert!(parse_secs("1x").is_err());
        assert!(parse_secs("1h5").is_err());
    }
}
