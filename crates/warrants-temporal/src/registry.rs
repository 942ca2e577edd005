//! The activity registry: which activity types are protected, the tool
//! name each maps to, and how to read its typed input as named arguments.
//!
//! Temporal erases argument types before interceptors run and keeps no
//! argument names, so both the workflow side (which signs the proof) and
//! the activity side (which checks it) read the typed input through the
//! same registry, built once at worker setup from the activity
//! definitions. A protected activity type missing from it is denied
//! (`ACTIVITY_NOT_REGISTERED`); activities that need no warrant are listed
//! with [`ActivityRegistry::unprotected`].
//!
//! ```ignore
//! let registry = ActivityRegistry::new()
//!     .protect(FsActs::read_file, "read_file")            // struct input → its fields
//!     .protect_named(HttpActs::get, "http_get", "url")    // one plain argument, named
//!     .protect_with(FsActs::copy, "copy", |a: &MultiArgs2<String, String>| {
//!         Ok(Value::map([("from", a.0.as_str()), ("to", a.1.as_str())]))
//!     })
//!     .unprotected(Ops::heartbeat_metrics);
//! ```

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::marker::PhantomData;
use std::sync::Arc;

use temporalio_common::ActivityDefinition;
use temporalio_sdk::interceptors::ExecuteActivityInput;
use temporalio_sdk::workflow_interceptors::{ScheduleActivityInput, ScheduleLocalActivityInput};
use warrants::Value;

/// Why arguments could not be read as a named map (never holds values).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ArgsError(pub String);

/// The input handed to an argument reader: one of the three places
/// Temporal exposes typed activity input.
pub enum TypedInput<'a> {
    /// Workflow side, `schedule_activity`.
    Schedule(&'a ScheduleActivityInput),
    /// Workflow side, `schedule_local_activity`.
    ScheduleLocal(&'a ScheduleLocalActivityInput),
    /// Activity side, `execute_activity`.
    Execute(&'a ExecuteActivityInput),
}

impl TypedInput<'_> {
    fn get<T: Any>(&self) -> Option<&T> {
        match self {
            TypedInput::Schedule(i) => i.input_ref::<T>(),
            TypedInput::ScheduleLocal(i) => i.input_ref::<T>(),
            TypedInput::Execute(i) => i.args_ref::<T>(),
        }
    }
}

type ToValue<I> = dyn Fn(&I) -> Result<Value, ArgsError> + Send + Sync;

trait ReadArgs: Send + Sync {
    fn read(&self, input: &TypedInput<'_>) -> Result<Value, ArgsError>;
}

struct Reader<I: 'static> {
    to_value: Arc<ToValue<I>>,
    _input: PhantomData<fn(&I)>,
}

impl<I: Any> ReadArgs for Reader<I> {
    fn read(&self, input: &TypedInput<'_>) -> Result<Value, ArgsError> {
        let typed = input
            .get::<I>()
            .ok_or_else(|| ArgsError("input is not the registered type".into()))?;
        let value = (self.to_value)(typed)?;
        if value.as_map().is_none() {
            return Err(ArgsError(format!(
                "arguments must be a map of names, got {}",
                value.kind()
            )));
        }
        Ok(value)
    }
}

#[derive(Clone)]
struct Entry {
    tool: String,
    reader: Arc<dyn ReadArgs>,
}

/// How one call looks to the authorizer.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall {
    /// The tool name.
    pub tool: String,
    /// The named arguments (a [`Value::Map`]).
    pub args: Value,
}

/// What the registry says about an activity type.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Listed as needing no warrant.
    Unprotected,
    /// Protected and registered: the call as the authorizer sees it, or
    /// why its arguments could not be read.
    Protected(Result<ToolCall, ArgsError>),
    /// Protected (everything not listed as unprotected is) but not
    /// registered: denied.
    Unregistered,
}

/// Activity type → tool name and argument reader; see the module docs.
#[derive(Clone, Default)]
pub struct ActivityRegistry {
    entries: HashMap<String, Entry>,
    unprotected: HashSet<String>,
}

impl std::fmt::Debug for ActivityRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut tools: Vec<(&str, &str)> = self
            .entries
            .iter()
            .map(|(k, e)| (k.as_str(), e.tool.as_str()))
            .collect();
        tools.sort_unstable();
        let mut open: Vec<&str> = self.unprotected.iter().map(String::as_str).collect();
        open.sort_unstable();
        f.debug_struct("ActivityRegistry")
            .field("protected", &tools)
            .field("unprotected", &open)
            .finish()
    }
}

