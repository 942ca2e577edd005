//! Mapping AWS SDK errors onto [`Error`], and counting attempts.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_kms::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_kms::error::{BoxError, DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::BACKEND;
use crate::Error;

/// Longest backend message kept in an error.
const MAX_MESSAGE: usize = 300;

/// Counts the attempts (first try and retries) of one operation, for
/// [`Error::Unavailable::attempts`].
#[derive(Debug, Clone, Default)]
pub(crate) struct AttemptCounter(Arc<AtomicU32>);

impl AttemptCounter {
    /// Attempts made so far (at least 1, so errors never say "0 attempts").
    pub(crate) fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed).max(1)
    }
}

impl Intercept for AttemptCounter {
    fn name(&self) -> &'static str {
        "warrants-attempt-counter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// What the failed call was about, for the error message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'a> {
    /// The KMS operation (`Decrypt`, `Sign`, ...).
    pub op: &'static str,
    /// The KMS key id/ARN/alias named in the request, if any.
    pub kms_key: Option<&'a str>,
    /// For `Decrypt`: the warrant key id and where its ciphertext came from.
    pub envelope: Option<(&'a str, &'a str)>,
}

impl Context<'_> {
    fn kms_key_setting(&self) -> String {
        match self.kms_key {
            Some(k) => format!("aws-kms key {k:?}"),
            None => "aws-kms key (named by the ciphertext)".to_string(),
        }
    }
}

/// Keep a backend message short and on one line.
pub(crate) fn clip(message: &str) -> String {
    let one_line: String = message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let one_line = one_line.trim();
    match one_line.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => format!("{}...", one_line.get(..i).unwrap_or_default()),
        None => one_line.to_string(),
    }
}

/// Map an SDK error. Only the KMS error code, the KMS message and the
/// HTTP status are used: never the request (which may carry a plaintext
/// or a ciphertext).
pub(crate) fn map_sdk_error<E>(
    err: SdkError<E>,
    ctx: Context<'_>,
    attempts: &AttemptCounter,
) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let e = service.err();
            map_service_error(e.code(), e.message(), status, ctx, attempts.get())
        }
        SdkError::TimeoutError(_) => Error::Unavailable {
            backend: BACKEND,
            attempts: attempts.get(),
            message: format!("{}: timed out", ctx.op),
        },
        SdkError::DispatchFailure(_) => Error::Unavailable {
            backend: BACKEND,
            attempts: attempts.get(),
            message: format!(
                "{}: {}",
                ctx.op,
                clip(&DisplayErrorContext(&err).to_string())
            ),
        },
        SdkError::ResponseError(_) => Error::Backend {
            backend: BACKEND,
            message: format!("{}: the response could not be read", ctx.op),
        },
        _ => Error::Backend {
            backend: BACKEND,
            message: format!(
                "{}: {}",
                ctx.op,
                clip(&DisplayErrorContext(&err).to_string())
            ),
        },
    }
}

