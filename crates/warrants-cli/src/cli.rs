//! Command-line arguments (clap derive).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Exit codes, shown at the end of `--help`.
const EXIT_CODES: &str = "\
Exit codes:
  0  ok: the command succeeded, the warrant is valid
  1  denied or invalid: the warrant does not verify
  2  usage or I/O error: bad flags, unreadable or malformed input

Inputs are files or `-` for stdin; warrants are read raw or as base64url text.";

/// Warrant-based authorization: create, inspect and verify warrants.
#[derive(Debug, Parser)]
#[command(name = "warrant", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    pub json: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a signing key: writes the seed file (mode 0600), prints the public key.
    #[command(after_help = "Examples:\n  warrant keygen --out root.seed\n  \
        warrant keygen --out keys/agent --id agent")]
    Keygen(KeygenArgs),
    /// Print the public key of a seed file or a Transit key.
    #[command(after_help = "Examples:\n  warrant pubkey root.seed\n  \
        echo \"$SEED\" | warrant pubkey -\n  \
        WARRANT_VAULT_ADDR=https://bao:8200 WARRANT_VAULT_TOKEN_FILE=token \\\n    \
        warrant pubkey transit:control-plane --all-versions")]
    Pubkey(PubkeyArgs),
    /// Mint a root warrant from flags or a capability file.
    #[command(after_help = MINT_HELP)]
    Mint(MintArgs),
    /// Decode a warrant chain without trusting it and show it as a tree.
    #[command(after_help = "Examples:\n  warrant inspect chain.txt\n  \
        warrant mint ... | warrant inspect -\n  warrant inspect --json chain.txt")]
    Inspect(InspectArgs),
    /// Verify a chain against trusted root keys (exit 0 valid, 1 invalid).
    #[command(
        after_help = "Examples:\n  warrant verify chain.txt --trusted-root seed:root.seed\n  \
        warrant verify chain.txt --trusted-root \"$ROOT_PUB\" --revocation revoked.bin"
    )]
    Verify(VerifyArgs),
    /// Attenuate a chain's leaf: add a narrower child warrant signed by the leaf's holder.
    #[command(after_help = GRANT_HELP)]
    Grant(GrantArgs),
    /// Build or extend a signed revocation list.
    #[command(after_help = REVOKE_HELP)]
    Revoke(RevokeArgs),
    /// Print the Temporal workflow headers (`x-warrant`, `x-warrant-key-id`) for a chain.
    #[command(after_help = HEADERS_HELP)]
    Headers(HeadersArgs),
    /// Dry-run one tool call against a chain (exit 0 allow, 1 deny).
    #[command(after_help = AUTHORIZE_HELP)]
    Authorize(AuthorizeArgs),
}

const AUTHORIZE_HELP: &str = "\
Runs the full authorizer: trust, revocation, expiry, the tool grant, the
constraints of every link, the signatures and a proof of possession. The proof
is signed here with --holder-key (at the current time; --save-pop writes it), or
a saved proof is checked with --pop. Prints `allow`, or `deny CODE` and every
violated argument. Argument values are never shown unless --show-values.

--arg NAME=VALUE: VALUE parses as JSON when it can, as text otherwise (as exact:).
--args-json: a JSON object, or @FILE.

Examples:
  warrant authorize chain.txt --tool read_file --arg path=/data/in/a.csv \\
      --trusted-root seed:root.seed --holder-key agent.seed
  warrant authorize chain.txt --tool transfer --args-json '{\"amount\": 50}' \\
      --trusted-root \"$ROOT_PUB\" --pop proof.txt --json";

const GRANT_HELP: &str = "\
The grant starts with no tools: add each with --tool (and --constraint ARG=SPEC,
same syntax as `mint`), or copy the parent's with --inherit-all. A tool given
with no --constraint keeps the parent's constraints for it. Every constraint must
be provably narrower than (or equal to) the parent's; expiry and max depth may
only shrink. A widening grant or a --parent-key that is not the leaf's holder is
refused with exit 1 and the core's code, e.g.
  BUILD_CONSTRAINT_WIDENS  BUILD_TOOL_NOT_IN_PARENT  BUILD_TTL_INVALID
  BUILD_DEPTH_INVALID      BUILD_WRONG_KEY           BUILD_NO_TOOLS

