//! Activity side: authorize every activity call before its body runs.
//!
//! Order of checks (each failure is a denial with its code):
//!
//! 1. activity listed as unprotected → run unchecked;
//! 2. local activity → policy: block (`LOCAL_ACTIVITY_BLOCKED`), allow
//!    (run unchecked) or authorize (go on);
//! 3. `x-warrant` header: unreadable → `WARRANT_MALFORMED`; absent →
//!    `WARRANT_MISSING` (or run unchecked when warrants are not required);
//! 4. registry: the activity type's tool and named arguments
//!    (`ACTIVITY_NOT_REGISTERED`, `ARGS_INVALID`);
//! 5. `x-warrant-pop` header: unreadable → `POP_INVALID`; absent →
//!    `KEY_NOT_FOUND` when the workflow side marked that it lacked the
//!    holder key (`x-warrant-no-key`), else `POP_MISSING`;
//! 6. the core [`Authorizer`](warrants::Authorizer) with the proof context
//!    CBOR `[workflow_id, activity_id]` and the window around
//!    `ActivityInfo::scheduled_time` (fixed across server retries, so a
//!    retry hours later still verifies);
//! 7. first attempts of (non-local) activities: the proof must not have
//!    been used for another first attempt (`POP_REPLAYED`).
//!
//! In enforce mode a denial is a non-retryable `ApplicationFailure` whose
//! type is the denial code; the body never runs. In audit mode the denial
//! is recorded and counted and the body runs.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use temporalio_common::error::ApplicationFailure;
use temporalio_sdk::activities::ActivityError;
use temporalio_sdk::interceptors::{
    ActivityInboundInterceptor, ExecuteActivityInput, ExecuteActivityOutput, Next,
};
use warrants::authorizer::{Authorized, Call};
use warrants::{Denial, Pop, PopWindow, Value};

use crate::audit::{count, AuditEvent, Decision, Scope, SkipReason};
use crate::config::{LocalActivityPolicy, Mode, WarrantsConfig};
use crate::headers::{read_fields, read_text_fields, X_WARRANT, X_WARRANT_NO_KEY, X_WARRANT_POP};
use crate::registry::{Lookup, ToolCall, TypedInput};
use crate::workflow::pop_context;

/// The outcome of the checks for one call.
#[derive(Debug)]
enum Outcome {
    Allow(Authorized, String),
    Skip(SkipReason, Option<String>),
    Deny(Denial, Option<ToolCall>),
}

/// The activity inbound interceptor; see the module docs.
#[derive(Debug, Clone)]
pub struct WarrantActivityInterceptor {
    cfg: Arc<WarrantsConfig>,
}

fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl WarrantActivityInterceptor {
    /// An interceptor enforcing `cfg`.
    pub fn new(cfg: Arc<WarrantsConfig>) -> Self {
        Self { cfg }
    }

    fn decide(&self, input: &ExecuteActivityInput, now: u64) -> Outcome {
        let cfg = &*self.cfg;
        let info = input.activity_info();
        let activity_type = info.activity_type.as_str();
        if cfg.registry.is_unprotected(activity_type) {
            return Outcome::Skip(SkipReason::Unprotected, None);
        }
        if info.is_local {
            match cfg.local_policy {
                LocalActivityPolicy::Block => {
                    return Outcome::Deny(Denial::LocalActivityBlocked, None)
                }
                LocalActivityPolicy::Allow => return Outcome::Skip(SkipReason::LocalPolicy, None),
                LocalActivityPolicy::Authorize => {}
            }
        }
        let chain = match read_fields(input.headers(), X_WARRANT) {
            Err(e) => {
                return Outcome::Deny(
                    Denial::WarrantMalformed {
                        reason: e.to_string(),
                    },
                    None,
                )
            }
            Ok(None) if !cfg.require_warrant => return Outcome::Skip(SkipReason::NoWarrant, None),
            Ok(None) => return Outcome::Deny(Denial::WarrantMissing, None),
            Ok(Some(c)) => c,
        };
        let call = match cfg
            .registry
            .lookup(activity_type, &TypedInput::Execute(input))
        {
            Lookup::Unprotected => return Outcome::Skip(SkipReason::Unprotected, None),
            Lookup::Unregistered => {
                return Outcome::Deny(
                    Denial::ActivityNotRegistered {
                        activity: activity_type.to_owned(),
                    },
                    None,
                )
            }
            Lookup::Protected(Err(e)) => {
                return Outcome::Deny(Denial::ArgsInvalid { reason: e.0 }, None)
            }
            Lookup::Protected(Ok(call)) => call,
        };
        let pop = match read_fields(input.headers(), X_WARRANT_POP) {
            Err(_) => return Outcome::Deny(Denial::PopInvalid, Some(call)),
            Ok(None) => {
                // The workflow side says why it made no proof. The marker
                // only names the denial; without a proof it is one anyway.
                if let Ok(Some(key_id)) = read_text_fields(input.headers(), X_WARRANT_NO_KEY) {
                    return Outcome::Deny(Denial::KeyNotFound { key_id }, Some(call));
                }
                None
            }
            Ok(p) => p,
        };
        let reference = info.scheduled_time.map_or(now, unix_secs);
        let mut before = cfg.pop_before;
        if info.is_local && info.attempt > 1 {
            before = before.saturating_add(cfg.local_retry_grace);
        }
        let window = PopWindow::around(reference, before, cfg.pop_after);
        let context = pop_context(info.workflow_id.as_deref().unwrap_or(""), &info.activity_id);
        let result = cfg.authorizer.authorize_bytes_at(
            Some(&chain),
            &Call::new(&call.tool, &call.args, &context),
            pop.as_deref(),
            window,
            now,
        );
        match result {
            Err(d) => Outcome::Deny(d, Some(call)),
            Ok(ok) => {
                if !info.is_local && info.attempt <= 1 {
                    let fresh = pop
                        .as_deref()
                        .and_then(|b| Pop::from_bytes(b).ok())
                        .is_some_and(|p| {
                            cfg.proofs
                                .first_use(&p.signature.0, p.ts.saturating_add(before), now)
                        });
                    if !fresh {
                        return Outcome::Deny(Denial::PopReplayed, Some(call));
                    }
                }
                Outcome::Allow(ok, call.tool)
            }
        }
    }

    fn event(
        &self,
        input: &ExecuteActivityInput,
        outcome: &Outcome,
        started: Instant,
    ) -> AuditEvent {
        let info = input.activity_info();
        let mut e = AuditEvent {
            scope: Scope::Activity,
            decision: Decision::Skip,
            skip_reason: None,
            code: None,
            reason: None,
            enforced: false,
            tool: self
                .cfg
                .registry
                .tool_of(&info.activity_type)
                .map(str::to_owned),
            activity_type: info.activity_type.clone(),
            activity_id: info.activity_id.clone(),
            is_local: info.is_local,
            attempt: info.attempt,
            workflow_id: info.workflow_id.clone(),
            workflow_type: info.workflow_type.clone(),
            run_id: info.workflow_run_id.clone(),
            warrant_id: None,
            chain_depth: None,
            latency: started.elapsed(),
        };
        match outcome {
            Outcome::Allow(ok, tool) => {
                e.decision = Decision::Allow;
                e.tool = Some(tool.clone());
                e.warrant_id = Some(ok.warrant_id.to_string());
                e.chain_depth = Some(ok.chain_len);
            }
            Outcome::Skip(reason, tool) => {
                e.skip_reason = Some(*reason);
                if tool.is_some() {
                    e.tool.clone_from(tool);
                }
            }
            Outcome::Deny(d, call) => {
                e.decision = Decision::Deny;
                e.code = Some(d.code());
                e.enforced = self.cfg.mode == Mode::Enforce;
                let empty = Value::map::<String, Value, _>([]);
                let args = call.as_ref().map_or(&empty, |c| &c.args);
                e.reason = Some(d.explain(args, self.cfg.redaction));
            }
        }
        e
    }
}

impl ActivityInboundInterceptor for WarrantActivityInterceptor {
    fn execute_activity<'a>(
        &'a self,
        input: ExecuteActivityInput,
        next: Next<'a, ExecuteActivityInput, ExecuteActivityOutput<'a>>,
    ) -> ExecuteActivityOutput<'a> {
        let started = Instant::now();
        let span = tracing::info_span!(
            target: "warrants",
            "warrants.authorize",
            activity_type = %input.activity_info().activity_type,
            attempt = input.activity_info().attempt,
        );
        let _entered = span.enter();
        let now = unix_secs(SystemTime::now());
        let outcome = self.decide(&input, now);
        let event = self.event(&input, &outcome, started);
        self.cfg.audit.record(&event);
        count(&event, self.cfg.mode.label());
        if let (Outcome::Deny(d, _), Mode::Enforce) = (&outcome, self.cfg.mode) {
            let failure = ApplicationFailure::builder(format!(
                "warrant denied: {}",
                event.reason.as_deref().unwrap_or_default()
            ))
            .type_name(d.code().to_owned())
            .non_retryable(true)
            .build();
            return async move { Err(ActivityError::application(failure)) }.boxed();
        }
        next.run(input)
    }
}
