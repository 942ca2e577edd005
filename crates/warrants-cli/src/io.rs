//! Reading inputs and writing outputs.
//!
//! Every input is a path or `-` for stdin. Binary inputs (warrant chains,
//! revocation lists) are accepted raw or as base64url text (padding and
//! surrounding whitespace ignored); the form is detected from the bytes.

use std::io::{Read, Write};
use std::path::Path;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use zeroize::Zeroizing;

use crate::exit::CliError;

/// Largest input read (chains are at most 256 KiB; text is 4/3 of that).
const MAX_INPUT: u64 = 1 << 20;

const B64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The display name of an input (`-` is `<stdin>`).
pub fn display_name(path: &str) -> String {
    if path == "-" {
        "<stdin>".to_owned()
    } else {
        path.to_owned()
    }
}

/// Read a whole input (path or `-`), zeroized on drop.
pub fn read_input(path: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
    let mut buf = Zeroizing::new(Vec::new());
    let io_err = |source| CliError::Io {
        path: display_name(path),
        action: "cannot read",
        source,
    };
    if path == "-" {
        std::io::stdin()
            .take(MAX_INPUT)
            .read_to_end(&mut buf)
            .map_err(io_err)?;
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_INPUT).read_to_end(&mut buf))
            .map_err(io_err)?;
    }
    Ok(buf)
}

/// Whether bytes look like base64url text (after trimming whitespace).
fn is_text(bytes: &[u8]) -> bool {
    let t = bytes.trim_ascii();
    !t.is_empty()
        && t.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='))
}

/// Decode base64url text (whitespace around it ignored).
pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    B64URL.decode(text.trim()).ok()
}

/// Encode as base64url without padding.
pub fn encode_b64(bytes: &[u8]) -> String {
    warrants::keys::to_base64url(bytes)
}

/// Binary content of an input: base64url text is decoded, anything else
/// is taken as raw bytes.
pub fn binary_content(bytes: &[u8], source_name: &str) -> Result<Vec<u8>, CliError> {
    if is_text(bytes) {
        let text = String::from_utf8_lossy(bytes.trim_ascii());
        decode_b64(&text)
            .ok_or_else(|| CliError::malformed(source_name, "encoding", "not valid base64url"))
    } else if std::str::from_utf8(bytes).is_ok_and(|t| t.trim().is_empty()) {
        Err(CliError::malformed(source_name, "encoding", "empty input"))
    } else {
        Ok(bytes.to_vec())
    }
}

/// Read a binary input (path or `-`), raw or base64url.
pub fn read_binary(path: &str) -> Result<Vec<u8>, CliError> {
    let bytes = read_input(path)?;
    binary_content(&bytes, &display_name(path))
}

/// Write `bytes` to `out` (a path, or stdout when `None` or `-`).
pub fn write_output(out: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    match out.filter(|p| p.as_os_str() != "-") {
        Some(path) => std::fs::write(path, bytes).map_err(|source| CliError::Io {
            path: path.display().to_string(),
            action: "cannot write",
            source,
        }),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .map_err(|source| CliError::Io {
                    path: "<stdout>".to_owned(),
                    action: "cannot write",
                    source,
                })
        }
    }
}