Key forms:
  --parent-key FILE | - | env:VAR | transit:[MOUNT/]NAME[@VERSION]
  --holder     BASE64URL | @PUBKEY_FILE | seed:SEED_FILE

Examples:
  warrant grant chain.txt --parent-key agent.seed --holder seed:worker.seed \\
      --tool read_file --constraint path=subpath:/data/in/reports --ttl 5m --out child.txt
  warrant grant chain.txt --parent-key env:AGENT_SEED --holder \"$WORKER_PUB\" --inherit-all --max-depth 2
  warrant grant chain.txt --parent-key agent.seed --capabilities narrower.yaml";

const REVOKE_HELP: &str = "\
A new list has version 1. With --list EXISTING the list is extended: it must be
signed by the same --issuer-key (else exit 2), the new version is the old one
plus 1, and the ids are the union of the old and new ones. Ids are the 32 hex
characters shown by `warrant inspect`. Output is base64url text unless --binary.

Examples:
  warrant revoke --issuer-key root.seed --id 0123456789abcdef0123456789abcdef --out revoked.txt
  warrant revoke --issuer-key root.seed --list revoked.txt --id fedcba98765432100123456789abcdef \\
      --out revoked.txt
  warrant verify chain.txt --trusted-root seed:root.seed --revocation revoked.txt";

const HEADERS_HELP: &str = "\
Prints `x-warrant` (the chain as base64url text) and `x-warrant-key-id` (the
holder key id the worker's key resolver looks up). With --json, prints an object
with the header values and the `--headers` flags for `temporal workflow start`
(KEY=VALUE, the value a JSON string; the worker reads these json/plain payloads).

Examples:
  warrant headers chain.txt --key-id agent
  warrant headers chain.txt --key-id agent --json
  temporal workflow start --type MyWorkflow --task-queue q \\
      --headers \"x-warrant=\\\"$(warrant mint ...)\\\"\" --headers 'x-warrant-key-id=\"agent\"'";

const MINT_HELP: &str = "\
Constraint syntax (--constraint ARG=SPEC, applies to the preceding --tool):
  wildcard                      any value
  exact:VALUE                   exact:42, exact:eu-west-1, exact:\"42\" (text)
  one_of:V1,V2 | not_one_of:..  one_of:dev,staging (or a JSON list)
  range:[MIN,MAX]               ( ) exclude a bound, empty side unbounded; <=N <N >=N >N
  pattern:GLOB                  pattern:*.csv
  subpath:ROOT                  subpath:/data/in
  regex:EXPR                    regex:[a-z]+-[0-9]+
  contains:V1,.. | subset:V1,.. list arguments
  cidr:NET1,NET2                cidr:10.0.0.0/8,fd00::/8
  url_safe[:schemes=..;allow=..;deny=..]
  url_pattern:SCHEMES://HOST[:PORT][/PATH]   url_pattern:https://*.example.com/api/*
  all(SPEC;SPEC) any(SPEC;SPEC) not(SPEC)
VALUEs parse as JSON when they can, as text otherwise.

Capability file (YAML or JSON):
  holder: seed:agent.seed    # optional
  ttl: 1h                    # optional
  max_depth: 3               # optional
  allow_unknown: [tool]      # optional
  tools:
    read_file:
      path: subpath:/data/in
    transfer:
      amount: {kind: range, min: 0, max: 100}

Key forms:
  --issuer-key FILE | - | env:VAR | transit:[MOUNT/]NAME[@VERSION]
  --holder     BASE64URL | @PUBKEY_FILE | seed:SEED_FILE
