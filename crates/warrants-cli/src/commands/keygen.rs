//! `warrant keygen`: create a seed file (0600) and print the public key.

use std::io::Write;

use warrants::SigningKey;

use crate::cli::KeygenArgs;
use crate::exit::{CliError, OK};

/// Run `keygen`.
pub fn run(a: &KeygenArgs, json: bool) -> Result<u8, CliError> {
    if let Some(id) = &a.id {
        warrants_keys::check_key_id(id).map_err(|e| CliError::usage("--id", e.to_string()))?;
    }
    let key = SigningKey::generate();
    let seed = key.to_base64url();
    let path = a.out.display().to_string();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true);
    if a.force {
        opts.create(true).truncate(true);
    } else {
        opts.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let io = |action, source| CliError::Io {
        path: path.clone(),
        action,
        source,
    };
    let mut file = opts.open(&a.out).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::usage("--out", format!("{path} exists; pass --force to overwrite"))
        } else {
            io("cannot create", e)
        }
    })?;
    #[cfg(unix)]
    {
        // An existing file overwritten with --force keeps its old mode.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| io("cannot set mode", e))?;
    }
    file.write_all(seed.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(|e| io("cannot write", e))?;
    let public = key.public_key().to_base64url();
    if json {
        crate::output::print_json(&serde_json::json!({
            "ok": true,
            "public_key": public,
            "fingerprint": crate::output::fingerprint(&key.public_key()),
            "id": a.id,
            "seed_file": path,
        }))?;
    } else {
        println!("{public}");
        if let Some(id) = &a.id {
            eprintln!("key id: {id}");
        }
        eprintln!("seed written to {path} (mode 0600)");
    }
    Ok(OK)
}