/// Map a KMS error response (`__type` code, message, HTTP status).
pub(crate) fn map_service_error(
    code: Option<&str>,
    message: Option<&str>,
    status: u16,
    ctx: Context<'_>,
    attempts: u32,
) -> Error {
    let code = code.unwrap_or("");
    let detail = match (code, message.map(clip).filter(|m| !m.is_empty())) {
        ("", Some(m)) => format!("http {status}: {m}"),
        ("", None) => format!("http {status}"),
        (c, Some(m)) => format!("{c}: {m}"),
        (c, None) => c.to_string(),
    };
    let op = ctx.op;
    match code {
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "InvalidClientTokenId"
        | "MissingAuthenticationToken"
        | "ExpiredTokenException"
        | "NotAuthorizedException"
        | "SignatureDoesNotMatch" => Error::Auth {
            backend: BACKEND,
            message: format!("{op}: {detail}"),
        },
        "NotFoundException" => Error::Config {
            setting: ctx.kms_key_setting(),
            reason: format!("no such kms key, or not visible with these credentials in this region ({op}: {detail})"),
        },
        "InvalidCiphertextException" => match ctx.envelope {
            Some((key_id, location)) => Error::Malformed {
                key_id: key_id.to_string(),
                location: location.to_string(),
                reason: "aws kms refused the ciphertext: corrupt, or encrypted for another key id (encryption context mismatch)",
            },
            None => backend(op, &detail),
        },
        "IncorrectKeyException" => match ctx.envelope {
            Some((key_id, location)) => Error::Malformed {
                key_id: key_id.to_string(),
                location: location.to_string(),
                reason: "the ciphertext was encrypted under another kms key than the expected one",
            },
            None => backend(op, &detail),
        },
        "KMSInternalException"
        | "KMSInternalFailure"
        | "DependencyTimeoutException"
        | "KeyUnavailableException"
        | "ThrottlingException"
        | "LimitExceededException"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "RequestTimeout"
        | "RequestTimeoutException" => Error::Unavailable {
            backend: BACKEND,
            attempts,
            message: format!("{op}: {detail}"),
        },
        _ if status == 401 || status == 403 => Error::Auth {
            backend: BACKEND,
            message: format!("{op}: {detail}"),
        },
        _ if status >= 500 || status == 429 => Error::Unavailable {
            backend: BACKEND,
            attempts,
            message: format!("{op}: {detail}"),
        },
        _ => backend(op, &detail),
    }
}

fn backend(op: &str, detail: &str) -> Error {
    Error::Backend {
        backend: BACKEND,
        message: format!("{op}: {detail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DECRYPT: Context<'static> = Context {
        op: "Decrypt",
        kms_key: Some("alias/warrants"),
        envelope: Some(("agent-7", "env WARRANT_KEY_AGENT_7")),
    };

    #[test]
    fn codes() {
        let m = |code: &str, status| map_service_error(Some(code), Some("why"), status, DECRYPT, 3);
        assert_eq!(m("AccessDeniedException", 400).code(), "KEY_BACKEND_AUTH");
        assert_eq!(
            m("UnrecognizedClientException", 400).code(),
            "KEY_BACKEND_AUTH"
        );
        assert_eq!(
            m("InvalidSignatureException", 400).code(),
            "KEY_BACKEND_AUTH"
        );
        assert_eq!(m("Whatever", 403).code(), "KEY_BACKEND_AUTH");
        assert_eq!(m("InvalidCiphertextException", 400).code(), "KEY_MALFORMED");
        assert_eq!(m("IncorrectKeyException", 400).code(), "KEY_MALFORMED");
        assert_eq!(
            m("KMSInternalException", 500).code(),
            "KEY_BACKEND_UNAVAILABLE"
        );
        assert_eq!(
            m("ThrottlingException", 400).code(),
            "KEY_BACKEND_UNAVAILABLE"
        );
        assert_eq!(m("Whatever", 503).code(), "KEY_BACKEND_UNAVAILABLE");
        assert_eq!(m("DisabledException", 400).code(), "KEY_BACKEND_ERROR");
        let e = m("NotFoundException", 400);
        assert_eq!(e.code(), "KEY_CONFIG");
        assert_eq!(
            e.to_string(),
            "aws-kms key \"alias/warrants\": no such kms key, or not visible with these credentials in this region (Decrypt: NotFoundException: why)"
        );
        let e = m("InvalidCiphertextException", 400);
        assert!(
            e.to_string()
                .starts_with("key \"agent-7\" at env WARRANT_KEY_AGENT_7 is malformed: "),
            "{e}"
        );
        let sign = Context {
            op: "Sign",
            kms_key: Some("k"),
            envelope: None,
        };
        assert_eq!(
            map_service_error(Some("InvalidCiphertextException"), None, 400, sign, 1).to_string(),
            "aws-kms: request failed: Sign: InvalidCiphertextException"
        );
        assert_eq!(
            map_service_error(None, None, 502, sign, 3).to_string(),
            "aws-kms: unavailable after 3 attempt(s): Sign: http 502"
        );
    }

    #[test]
    fn clip_keeps_messages_short_and_single_line() {
        assert_eq!(clip(" a\nb "), "a b");
        let long = "x".repeat(1000);
        assert_eq!(clip(&long).len(), MAX_MESSAGE + 3);
    }
}
