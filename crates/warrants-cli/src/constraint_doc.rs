//! The structured (YAML/JSON) form of a constraint, shared by capability
//! files and `inspect --json`.
//!
//! Every constraint is a mapping with a `kind` and the fields of that kind:
//!
//! | kind          | fields                                                                 |
//! |---------------|------------------------------------------------------------------------|
//! | `wildcard`    | none                                                                   |
//! | `exact`       | `value`                                                                |
//! | `one_of`      | `values` (list)                                                        |
//! | `not_one_of`  | `values` (list)                                                        |
//! | `range`       | `min`, `max` (either optional), `min_exclusive`, `max_exclusive` (bool) |
//! | `pattern`     | `glob`                                                                 |
//! | `subpath`     | `root`                                                                 |
//! | `regex`       | `pattern`                                                              |
//! | `contains`    | `values` (list the argument must contain)                              |
//! | `subset`      | `values` (list the argument must be drawn from)                        |
//! | `cidr`        | `networks` (list of `addr/prefix`)                                     |
//! | `url_safe`    | `schemes`, `allow_domains` (optional lists), `deny_domains`            |
//! | `url_pattern` | `schemes` (list), `host`, `port` (optional), `path` (optional glob)     |
//! | `all`         | `of` (list of constraints)                                             |
//! | `any`         | `of` (list of constraints)                                             |
//! | `not`         | `of` (one constraint)                                                  |
//!
//! In a capability file a constraint may also be written as a string in the
//! flag syntax of [`crate::constraint_spec`] (`subpath:/data/in`).

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value as Json;
use warrants::constraint::{
    All, Any, Bound, Cidr, Contains, Exact, Not, NotOneOf, OneOf, Pattern, Range, Regex, Subpath,
    Subset, UrlPattern, UrlSafe, Wildcard,
};
use warrants::{Constraint, Value};

/// One constraint in structured form (tagged by `kind`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConstraintDoc {
    /// Any value.
    Wildcard,
    /// Exactly `value`.
    Exact {
        /// The value.
        value: Json,
    },
    /// One of `values`.
    OneOf {
        /// The allowed values.
        values: Vec<Json>,
    },
    /// None of `values`.
    NotOneOf {
        /// The refused values.
        values: Vec<Json>,
    },
    /// Between `min` and `max`.
    Range {
        /// Lower bound (absent: unbounded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<Json>,
        /// Upper bound (absent: unbounded).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<Json>,
        /// Whether `min` itself is excluded.
        #[serde(default, skip_serializing_if = "is_false")]
        min_exclusive: bool,
        /// Whether `max` itself is excluded.
        #[serde(default, skip_serializing_if = "is_false")]
        max_exclusive: bool,
    },
    /// Text matching a glob.
    Pattern {
        /// The glob.
        glob: String,
    },
    /// A path at or below `root`.
    Subpath {
        /// The root directory.
        root: String,
    },
    /// Text matching a regular expression (whole match).
    Regex {
        /// The expression.
        pattern: String,
    },
    /// A list containing every one of `values`.
    Contains {
        /// The required values.
        values: Vec<Json>,
    },
    /// A list whose items are all among `values`.
    Subset {
        /// The allowed items.
        values: Vec<Json>,
    },
    /// An IP address inside one of `networks`.
    Cidr {
        /// Networks as `addr/prefix`.
        networks: Vec<String>,
    },
    /// A URL that is safe to fetch (no private addresses).
    UrlSafe {
        /// Allowed schemes (absent: `http`, `https`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        schemes: Option<Vec<String>>,
        /// Allowed domains (absent: any public host).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        allow_domains: Option<Vec<String>>,
        /// Refused domains.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        deny_domains: Vec<String>,
    },
    /// A URL matching scheme, host, port and path.
    UrlPattern {
        /// Allowed schemes.
        schemes: Vec<String>,
        /// Host (`name`, `*.suffix`, IPv4 or `[ipv6]`).
        host: String,
        /// Effective port.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// Path glob (starts with `/`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
    /// Every one of the children.
    All {
        /// The children.
        of: Vec<ConstraintEntry>,
    },
    /// At least one of the children.
    Any {
        /// The children.
        of: Vec<ConstraintEntry>,
    },
    /// Not the child.
    Not {
        /// The child.
        of: Box<ConstraintEntry>,
    },
    /// A constraint type this tool does not know (output only).
    Unknown {
        /// Its numeric type id.
        type_id: u64,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A constraint as written in a file: a `kind` mapping or a flag-syntax
/// string. Serializes as the mapping.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ConstraintEntry(pub ConstraintDoc);

impl<'de> Deserialize<'de> for ConstraintEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ConstraintEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a constraint: a mapping with `kind`, or a string like `subpath:/data`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                crate::constraint_spec::parse_spec(s)
                    .map(ConstraintEntry)
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                ConstraintDoc::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(ConstraintEntry)
            }
        }
        d.deserialize_any(V)
    }
}

fn value(j: &Json) -> Result<Value, String> {
    Value::try_from(j).map_err(|e| format!("value {j}: {e}"))
}

fn values(js: &[Json]) -> Result<Vec<Value>, String> {
    js.iter().map(value).collect()
}

/// A value as JSON (bytes become a list of numbers).
pub fn json(v: &Value) -> Json {
    serde_json::to_value(v).unwrap_or(Json::Null)
}

fn jsons(vs: &[Value]) -> Vec<Json> {
    vs.iter().map(json).collect()
}