A transit: key is signed by OpenBao/Vault Transit; the server and token come
from WARRANT_VAULT_ADDR and WARRANT_VAULT_TOKEN[_FILE] (or WARRANT_VAULT_ROLE_ID
and WARRANT_VAULT_SECRET_ID[_FILE]), see docs/KEYS.md.

Examples:
  warrant mint --issuer-key root.seed --holder seed:agent.seed \\
      --tool read_file --constraint path=subpath:/data/in --ttl 10m
  warrant mint --issuer-key env:ROOT_SEED --capabilities caps.yaml --out chain.txt
  warrant mint --issuer-key transit:control-plane --holder @agent.pub --tool read_file";

/// `keygen` arguments.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Seed file to create (mode 0600).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Key id to report (for key resolvers that look keys up by id).
    #[arg(long)]
    pub id: Option<String>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// `pubkey` arguments.
#[derive(Debug, Args)]
pub struct PubkeyArgs {
    /// Seed file, `-` for stdin, `env:VAR`, or `transit:[MOUNT/]NAME[@N]`
    /// (server from the WARRANT_VAULT_* variables).
    #[arg(value_name = "KEY", allow_hyphen_values = true)]
    pub seed: String,
    /// For a Transit key: every version's public key, oldest first, as
    /// `VERSION KEY` lines (trusted roots during a rotation).
    #[arg(long)]
    pub all_versions: bool,
}

/// `mint` arguments.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// Issuer signing key: seed FILE, `-`, `env:VAR`, or an OpenBao/Vault
    /// Transit key `transit:[MOUNT/]NAME[@VERSION]` (server and token from
    /// the WARRANT_VAULT_* variables).
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub issuer_key: String,
    /// Holder public key: BASE64URL, `@FILE` or `seed:FILE`.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub holder: Option<String>,
    /// Tools, constraints, time to live and depth.
    #[command(flatten)]
    pub caps: CapabilityArgs,
    /// Issue time, unix seconds (default now; for tests and backdating).
    #[arg(long, value_name = "UNIX_SECS")]
    pub issued_at: Option<u64>,
    /// Where the chain goes.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `inspect` arguments.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Chain file (raw or base64url) or `-`.
    #[arg(value_name = "CHAIN")]
    pub input: String,
}

/// `verify` arguments.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Chain file (raw or base64url) or `-`.
    #[arg(value_name = "CHAIN")]
    pub input: String,
    /// Trusted roots, revocation, clock.
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// `grant` arguments.
#[derive(Debug, Args)]
pub struct GrantArgs {
    /// Chain file (raw or base64url) or `-`.
    #[arg(value_name = "CHAIN")]
    pub input: String,
    /// The leaf holder's signing key: seed FILE, `-`, `env:VAR`, or
    /// `transit:[MOUNT/]NAME[@VERSION]` (WARRANT_VAULT_* settings).
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub parent_key: String,
    /// New holder public key: BASE64URL, `@FILE` or `seed:FILE` (default: the parent's holder).
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub holder: Option<String>,
    /// Tools (a --tool with no --constraint keeps the parent's constraints),
    /// time to live (default: the parent's expiry) and depth (default: the
    /// parent's).
    #[command(flatten)]
    pub caps: CapabilityArgs,
    /// Copy every tool of the parent (tools given by flag override).
    #[arg(long)]
    pub inherit_all: bool,
    /// Where the chain goes.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `revoke` arguments.
#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// Root signing key of the list: seed FILE, `-` or `env:VAR`.
    #[arg(long, value_name = "KEY", allow_hyphen_values = true)]
    pub issuer_key: String,
    /// A warrant id to revoke, 32 hex characters (repeatable).
    #[arg(long = "id", value_name = "WARRANT_ID")]
    pub ids: Vec<String>,
    /// Existing list to extend (raw or base64url).
    #[arg(long, value_name = "EXISTING")]
    pub list: Option<String>,
    /// Where the list goes.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `headers` arguments.
#[derive(Debug, Args)]
pub struct HeadersArgs {
    /// Chain file (raw or base64url) or `-`.
    #[arg(value_name = "CHAIN")]
    pub input: String,
    /// Holder key id for `x-warrant-key-id`.
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub key_id: String,
}

/// `authorize` arguments.
#[derive(Debug, Args)]
pub struct AuthorizeArgs {
    /// Chain file (raw or base64url) or `-`.
    #[arg(value_name = "CHAIN")]
    pub input: String,
    /// The tool called.
    #[arg(long, value_name = "NAME")]
    pub tool: String,
    /// A call argument `NAME=VALUE` (VALUE as JSON if it parses, else text).
    #[arg(long = "arg", value_name = "NAME=VALUE", conflicts_with = "args_json")]
    pub args: Vec<String>,
    /// The call arguments as a JSON object, or `@FILE`.
    #[arg(long, value_name = "JSON")]
    pub args_json: Option<String>,
    /// Trusted roots, revocation, clock.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// Holder signing key to sign a fresh proof: seed FILE, `-` or `env:VAR`.
    #[arg(
        long,
        value_name = "KEY",
        conflicts_with = "pop",
        required_unless_present = "pop"
    )]
    pub holder_key: Option<String>,
    /// A saved proof of possession to check (raw or base64url).
    #[arg(long, value_name = "FILE")]
    pub pop: Option<String>,
    /// Write the proof signed with --holder-key to FILE (base64url).
    #[arg(long, value_name = "FILE", requires = "holder_key")]
    pub save_pop: Option<PathBuf>,
    /// Context bytes the proof is bound to (text).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub context: String,
    /// Seconds a proof may predate now.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub pop_max_age: u64,
    /// Show argument values in denials (local debugging only).
    #[arg(long)]
    pub show_values: bool,
}

