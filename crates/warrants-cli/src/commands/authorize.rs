//! `warrant authorize`: a dry run of one tool call with the core
//! authorizer (trust, revocation, expiry, tool, constraints on every link,
//! signatures and the proof of possession). Prints `allow` (exit 0) or
//! `deny CODE` with every violated argument (exit 1). Argument values are
//! never printed unless `--show-values`.

use std::collections::BTreeMap;

use warrants::constraint::{ArgViolation, ViolationKind};
use warrants::{Call, Pop, PopWindow, Redaction, Value};

use crate::cli::AuthorizeArgs;
use crate::constraint_spec::parse_value;
use crate::exit::{CliError, DENIED, OK};
use crate::io::{display_name, encode_b64, read_binary, read_input, write_output};
use crate::keys::load_signing_key;
use crate::output::{now, print_json};

/// Run `authorize`.
pub fn run(a: &AuthorizeArgs, json: bool) -> Result<u8, CliError> {
    let authorizer = super::build_authorizer(&a.trust)?;
    let args = call_args(a)?;
    let redaction = if a.show_values {
        Redaction::Off
    } else {
        Redaction::On
    };
    let chain = match super::read_chain(&a.input) {
        Ok(c) => c,
        Err(CliError::Malformed { message, .. }) => {
            return report_deny(json, "WARRANT_MALFORMED", &message, &[], &args, redaction);
        }
        Err(e) => return Err(e),
    };
    let context = a.context.as_bytes();
    let now = a.trust.at.unwrap_or_else(now);
    let pop = match (&a.holder_key, &a.pop) {
        (Some(spec), None) => {
            let key = load_signing_key(spec, "--holder-key")?;
            let pop = Pop::sign(&key, &chain, &a.tool, &args, context, now);
            if let Some(out) = &a.save_pop {
                let mut text = encode_b64(&pop.to_bytes());
                text.push('\n');
                write_output(Some(out), text.as_bytes())?;
            }
            pop
        }
        (None, Some(path)) => {
            if a.save_pop.is_some() {
                return Err(CliError::usage("--save-pop", "needs --holder-key"));
            }
            let bytes = read_binary(path)?;
            match Pop::from_bytes(&bytes) {
                Ok(p) => p,
                Err(e) => {
                    let message = format!("proof of possession invalid: {e}");
                    return report_deny(json, "POP_INVALID", &message, &[], &args, redaction);
                }
            }
        }
        _ => {
            return Err(CliError::usage(
                "--holder-key",
                "give exactly one of --holder-key or --pop",
            ))
        }
    };
    let window = PopWindow::around(now, a.pop_max_age, a.trust.clock_skew);
    let call = Call::new(&a.tool, &args, context);
    match authorizer.authorize_at(&chain, &call, &pop, window, now) {
        Ok(ok) => {
            if json {
                print_json(&serde_json::json!({
                    "ok": true,
                    "allowed": true,
                    "code": null,
                    "violations": [],
                    "warrant_id": ok.warrant_id.to_hex(),
                    "chain_len": ok.chain_len,
                }))?;
            } else {
                println!("allow");
            }
            Ok(OK)
        }
        Err(denial) => {
            let violations = authorizer.why_denied_at(&chain, &call, now).violations;
            let message = denial.explain(&args, redaction);
            report_deny(json, denial.code(), &message, &violations, &args, redaction)
        }
    }
}

/// The call's arguments as a map, from `--arg k=v` or `--args-json`.
fn call_args(a: &AuthorizeArgs) -> Result<Value, CliError> {
    if let Some(spec) = &a.args_json {
        let (text, source) = match spec.strip_prefix('@') {
            Some(path) => {
                let bytes = read_input(path)?;
                (
                    String::from_utf8_lossy(&bytes).into_owned(),
                    display_name(path),
                )
            }
            None => (spec.clone(), "--args-json".to_owned()),
        };
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| CliError::malformed(source.clone(), "arguments", e.to_string()))?;
        if !json.is_object() {
            return Err(CliError::malformed(
                source,
                "arguments",
                "not a JSON object",
            ));
        }
        return Value::try_from(json)
            .map_err(|e| CliError::malformed(source, "arguments", e.to_string()));
    }
    let mut map = BTreeMap::new();
    for item in &a.args {
        let (k, v) = item
            .split_once('=')
            .ok_or_else(|| CliError::usage("--arg", format!("`{item}` is not NAME=VALUE")))?;
        if k.is_empty() {
            return Err(CliError::usage("--arg", "empty argument name"));
        }
        let value = Value::try_from(parse_value(v))
            .map_err(|e| CliError::usage("--arg", format!("{k}: {e}")))?;
        if map.insert(k.to_owned(), value).is_some() {
            return Err(CliError::usage("--arg", format!("`{k}` given twice")));
        }
    }
    Ok(Value::Map(map))
}

/// Human reason of one violation.
fn reason(kind: &ViolationKind) -> String {
    match kind {
        ViolationKind::Missing => "required argument missing".into(),
        ViolationKind::Unexpected => "argument not allowed".into(),
        ViolationKind::Mismatch { constraint } => format!("value fails {constraint} constraint"),
        ViolationKind::NotAMap => "arguments are not a map".into(),
    }
}

/// Print a denial with every violated argument and return exit code 1.
fn report_deny(
    json: bool,
    code: &str,
    message: &str,
    violations: &[ArgViolation],
    args: &Value,
    redaction: Redaction,
) -> Result<u8, CliError> {
    let value_of = |arg: &str| {
        (redaction == Redaction::Off)
            .then(|| args.as_map().and_then(|m| m.get(arg)))
            .flatten()
    };
    if json {
        let list: Vec<_> = violations
            .iter()
            .map(|v| {
                let mut o = serde_json::json!({
                    "arg": v.arg,
                    "link": v.link,
                    "reason": reason(&v.kind),
                });
                if let (Some(val), Some(obj)) = (value_of(&v.arg), o.as_object_mut()) {
                    obj.insert("value".into(), serde_json::json!(val.to_string()));
                }
                o
            })
            .collect();
        print_json(&serde_json::json!({
            "ok": false,
            "allowed": false,
            "code": code,
            "error": message,
            "violations": list,
        }))?;
    } else {
        println!("deny {code}");
        println!("  {message}");
        for v in violations {
            match value_of(&v.arg) {
                Some(val) => println!(
                    "  link {}: argument `{}`: {} (value: {val})",
                    v.link,
                    v.arg,
                    reason(&v.kind)
                ),
                None => println!(
                    "  link {}: argument `{}`: {}",
                    v.link,
                    v.arg,
                    reason(&v.kind)
                ),
            }
        }
    }
    Ok(DENIED)
}
