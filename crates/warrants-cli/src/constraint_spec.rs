//! The flag syntax for constraints: `--constraint ARG=KIND[:PARAMS]`.
//!
//! | kind          | syntax                                   | example                                         |
//! |---------------|------------------------------------------|-------------------------------------------------|
//! | `wildcard`    | `wildcard` (or `*`)                      | `mode=wildcard`                                 |
//! | `exact`       | `exact:VALUE`                            | `region=exact:eu-west-1`                        |
//! | `one_of`      | `one_of:V1,V2,...` or a JSON list        | `env=one_of:dev,staging`                        |
//! | `not_one_of`  | `not_one_of:V1,V2,...`                   | `user=not_one_of:root,admin`                    |
//! | `range`       | interval or comparison                   | `amount=range:[0,100)`, `n=range:<=10`          |
//! | `pattern`     | `pattern:GLOB`                           | `name=pattern:*.csv`                            |
//! | `subpath`     | `subpath:ROOT`                           | `path=subpath:/data/in`                         |
//! | `regex`       | `regex:EXPR`                             | `id=regex:[a-z]{3}-[0-9]+`                      |
//! | `contains`    | `contains:V1,V2,...`                     | `tags=contains:public`                          |
//! | `subset`      | `subset:V1,V2,...`                       | `cols=subset:a,b,c`                             |
//! | `cidr`        | `cidr:NET1,NET2,...`                     | `ip=cidr:10.0.0.0/8,fd00::/8`                   |
//! | `url_safe`    | `url_safe[:schemes=..;allow=..;deny=..]` | `url=url_safe:allow=*.example.com`              |
//! | `url_pattern` | `url_pattern:SCHEMES://HOST[:PORT][PATH]`| `url=url_pattern:https://api.example.com/v1/*`  |
//! | `all`         | `all(SPEC;SPEC;...)`                     | `path=all(subpath:/data;pattern:*.csv)`         |
//! | `any`         | `any(SPEC;SPEC;...)`                     | `n=any(exact:0;range:[10,20])`                  |
//! | `not`         | `not(SPEC)`                              | `path=not(pattern:*.key)`                       |
//!
//! A VALUE is read as JSON when it parses as JSON (`42`, `1.5`, `true`,
//! `null`, `"text"`, `[1,2]`, `{"a":1}`) and as plain text otherwise, so
//! `exact:42` is the integer 42 and `exact:"42"` the text `42`. A value
//! list is split on `,` unless it is a JSON list (`one_of:["a,b","c"]`).
//!
//! Ranges: `[MIN,MAX]` includes both bounds, `(` and `)` exclude them, an
//! empty side is unbounded (`[0,)`); `<=MAX`, `<MAX`, `>=MIN`, `>MIN` are
//! shorthands.
//!
//! `url_safe` options are `;`-separated `schemes=`, `allow=`, `deny=`,
//! each a `,`-separated list. `url_pattern` takes `,`-separated schemes
//! before `://` (`http,https://host`), a host (`name`, `*.suffix`, IPv4 or
//! `[ipv6]`), an optional `:PORT` and an optional path glob.
//!
//! Combinator children are separated by `;` at the top nesting level of
//! brackets (`(` and `[` open, `)` and `]` close, so ranges like `[0,10)`
//! nest fine); children with unbalanced brackets (some regexes) need the
//! capability-file form.

use serde_json::Value as Json;

use crate::constraint_doc::{ConstraintDoc, ConstraintEntry};

/// The constraint kinds, for help and error messages.
pub const KINDS: &str = "wildcard, exact, one_of, not_one_of, range, pattern, subpath, regex, \
contains, subset, cidr, url_safe, url_pattern, all, any, not";

/// Parse `ARG=SPEC` into the argument name and its constraint.
pub fn parse_named(text: &str) -> Result<(String, ConstraintDoc), String> {
    let (name, spec) = text
        .split_once('=')
        .ok_or_else(|| format!("expected ARG=KIND:PARAMS, got `{text}`"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("missing argument name in `{text}`"));
    }
    let doc = parse_spec(spec).map_err(|e| format!("argument `{name}`: {e}"))?;
    Ok((name.to_owned(), doc))
}