/// The capabilities `mint` and `grant` ask for.
#[derive(Debug, Args)]
pub struct CapabilityArgs {
    /// A granted tool; following --constraint flags apply to it.
    #[arg(long = "tool", value_name = "NAME")]
    pub tools: Vec<String>,
    /// An argument constraint `ARG=SPEC` for the preceding --tool.
    #[arg(long = "constraint", value_name = "ARG=SPEC")]
    pub constraints: Vec<String>,
    /// Capability file (YAML or JSON, `-` for stdin).
    #[arg(long, value_name = "FILE")]
    pub capabilities: Option<String>,
    /// Time to live: seconds or 10m, 1h, 7d (mint: 1h by default; grant:
    /// the parent's expiry).
    #[arg(long)]
    pub ttl: Option<String>,
    /// Maximum delegation depth (mint: 8 by default; grant: the parent's).
    #[arg(long)]
    pub max_depth: Option<u32>,
    /// Positions of `--tool` on the command line (filled after parsing).
    #[arg(skip)]
    pub tool_positions: Vec<usize>,
    /// Positions of `--constraint` on the command line (filled after parsing).
    #[arg(skip)]
    pub constraint_positions: Vec<usize>,
}

/// Where `mint`, `grant` and `revoke` write.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Write to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write raw bytes instead of base64url text.
    #[arg(long)]
    pub binary: bool,
}

/// What `verify` and `authorize` trust, and when.
#[derive(Debug, Args)]
pub struct TrustArgs {
    /// A trusted root key: BASE64URL, `@FILE`, `seed:FILE`, or
    /// `transit:[MOUNT/]NAME[@VERSION]` for every (or one) version of a
    /// Transit key (repeatable).
    #[arg(
        long = "trusted-root",
        value_name = "KEY",
        required = true,
        allow_hyphen_values = true
    )]
    pub trusted_roots: Vec<String>,
    /// Signed revocation list (raw or base64url).
    #[arg(long, value_name = "FILE")]
    pub revocation: Option<String>,
    /// Allowed clock skew in seconds.
    #[arg(long, default_value_t = 30)]
    pub clock_skew: u64,
    /// Evaluate at this time, unix seconds, instead of now (e.g. to replay
    /// a past decision or check a warrant before it starts).
    #[arg(long, value_name = "UNIX_SECS")]
    pub at: Option<u64>,
}
