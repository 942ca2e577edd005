//! Warrant-gated signals and updates (the stricter mode of DESIGN §5).
//!
//! With [`WarrantsConfigBuilder::require_message_warrants`](crate::WarrantsConfigBuilder::require_message_warrants),
//! a signal or update is accepted only if it carries its own warrant
//! granting the tool `signal:<name>` / `update:<name>` and a proof of
//! possession over its arguments, verified like an activity call:
//!
//! - tool: `signal:<name>` or `update:<name>`;
//! - arguments: read from the typed message input by the [`MessageRegistry`]
//!   (the same registry on client and worker);
//! - context: CBOR `[workflow_id, update_id]` for updates,
//!   `[workflow_id, signal_name]` for signals;
//! - time: the client signs with its clock; the worker checks the proof
//!   window around **workflow time** (and expiry at workflow time), so the
//!   decision is the same on replay.
//!
//! The client interceptor signs when its [`WarrantHeaders`](crate::WarrantHeaders)
//! carry the holder key ([`WarrantHeaders::with_holder_key`](crate::WarrantHeaders::with_holder_key))
//! and the message is in its registry ([`WarrantClientInterceptor::messages`](crate::WarrantClientInterceptor::messages)).
//! For updates without an id it sets one (a random 128-bit hex id) so the
//! proof can bind it. Signal-with-start and update-with-start are not
//! signed in this version.

use std::any::Any;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use temporalio_client::{HasArgs, SignalWorkflowInput, StartWorkflowUpdateInput};
use temporalio_sdk::workflow_interceptors::{
    HandleSignalInput, HandleUpdateInput, ValidateUpdateInput,
};
use warrants::Value;

use crate::registry::ArgsError;

/// Signal or update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A signal.
    Signal,
    /// An update.
    Update,
}

impl MessageKind {
    /// The tool a warrant must grant for the message `name`.
    pub fn tool(self, name: &str) -> String {
        match self {
            MessageKind::Signal => format!("signal:{name}"),
            MessageKind::Update => format!("update:{name}"),
        }
    }
}

/// The places Temporal exposes a typed message input.
pub enum MessageInput<'a> {
    /// Client, `signal_workflow`.
    ClientSignal(&'a SignalWorkflowInput),
    /// Client, `start_workflow_update`.
    ClientUpdate(&'a StartWorkflowUpdateInput),
    /// Worker, `handle_signal`.
    Signal(&'a HandleSignalInput),
    /// Worker, `validate_update`.
    Validate(&'a ValidateUpdateInput),
    /// Worker, `handle_update`.
    Update(&'a HandleUpdateInput),
}

impl MessageInput<'_> {
    fn get<T: Any>(&self) -> Option<&T> {
        match self {
            MessageInput::ClientSignal(i) => i.args_ref::<T>(),
            MessageInput::ClientUpdate(i) => i.args_ref::<T>(),
            MessageInput::Signal(i) => i.input_ref::<T>(),
            MessageInput::Validate(i) => i.input_ref::<T>(),
            MessageInput::Update(i) => i.input_ref::<T>(),
        }
    }
}

type ToValue<I> = dyn Fn(&I) -> Result<Value, ArgsError> + Send + Sync;

trait ReadMessage: Send + Sync {
    fn read(&self, input: &MessageInput<'_>) -> Result<Value, ArgsError>;
}

struct Reader<I: 'static> {
    to_value: Arc<ToValue<I>>,
    _input: PhantomData<fn(&I)>,
}

impl<I: Any> ReadMessage for Reader<I> {
    fn read(&self, input: &MessageInput<'_>) -> Result<Value, ArgsError> {
        let typed = input
            .get::<I>()
            .ok_or_else(|| ArgsError("input is not the registered type".into()))?;
        let v = (self.to_value)(typed)?;
        if v.as_map().is_none() {
            return Err(ArgsError(format!(
                "arguments must be a map of names, got {}",
                v.kind()
            )));
        }
        Ok(v)
    }
}

/// Message name → argument reader, for signals and updates.
#[derive(Clone, Default)]
pub struct MessageRegistry {
    readers: HashMap<(MessageKind, String), Arc<dyn ReadMessage>>,
}

impl std::fmt::Debug for MessageRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<String> = self.readers.keys().map(|(k, n)| k.tool(n)).collect();
        names.sort_unstable();
        f.debug_struct("MessageRegistry")
            .field("messages", &names)
            .finish()
    }
}

impl MessageRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register the signal `name`, whose input `T` is read by `read`
    /// (which must return a map).
    #[must_use]
    pub fn signal<T: Any, F>(self, name: impl Into<String>, read: F) -> Self
    where
        F: Fn(&T) -> Result<Value, ArgsError> + Send + Sync + 'static,
    {
        self.add(MessageKind::Signal, name.into(), read)
    }

    /// Register the update `name`, whose input `T` is read by `read`.
    #[must_use]
    pub fn update<T: Any, F>(self, name: impl Into<String>, read: F) -> Self
    where
        F: Fn(&T) -> Result<Value, ArgsError> + Send + Sync + 'static,
    {
        self.add(MessageKind::Update, name.into(), read)
    }

    fn add<T: Any, F>(mut self, kind: MessageKind, name: String, read: F) -> Self
    where
        F: Fn(&T) -> Result<Value, ArgsError> + Send + Sync + 'static,
    {
        self.readers.insert(
            (kind, name),
            Arc::new(Reader::<T> {
                to_value: Arc::new(read),
                _input: PhantomData,
            }),
        );
        self
    }

    /// The named arguments of one message; `None` when not registered.
    pub fn read(
        &self,
        kind: MessageKind,
        name: &str,
        input: &MessageInput<'_>,
    ) -> Option<Result<Value, ArgsError>> {
        self.readers
            .get(&(kind, name.to_owned()))
            .map(|r| r.read(input))
    }
}

/// The proof context of a message: CBOR `[workflow_id, update_id]` or
/// `[workflow_id, signal_name]`.
pub fn message_context(workflow_id: &str, id_or_name: &str) -> Vec<u8> {
    crate::workflow::pop_context(workflow_id, id_or_name)
}