/// Parse one constraint in flag syntax.
pub fn parse_spec(spec: &str) -> Result<ConstraintDoc, String> {
    let spec = spec.trim();
    for (kind, single) in [("all", false), ("any", false), ("not", true)] {
        if let Some(inner) = spec
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix('('))
            .and_then(|r| r.strip_suffix(')'))
        {
            let kids = split_top(inner)
                .into_iter()
                .map(|s| parse_spec(s).map(ConstraintEntry))
                .collect::<Result<Vec<_>, _>>()?;
            return combinator(kind, single, kids);
        }
    }
    let (kind, params) = match spec.split_once(':') {
        Some((k, p)) => (k, Some(p)),
        None => (spec, None),
    };
    let need = || params.ok_or_else(|| format!("`{kind}` needs parameters: `{kind}:...`"));
    Ok(match kind {
        "wildcard" | "*" => ConstraintDoc::Wildcard,
        "exact" => ConstraintDoc::Exact {
            value: parse_value(need()?),
        },
        "one_of" => ConstraintDoc::OneOf {
            values: parse_list(need()?)?,
        },
        "not_one_of" => ConstraintDoc::NotOneOf {
            values: parse_list(need()?)?,
        },
        "contains" => ConstraintDoc::Contains {
            values: parse_list(need()?)?,
        },
        "subset" => ConstraintDoc::Subset {
            values: parse_list(need()?)?,
        },
        "range" => parse_range(need()?)?,
        "pattern" => ConstraintDoc::Pattern {
            glob: need()?.to_owned(),
        },
        "subpath" => ConstraintDoc::Subpath {
            root: need()?.to_owned(),
        },
        "regex" => ConstraintDoc::Regex {
            pattern: need()?.to_owned(),
        },
        "cidr" => ConstraintDoc::Cidr {
            networks: split_words(need()?),
        },
        "url_safe" => parse_url_safe(params.unwrap_or(""))?,
        "url_pattern" => parse_url_pattern(need()?)?,
        "all" | "any" | "not" => return Err(format!("`{kind}` is written `{kind}(SPEC;...)`")),
        other => {
            return Err(format!(
                "unknown constraint kind `{other}` (known: {KINDS})"
            ))
        }
    })
}

fn combinator(
    kind: &str,
    single: bool,
    mut kids: Vec<ConstraintEntry>,
) -> Result<ConstraintDoc, String> {
    if kids.is_empty() {
        return Err(format!("`{kind}` needs at least one constraint"));
    }
    if single {
        return match (kids.pop(), kids.is_empty()) {
            (Some(k), true) => Ok(ConstraintDoc::Not { of: Box::new(k) }),
            _ => Err("`not` takes exactly one constraint".to_owned()),
        };
    }
    Ok(if kind == "all" {
        ConstraintDoc::All { of: kids }
    } else {
        ConstraintDoc::Any { of: kids }
    })
}