impl ActivityRegistry {
    /// An empty registry: every activity is protected and unregistered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Protect `activity` as `tool`; its single input serializes to a map
    /// (a struct with named fields) that becomes the named arguments.
    #[must_use]
    pub fn protect<AD>(self, activity: AD, tool: impl Into<String>) -> Self
    where
        AD: ActivityDefinition,
        AD::Input: serde::Serialize + Send + Sync,
    {
        self.protect_with(activity, tool, |input: &AD::Input| {
            Value::from_serialize(input).map_err(|e| ArgsError(e.to_string()))
        })
    }

    /// Protect `activity` as `tool`; its single plain input (a string, a
    /// number, a list, ...) becomes the one argument `name`.
    #[must_use]
    pub fn protect_named<AD>(
        self,
        activity: AD,
        tool: impl Into<String>,
        name: impl Into<String>,
    ) -> Self
    where
        AD: ActivityDefinition,
        AD::Input: serde::Serialize + Send + Sync,
    {
        let name = name.into();
        self.protect_with(activity, tool, move |input: &AD::Input| {
            let v = Value::from_serialize(input).map_err(|e| ArgsError(e.to_string()))?;
            Ok(Value::map([(name.clone(), v)]))
        })
    }

    /// Protect `activity` as `tool` with an explicit reader from its typed
    /// input (for `MultiArgsN` inputs, renamed or derived arguments). The
    /// reader must return a map and must be a pure function of its input:
    /// the workflow and activity sides both call it and must agree.
    #[must_use]
    pub fn protect_with<AD, F>(mut self, activity: AD, tool: impl Into<String>, read: F) -> Self
    where
        AD: ActivityDefinition,
        F: Fn(&AD::Input) -> Result<Value, ArgsError> + Send + Sync + 'static,
    {
        let name = activity.name().to_owned();
        self.unprotected.remove(&name);
        self.entries.insert(
            name,
            Entry {
                tool: tool.into(),
                reader: Arc::new(Reader::<AD::Input> {
                    to_value: Arc::new(read),
                    _input: PhantomData,
                }),
            },
        );
        self
    }

    /// Run `activity` without any warrant check.
    #[must_use]
    pub fn unprotected<AD: ActivityDefinition>(self, activity: AD) -> Self {
        let name = activity.name().to_owned();
        self.unprotected_type(name)
    }

    /// Run the activity type `activity_type` without any warrant check
    /// (for activities registered by name, e.g. from another SDK).
    #[must_use]
    pub fn unprotected_type(mut self, activity_type: impl Into<String>) -> Self {
        let name = activity_type.into();
        self.entries.remove(&name);
        self.unprotected.insert(name);
        self
    }

    /// The tool an activity type maps to, if registered.
    pub fn tool_of(&self, activity_type: &str) -> Option<&str> {
        self.entries.get(activity_type).map(|e| e.tool.as_str())
    }

    /// Whether `activity_type` is listed as unprotected.
    pub fn is_unprotected(&self, activity_type: &str) -> bool {
        self.unprotected.contains(activity_type)
    }

    /// Everything the registry says about one call.
    pub fn lookup(&self, activity_type: &str, input: &TypedInput<'_>) -> Lookup {
        if self.unprotected.contains(activity_type) {
            return Lookup::Unprotected;
        }
        match self.entries.get(activity_type) {
            None => Lookup::Unregistered,
            Some(e) => Lookup::Protected(e.reader.read(input).map(|args| ToolCall {
                tool: e.tool.clone(),
                args,
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Def(&'static str);
    impl ActivityDefinition for Def {
        type Input = String;
        type Output = String;
        fn name(&self) -> &str {
            self.0
        }
    }

    #[test]
    fn unprotected_and_protected_replace_each_other() {
        let r = ActivityRegistry::new()
            .protect_named(Def("A::x"), "x", "path")
            .unprotected(Def("A::x"));
        assert!(r.is_unprotected("A::x"));
        assert_eq!(r.tool_of("A::x"), None);
        let r = r.protect_named(Def("A::x"), "x", "path");
        assert!(!r.is_unprotected("A::x"));
        assert_eq!(r.tool_of("A::x"), Some("x"));
        let dbg = format!("{r:?}");
        assert!(dbg.contains("A::x"), "{dbg}");
    }
}