fn bound(v: &Option<Json>, exclusive: bool) -> Result<Option<Bound>, String> {
    v.as_ref()
        .map(|j| {
            let v = value(j)?;
            Ok(if exclusive {
                Bound::exclusive(v)
            } else {
                Bound::inclusive(v)
            })
        })
        .transpose()
}

impl ConstraintDoc {
    /// Build the constraint; the error says what is wrong with it.
    pub fn to_constraint(&self) -> Result<Constraint, String> {
        let e = |err: warrants::ConstraintError| err.to_string();
        Ok(match self {
            Self::Wildcard => Wildcard::new().into(),
            Self::Exact { value: v } => Exact::new(value(v)?).map_err(e)?.into(),
            Self::OneOf { values: v } => OneOf::new(values(v)?).map_err(e)?.into(),
            Self::NotOneOf { values: v } => NotOneOf::new(values(v)?).map_err(e)?.into(),
            Self::Range {
                min,
                max,
                min_exclusive,
                max_exclusive,
            } => Range::new(bound(min, *min_exclusive)?, bound(max, *max_exclusive)?)
                .map_err(e)?
                .into(),
            Self::Pattern { glob } => Pattern::new(glob.clone()).map_err(e)?.into(),
            Self::Subpath { root } => Subpath::new(root.clone()).map_err(e)?.into(),
            Self::Regex { pattern } => Regex::new(pattern.clone()).map_err(e)?.into(),
            Self::Contains { values: v } => Contains::new(values(v)?).map_err(e)?.into(),
            Self::Subset { values: v } => Subset::new(values(v)?).map_err(e)?.into(),
            Self::Cidr { networks } => Cidr::new(networks).map_err(e)?.into(),
            Self::UrlSafe {
                schemes,
                allow_domains,
                deny_domains,
            } => {
                let mut u = UrlSafe::new();
                if let Some(s) = schemes {
                    u = u.schemes(s).map_err(e)?;
                }
                if let Some(a) = allow_domains {
                    u = u.allow_domains(a).map_err(e)?;
                }
                if !deny_domains.is_empty() {
                    u = u.deny_domains(deny_domains).map_err(e)?;
                }
                u.into()
            }
            Self::UrlPattern {
                schemes,
                host,
                port,
                path,
            } => UrlPattern::new(schemes, host, *port, path.as_deref())
                .map_err(e)?
                .into(),
            Self::All { of } => All::new(children(of)?).map_err(e)?.into(),
            Self::Any { of } => Any::new(children(of)?).map_err(e)?.into(),
            Self::Not { of } => Not::new(of.0.to_constraint()?).map_err(e)?.into(),
            Self::Unknown { type_id } => {
                return Err(format!(
                    "constraint type {type_id} is unknown and cannot be written"
                ))
            }
        })
    }

    /// The structured form of a decoded constraint.
    pub fn from_constraint(c: &Constraint) -> Self {
        match c {
            Constraint::Wildcard(_) => Self::Wildcard,
            Constraint::Exact(x) => Self::Exact {
                value: json(x.value()),
            },
            Constraint::OneOf(x) => Self::OneOf {
                values: jsons(x.values()),
            },
            Constraint::NotOneOf(x) => Self::NotOneOf {
                values: jsons(x.values()),
            },
            Constraint::Range(r) => Self::Range {
                min: r.min().map(|b| json(b.value())),
                max: r.max().map(|b| json(b.value())),
                min_exclusive: r.min().is_some_and(|b| !b.is_inclusive()),
                max_exclusive: r.max().is_some_and(|b| !b.is_inclusive()),
            },
            Constraint::Pattern(p) => Self::Pattern {
                glob: p.glob().to_owned(),
            },
            Constraint::Subpath(s) => Self::Subpath {
                root: s.root().to_owned(),
            },
            Constraint::Regex(r) => Self::Regex {
                pattern: r.pattern().to_owned(),
            },
            Constraint::Contains(x) => Self::Contains {
                values: jsons(x.values()),
            },
            Constraint::Subset(x) => Self::Subset {
                values: jsons(x.values()),
            },
            Constraint::Cidr(c) => Self::Cidr {
                networks: c.networks().map(|(a, p)| format!("{a}/{p}")).collect(),
            },
            Constraint::UrlSafe(u) => Self::UrlSafe {
                schemes: Some(u.allowed_schemes().to_vec()),
                allow_domains: u.allowed_domains(),
                deny_domains: u.denied_domains(),
            },
            Constraint::UrlPattern(u) => Self::UrlPattern {
                schemes: u.schemes().to_vec(),
                host: u.host(),
                port: u.port(),
                path: u.path().map(str::to_owned),
            },
            Constraint::All(a) => Self::All {
                of: entries(a.children()),
            },
            Constraint::Any(a) => Self::Any {
                of: entries(a.children()),
            },
            Constraint::Not(n) => Self::Not {
                of: Box::new(ConstraintEntry(Self::from_constraint(n.inner()))),
            },
            other => Self::Unknown {
                type_id: other.type_id(),
            },
        }
    }
}

fn children(of: &[ConstraintEntry]) -> Result<Vec<Constraint>, String> {
    of.iter().map(|c| c.0.to_constraint()).collect()
}

fn entries(cs: &[Constraint]) -> Vec<ConstraintEntry> {
    cs.iter()
        .map(|c| ConstraintEntry(ConstraintDoc::from_constraint(c)))
        .collect()
}