/// Split on `;` outside brackets. `(` and `[` open, `)` and `]` close
/// alike, so half-open ranges such as `range:[0,10)` and `range:(,5]`
/// (as `render` writes them) keep their balance.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, ch) in s.char_indices() {
        match ch {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            ';' if depth == 0 => {
                out.push(s.get(start..i).unwrap_or(""));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s.get(start..).unwrap_or(""));
    out.into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

fn split_words(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A value: JSON if it parses as JSON, else plain text.
pub fn parse_value(s: &str) -> Json {
    serde_json::from_str(s.trim()).unwrap_or_else(|_| Json::String(s.to_owned()))
}

fn parse_list(s: &str) -> Result<Vec<Json>, String> {
    if s.trim_start().starts_with('[') {
        return match serde_json::from_str(s) {
            Ok(Json::Array(v)) => Ok(v),
            _ => Err(format!("`{s}` is not a JSON list")),
        };
    }
    Ok(s.split(',').map(parse_value).collect())
}

fn parse_range(s: &str) -> Result<ConstraintDoc, String> {
    let s = s.trim();
    let doc = |min: Option<&str>, max: Option<&str>, min_x: bool, max_x: bool| {
        let v = |x: Option<&str>| x.map(str::trim).filter(|x| !x.is_empty()).map(parse_value);
        ConstraintDoc::Range {
            min: v(min),
            max: v(max),
            min_exclusive: min_x,
            max_exclusive: max_x,
        }
    };
    for (prefix, is_max, excl) in [
        ("<=", true, false),
        (">=", false, false),
        ("<", true, true),
        (">", false, true),
    ] {
        if let Some(v) = s.strip_prefix(prefix) {
            return Ok(if is_max {
                doc(None, Some(v), false, excl)
            } else {
                doc(Some(v), None, excl, false)
            });
        }
    }
    let open = s.chars().next();
    let close = s.chars().last();
    let inner = s
        .get(1..s.len().saturating_sub(1))
        .filter(|_| s.len() >= 2)
        .ok_or_else(|| format!("range `{s}`: expected [MIN,MAX], (MIN,MAX), <=MAX or >=MIN"))?;
    let (min_x, max_x) = match (open, close) {
        (Some('[' | '('), Some(']' | ')')) => (open == Some('('), close == Some(')')),
        _ => {
            return Err(format!(
                "range `{s}`: expected [MIN,MAX], (MIN,MAX), <=MAX or >=MIN"
            ))
        }
    };
    let (min, max) = inner
        .split_once(',')
        .ok_or_else(|| format!("range `{s}`: expected a `,` between MIN and MAX"))?;
    Ok(doc(Some(min), Some(max), min_x, max_x))
}

fn parse_url_safe(s: &str) -> Result<ConstraintDoc, String> {
    let (mut schemes, mut allow, mut deny) = (None, None, Vec::new());
    for part in s.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        match part.split_once('=') {
            Some(("schemes", v)) => schemes = Some(split_words(v)),
            Some(("allow", v)) => allow = Some(split_words(v)),
            Some(("deny", v)) => deny = split_words(v),
            _ => {
                return Err(format!(
                    "url_safe option `{part}`: expected schemes=.., allow=.. or deny=.."
                ))
            }
        }
    }
    Ok(ConstraintDoc::UrlSafe {
        schemes,
        allow_domains: allow,
        deny_domains: deny,
    })
}

fn parse_url_pattern(s: &str) -> Result<ConstraintDoc, String> {
    let bad = || format!("url_pattern `{s}`: expected SCHEMES://HOST[:PORT][/PATH]");
    let (schemes, rest) = s.split_once("://").ok_or_else(bad)?;
    let host_end = if rest.starts_with('[') {
        rest.find(']').map(|i| i + 1).ok_or_else(bad)?
    } else {
        rest.find([':', '/']).unwrap_or(rest.len())
    };
    let (host, rest) = rest.split_at_checked(host_end).ok_or_else(bad)?;
    let (port, path) = match rest.strip_prefix(':') {
        Some(p) => {
            let end = p.find('/').unwrap_or(p.len());
            let (num, path) = p.split_at_checked(end).ok_or_else(bad)?;
            let port = num
                .parse::<u16>()
                .map_err(|_| format!("url_pattern `{s}`: port `{num}` is not a number"))?;
            (Some(port), path)
        }
        None => (None, rest),
    };
    if host.is_empty() {
        return Err(bad());
    }
    Ok(ConstraintDoc::UrlPattern {
        schemes: split_words(schemes),
        host: host.to_owned(),
        port,
        path: (!path.is_empty()).then(|| path.to_owned()),
    })
}

/// Render a constraint in flag syntax (what `inspect` prints).
pub fn render(doc: &ConstraintDoc) -> String {
    match doc {
        ConstraintDoc::Wildcard => "wildcard".to_owned(),
        ConstraintDoc::Exact { value } => format!("exact:{}", render_value(value)),
        ConstraintDoc::OneOf { values } => format!("one_of:{}", render_list(values)),
        ConstraintDoc::NotOneOf { values } => format!("not_one_of:{}", render_list(values)),
        ConstraintDoc::Contains { values } => format!("contains:{}", render_list(values)),
        ConstraintDoc::Subset { values } => format!("subset:{}", render_list(values)),
        ConstraintDoc::Range {
            min,
            max,
            min_exclusive,
            max_exclusive,
        } => {
            let side = |v: &Option<Json>| v.as_ref().map(render_value).unwrap_or_default();
            format!(
                "range:{}{},{}{}",
                if *min_exclusive || min.is_none() {
                    '('
                } else {
                    '['
                },
                side(min),
                side(max),
                if *max_exclusive || max.is_none() {
                    ')'
                } else {
                    ']'
                },
            )
        }
        ConstraintDoc::Pattern { glob } => format!("pattern:{glob}"),
        ConstraintDoc::Subpath { root } => format!("subpath:{root}"),
        ConstraintDoc::Regex { pattern } => format!("regex:{pattern}"),
        ConstraintDoc::Cidr { networks } => format!("cidr:{}", networks.join(",")),
        ConstraintDoc::UrlSafe {
            schemes,
            allow_domains,
            deny_domains,
        } => {
            let mut parts = Vec::new();
            if let Some(s) = schemes {
                parts.push(format!("schemes={}", s.join(",")));
            }
            if let Some(a) = allow_domains {
                parts.push(format!("allow={}", a.join(",")));
            }
            if !deny_domains.is_empty() {
                parts.push(format!("deny={}", deny_domains.join(",")));
            }
            format!("url_safe:{}", parts.join(";"))
        }
        ConstraintDoc::UrlPattern {
            schemes,
            host,
            port,
            path,
        } => format!(
            "url_pattern:{}://{host}{}{}",
            schemes.join(","),
            port.map(|p| format!(":{p}")).unwrap_or_default(),
            path.as_deref().unwrap_or("")
        ),
        ConstraintDoc::All { of } => format!("all({})", render_kids(of)),
        ConstraintDoc::Any { of } => format!("any({})", render_kids(of)),
        ConstraintDoc::Not { of } => format!("not({})", render(&of.0)),
        ConstraintDoc::Unknown { type_id } => format!("unknown:{type_id}"),
    }
}

fn render_kids(of: &[ConstraintEntry]) -> String {
    of.iter()
        .map(|k| render(&k.0))
        .collect::<Vec<_>>()
        .join(";")
}

/// Whether text reads back as itself in a value position.
fn plain(t: &str) -> bool {
    !t.is_empty()
        && t.trim() == t
        && !t.contains([',', ';', '(', ')', '"'])
        && serde_json::from_str::<Json>(t).is_err()
}

fn render_value(v: &Json) -> String {
    match v {
        Json::String(t) if plain(t) => t.clone(),
        other => other.to_string(),
    }
}

fn render_list(vs: &[Json]) -> String {
    if vs
        .iter()
        .all(|v| !matches!(v, Json::String(t) if !plain(t)))
    {
        vs.iter().map(render_value).collect::<Vec<_>>().join(",")
    } else {
        Json::Array(vs.to_vec()).to_string()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn every_kind_parses_builds_and_renders_back() {
        let specs = [
            "wildcard",
            "exact:eu-west-1",
            "exact:42",
            "one_of:dev,staging",
            "not_one_of:root,admin",
            "range:[0,100)",
            "range:(,10]",
            "pattern:*.csv",
            "subpath:/data/in",
            "regex:[a-z]{3}-[0-9]+",
            "contains:public",
            "subset:a,b,c",
            "cidr:10.0.0.0/8",
            "url_safe:schemes=https;allow=*.example.com",
            "url_pattern:https://api.example.com:8443/v1/*",
            "all(subpath:/data;pattern:*.csv)",
            "any(exact:0;range:[10,20])",
            "not(pattern:*.key)",
        ];
        for s in specs {
            let doc = parse_spec(s).unwrap();
            let c = doc.to_constraint().unwrap_or_else(|e| panic!("{s}: {e}"));
            let back = ConstraintDoc::from_constraint(&c);
            let again = parse_spec(&render(&back)).unwrap().to_constraint().unwrap();
            assert_eq!(again, c, "{s} -> {}", render(&back));
        }
    }

    #[test]
    fn shorthands_and_errors() {
        assert_eq!(
            parse_spec("range:<=10").unwrap(),
            ConstraintDoc::Range {
                min: None,
                max: Some(Json::from(10)),
                min_exclusive: false,
                max_exclusive: false
            }
        );
        assert!(parse_spec("nope:1")
            .unwrap_err()
            .contains("unknown constraint kind"));
        assert!(parse_spec("range:5").is_err());
        assert!(parse_named("novalue").is_err());
        assert_eq!(parse_value("\"42\""), Json::from("42"));
    }
}
