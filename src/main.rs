//! The `eucdoc` command: a thin shell over the library.
//!
//! Exit codes, for every command: 0 success; 1 a document could not be produced (for a batch:
//! at least one line failed); 2 usage errors, unreadable or invalid input (nothing is written).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use eucdoc::model::{self, Form};
use eucdoc::render::{DEFAULT_BASE_URL, RenderConfig, Renderer};

/// jemalloc, not glibc's malloc: under load glibc keeps a heap per busy thread, and the
/// service's memory stayed over its 100 MB budget; jemalloc with two arenas and small thread
/// caches (`.cargo/config.toml`) stays under it and spends less time allocating (README, "Speed").
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "eucdoc",
    version,
    about = "Kazakhstan's export-control documents: render, sign, verify"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// `eucdoc application ...`.
#[derive(Subcommand)]
enum ApplicationCommand {
    /// Check a package: the application and the guarantee obligation (each a signed PDF with
    /// data.json attached, or its JSON with a detached CMS: X.json with X.json.cms, X.cms,
    /// X.p7s or X.sig), and attachments (any other PDF). Every signature with the verifier's
    /// rules, who signed for whom, and whether the documents agree, each check named.
    ///
    /// Exit codes: 0 accepted; 1 rejected; 4 paper only (a defence-order import); 2 usage
    /// errors, unreadable files and invalid documents.
    Check {
        /// The package's files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        sources: VerifySources,
        /// Report format: text or json.
        #[arg(long, default_value = "text", value_parser = ["text", "json"])]
        format: String,
    },
    /// Render an application or guarantee obligation (JSON, `document` says which) to the
    /// PDF/A-3b an applicant signs, the JSON attached as data.json.
    Render {
        /// The JSON input.
        input: PathBuf,
        /// The PDF to write.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// The PDF's creation time (RFC 3339; default now): the same input and time give the
        /// same bytes.
        #[arg(long)]
        at: Option<String>,
    },
}

/// `eucdoc archive ...`.
#[derive(Subcommand)]
enum ArchiveCommand {
    /// Renew archived documents for the long term (PAdES B-LTA): every final document without
    /// a document timestamp, or whose newest one's certificates end within the horizon, gets
    /// validation data and a new document timestamp in a new revision, archived beside the
    /// earlier one; the registry points to the newest. Resumable and idempotent.
    Refresh {
        /// TOML configuration file (default: EUCDOC_CONFIG, else none): the registry, the
        /// archive, the TSA and revocation sources.
        #[arg(long, env = "EUCDOC_CONFIG")]
        config: Option<PathBuf>,
        /// Renew what would stop being provable within this time (e.g. 365d, 90days, 12h).
        #[arg(long, default_value = "365d")]
        horizon: String,
        /// TSA URL (default: [signing] tsa_url).
        #[arg(long)]
        tsa: Option<String>,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Render a document (or a JSON Lines batch) from JSON input to PDF/A-3b.
    Render(RenderArgs),
    /// Print the JSON Schema of a form's input.
    Schema {
        /// end_user_certificate, import_certificate or refusal; application or
        /// guarantee_obligation (incoming documents); verify-report for the schema of `eucdoc
        /// verify --format json`, application-report for `eucdoc application check --format json`.
        form: String,
    },
    /// Sign a PDF (PAdES B-B) with a PKCS#12 key; the stamp goes to the last page's corner.
    Sign(SignArgs),
    /// Verify the signatures of a signed PDF and print a report.
    ///
    /// Exit codes: 0 every signature passed; 1 any failed; 3 any indeterminate (none failed);
    /// 2 usage errors and unreadable input.
    Verify(VerifyArgs),
    /// Run the HTTP service. With no configuration: SQLite and the archive under ./data, a
    /// development PKI and token, 127.0.0.1:8080.
    Serve {
        /// TOML configuration file (default: EUCDOC_CONFIG, else none).
        #[arg(long, env = "EUCDOC_CONFIG")]
        config: Option<PathBuf>,
        /// Address to listen on (overrides the configuration).
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
    /// Export archival packages: one BagIt bag (RFC 8493) per final document (issued, revoked,
    /// voided) as the folder OUT/NUMBER. Resumable: a bag already there for the document's
    /// present status is kept; a document revoked since is packaged again.
    Export {
        /// TOML configuration file (default: EUCDOC_CONFIG, else none): the registry and
        /// archive to read.
        #[arg(long, env = "EUCDOC_CONFIG")]
        config: Option<PathBuf>,
        /// Only documents issued at or after this time (RFC 3339 or a date).
        #[arg(long)]
        since: Option<String>,
        /// Only this form: end_user_certificate, import_certificate or refusal.
        #[arg(long)]
        form: Option<String>,
        /// The folder the bags go to.
        #[arg(long)]
        out: PathBuf,
    },
    /// Long-term care of the archive.
    #[command(subcommand)]
    Archive(ArchiveCommand),
    /// Incoming application packages.
    #[command(subcommand)]
    Application(ApplicationCommand),
    /// Print the service's OpenAPI 3.1 document.
    Openapi,
    /// Write a development PKI in the profile of Kazakhstan's CA (tests only).
    DevPki {
        /// Folder to write into.
        #[arg(long)]
        out: PathBuf,
        /// Environment variable holding the key stores' password (default: "eucdoc-dev").
        #[arg(long)]
        password_env: Option<String>,
        /// OCSP responder the end-entity certificates name (AIA).
        #[arg(long)]
        ocsp_url: Option<String>,
        /// Base URL where root.crl and nca.crl are served, named in the certificates.
        #[arg(long)]
        crl_base_url: Option<String>,
    },
}

/// Where the key and its password come from.
#[derive(clap::Args, Clone)]
struct KeyArgs {
    /// PKCS#12 key store (.p12), as Kazakhstan's CA issues them.
    #[arg(long)]
    p12: Option<PathBuf>,
    /// Environment variable holding the key store's password (never a command-line value).
    #[arg(long, conflicts_with = "password_file")]
    password_env: Option<String>,
    /// File holding the key store's password (first line).
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// PAdES level: b-b; b-t (signature timestamp from --tsa); b-lt (also validation data from
    /// --ocsp and --crl in the document security store); b-lta (also a document timestamp).
    #[arg(long, default_value = "b-b")]
    level: String,
    /// Time-stamping authority (RFC 3161 over http://) for b-t and above.
    #[arg(long, env = "EUCDOC_TSA_URL")]
    tsa: Option<String>,
    /// OCSP responder (http://) for b-lt and above; else each certificate's own (AIA).
    #[arg(long, env = "EUCDOC_OCSP_URL")]
    ocsp: Option<String>,
    /// CRLs (DER or PEM; repeatable): a key its issuer's CRL lists is refused, and for b-lt and
    /// above they are validation data where OCSP does not answer.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// Certificates (PEM or DER; repeatable) to add to the key store's chain, which signatures
    /// embed: NCA key stores often hold the key's certificate only.
    #[arg(long)]
    chain: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct SignArgs {
    /// The PDF to sign (with --embed: the draft).
    input: PathBuf,
    /// The signed PDF (with --prepare: the draft).
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    #[command(flatten)]
    key: KeyArgs,
    /// Prepare for a signature made elsewhere (the officer's token through NCALayer): writes
    /// the draft (stamp of --certificate, /Contents reserved) and prints its digest as JSON
    /// {"digest": base64, "digest_algorithm": "streebog512"|"sha256"|"sha384"}.
    #[arg(long, requires = "certificate", conflicts_with_all = ["embed", "p12"])]
    prepare: bool,
    /// The signer's certificate (PEM or DER) for --prepare; with --embed, the certificate the
    /// signature must be made with (default: the one the CMS carries for its signer).
    #[arg(long)]
    certificate: Option<PathBuf>,
    /// Embed this detached CMS (DER, PEM or base64: what NCALayer returns for the draft's
    /// digest) into the draft INPUT, after checking it against the draft.
    #[arg(long, conflicts_with = "p12")]
    embed: Option<PathBuf>,
    /// Signing time (RFC 3339), for tests; default now.
    #[arg(long)]
    at: Option<String>,
}

#[derive(clap::Args)]
struct RenderArgs {
    /// Input JSON file; `-` reads standard input. The form comes from its `form` key.
    #[arg(required_unless_present = "jsonl", conflicts_with = "jsonl")]
    input: Option<String>,
    /// Output PDF.
    #[arg(short = 'o', long = "output", required_unless_present = "jsonl")]
    output: Option<PathBuf>,
    /// JSON Lines batch: one document per line, each written to OUT_DIR/{number}.pdf.
    #[arg(long, requires = "out_dir", conflicts_with = "output")]
    jsonl: Option<PathBuf>,
    /// Folder for the batch's PDFs.
    #[arg(long)]
    out_dir: Option<PathBuf>,
    /// Registry number, when the input has none (there is no registry in this command).
    #[arg(long, conflicts_with = "jsonl")]
    number: Option<String>,
    /// Base URL of the public check page that the QR code points to.
    #[arg(long, env = "EUCDOC_BASE_URL", default_value = DEFAULT_BASE_URL)]
    base_url: String,
    /// Rendering time (RFC 3339), for reproducible output; default now.
    #[arg(long)]
    at: Option<String>,
    /// Sign what is rendered with this key (see `eucdoc sign`).
    #[command(flatten)]
    key: KeyArgs,
}

/// An error that maps to an exit code.
enum Failure {
    /// Usage errors, unreadable or invalid input.
    Input(anyhow::Error),
    /// A document could not be produced.
    Output(anyhow::Error),
}

/// `println!` that ends quietly on a closed stdout (`eucdoc verify … | head`): the output is
/// moot, and the exit code stays the command's. Other write errors are reported on stderr.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        report_write_error(writeln!(std::io::stdout().lock(), $($arg)*));
    }};
}

/// `print!` with [`out!`]'s handling of a closed stdout.
macro_rules! out_text {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        report_write_error(write!(std::io::stdout().lock(), $($arg)*));
    }};
}

fn report_write_error(result: std::io::Result<()>) {
    use std::io::Write as _;
    if let Err(e) = result
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        // Not `eprintln!`: stderr may fail as stdout did (a full disk), and that must not panic.
        let _ = writeln!(std::io::stderr().lock(), "error: writing the output: {e}");
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render(args),
        Command::Schema { form } => schema(&form),
        Command::Sign(args) => sign(args),
        Command::Verify(args) => verify(&args),
        Command::Application(ApplicationCommand::Check {
            files,
            sources,
            format,
        }) => check_application(&files, &sources, &format),
        Command::Application(ApplicationCommand::Render { input, output, at }) => {
            render_incoming(&input, &output, at.as_deref())
        }
        Command::Serve { config, listen } => serve(config.as_deref(), listen),
        Command::Export {
            config,
            since,
            form,
            out,
        } => export(config.as_deref(), since.as_deref(), form.as_deref(), &out),
        Command::Archive(ArchiveCommand::Refresh {
            config,
            horizon,
            tsa,
        }) => refresh(config.as_deref(), &horizon, tsa.as_deref()),
        Command::Openapi => {
            out!("{}", eucdoc::http::openapi_json());
            Ok(ExitCode::SUCCESS)
        }
        Command::DevPki {
            out,
            password_env,
            ocsp_url,
            crl_base_url,
        } => dev_pki(
            &out,
            password_env.as_deref(),
            &eucdoc::devpki::DevPkiUrls {
                ocsp: ocsp_url,
                crl_base: crl_base_url,
            },
        ),
    };
    match result {
        Ok(code) => code,
        Err(Failure::Input(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
        Err(Failure::Output(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn schema(form: &str) -> Result<ExitCode, Failure> {
    if form == "verify-report" {
        let schema = schemars::schema_for!(eucdoc::verify::Report);
        let text = serde_json::to_string_pretty(&schema).map_err(|e| Failure::Output(e.into()))?;
        out!("{text}");
        return Ok(ExitCode::SUCCESS);
    }
    let schema = if form == "application-report" {
        serde_json::to_value(schemars::schema_for!(eucdoc::applications::PackageReport))
            .map_err(|e| Failure::Output(e.into()))?
    } else if let Some(kind) = model::IncomingKind::from_key(form) {
        model::incoming_schema(kind)
    } else {
        let form = Form::from_key(form).ok_or_else(|| {
            Failure::Input(anyhow::anyhow!(
                "unknown form \"{form}\": expected end_user_certificate, import_certificate, refusal, application, guarantee_obligation, verify-report or application-report"
            ))
        })?;
        model::json_schema(form)
    };
    let text = serde_json::to_string_pretty(&schema).map_err(|e| Failure::Output(e.into()))?;
    out!("{text}");
    Ok(ExitCode::SUCCESS)
}

fn render_time(at: Option<&str>) -> Result<time::UtcDateTime, Failure> {
    match at {
        None => Ok(time::UtcDateTime::now()),
        Some(text) => {
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .map(|t| t.to_utc())
                .with_context(|| format!("--at: \"{text}\" is not an RFC 3339 time"))
                .map_err(Failure::Input)
        }
    }
}

#[derive(clap::Args)]
struct VerifySources {
    /// Trust anchors (PEM or DER certificates; repeatable).
    #[arg(long)]
    trust: Vec<PathBuf>,
    /// Validation time (RFC 3339) when no timestamp gives one; default now.
    #[arg(long)]
    at: Option<String>,
    /// Never ask the OCSP responders and CRL distribution points the certificates name (for
    /// air-gapped use). By default they are asked, within 5 seconds and 16 requests per file,
    /// for a certificate whose status the document, --crl and --ocsp do not give.
    #[arg(long, conflicts_with = "fetch")]
    offline: bool,
    /// Fetch missing revocation data (the default; kept for earlier scripts).
    #[arg(long, hide = true)]
    fetch: bool,
    /// CRLs (DER or PEM; repeatable) to use besides those the document carries.
    #[arg(long)]
    crl: Vec<PathBuf>,
    /// OCSP responses (DER; repeatable) to use besides those the document carries.
    #[arg(long)]
    ocsp: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct VerifyArgs {
    /// The signed documents: PDFs, or CMS signatures (DER, BER, PEM or base64 as NCALayer
    /// produces); folders are walked for .pdf, .p7s, .p7m, .p7b, .cms, .sig and .pem files; `-`
    /// reads standard input. Many files are verified on every core, one report each.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The signed data of a detached CMS signature (one file only).
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    sources: VerifySources,
    /// Report format: text; json (one report, or for many files an array of {file, report |
    /// error}); jsonl (one {file, report | error} per line, as each file's turn comes);
    /// etsi-xml (the ETSI TS 119 102-2 validation report, one file only).
    #[arg(long, default_value = "text", value_parser = ["text", "json", "jsonl", "etsi-xml"])]
    format: String,
}

fn read_verify_input(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    read_limited(&path.to_string_lossy(), eucdoc::verify::MAX_INPUT_BYTES).map_err(Failure::Input)
}

/// The verifier's options from the command line.
fn verify_options(sources: &VerifySources) -> Result<eucdoc::verify::VerifyOptions, Failure> {
    let mut trust_anchors = Vec::new();
    for path in &sources.trust {
        trust_anchors.extend(certificates_in(path)?);
    }
    let at = match &sources.at {
        Some(text) => Some(render_time(Some(text))?),
        None => None,
    };
    let mut crls = Vec::new();
    for path in &sources.crl {
        let bytes = read_verify_input(path)?;
        let crl = openssl::x509::X509Crl::from_der(&bytes)
            .or_else(|_| openssl::x509::X509Crl::from_pem(&bytes))
            .and_then(|crl| crl.to_der())
            .with_context(|| format!("{} is not a CRL", path.display()))
            .map_err(Failure::Input)?;
        crls.push(crl);
    }
    let mut ocsps = Vec::new();
    for path in &sources.ocsp {
        ocsps.push(read_verify_input(path)?);
    }
    Ok(eucdoc::verify::VerifyOptions {
        trust_anchors,
        at,
        offline: sources.offline,
        fetch_limits: Default::default(),
        crls,
        ocsps,
        purpose: Default::default(),
    })
}

fn verify(args: &VerifyArgs) -> Result<ExitCode, Failure> {
    let options = verify_options(&args.sources)?;
    let data = match &args.data {
        Some(path) => Some(read_verify_input(path)?),
        None => None,
    };
    let single = match args.files.as_slice() {
        [file] if !file.is_dir() && args.format != "jsonl" => Some(file),
        _ => None,
    };
    let Some(file) = single else {
        if data.is_some() {
            return Err(Failure::Input(anyhow::anyhow!(
                "--data goes with one detached signature, not with many files"
            )));
        }
        if args.format == "etsi-xml" {
            return Err(Failure::Input(anyhow::anyhow!(
                "--format etsi-xml reports on one file; use jsonl for many"
            )));
        }
        return verify_many(args, &options);
    };
    let bytes = read_verify_input(file)?;
    let report = eucdoc::verify::verify(&bytes, data.as_deref(), &options)
        .with_context(|| format!("{}", file.display()))
        .map_err(Failure::Input)?;
    match args.format.as_str() {
        "json" => out!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Output(e.into()))?
        ),
        "etsi-xml" => out!("{}", eucdoc::verify::etsi::to_xml(&report)),
        _ => out_text!("{}", report.to_text()),
    }
    Ok(ExitCode::from(report.exit_code()))
}

/// `eucdoc application render`.
fn render_incoming(
    input: &std::path::Path,
    output: &std::path::Path,
    at: Option<&str>,
) -> Result<ExitCode, Failure> {
    let json =
        read_limited(&input.to_string_lossy(), model::MAX_INPUT_BYTES).map_err(Failure::Input)?;
    let now = render_time(at)?;
    let renderer = Renderer::new(RenderConfig::default()).map_err(|e| Failure::Output(e.into()))?;
    let pdf = renderer.render_incoming(&json, now).map_err(|e| match e {
        eucdoc::render::RenderError::InvalidInput(_) => Failure::Input(e.into()),
        other => Failure::Output(other.into()),
    })?;
    std::fs::write(output, pdf)
        .with_context(|| format!("cannot write {}", output.display()))
        .map_err(Failure::Output)?;
    Ok(ExitCode::SUCCESS)
}

/// `eucdoc application check`.
fn check_application(
    paths: &[PathBuf],
    sources: &VerifySources,
    format: &str,
) -> Result<ExitCode, Failure> {
    use eucdoc::applications::{PackageFile, Verdict, check_package};
    let options = verify_options(sources)?;
    let mut files = Vec::new();
    for path in paths {
        files.push(PackageFile {
            name: path.display().to_string(),
            bytes: read_verify_input(path)?,
        });
    }
    let report = check_package(&files, &options).map_err(|e| Failure::Input(e.into()))?;
    if format == "json" {
        out!(
            "{}",
            serde_json::to_string_pretty(&report).map_err(|e| Failure::Output(e.into()))?
        );
    } else {
        out!(
            "{:?} ({} of {}, {}): {}",
            report.verdict,
            report
                .application_number
                .as_deref()
                .unwrap_or("application"),
            report.application_date,
            report.applicant_name,
            report.summary
        );
        for check in &report.checks {
            out!(
                "{} {}",
                if check.passed { "passed" } else { "FAILED" },
                check.name
            );
            for problem in &check.problems {
                out!("    {problem}");
            }
        }
    }
    Ok(ExitCode::from(match report.verdict {
        Verdict::Accepted => 0,
        Verdict::Rejected => 1,
        Verdict::PaperOnly => 4,
    }))
}

/// `eucdoc verify` of many files (or folders, or `--format jsonl`): every core, a progress bar
/// on a terminal, the worst verdict as the exit code.
fn verify_many(
    args: &VerifyArgs,
    options: &eucdoc::verify::VerifyOptions,
) -> Result<ExitCode, Failure> {
    use eucdoc::verify::many;
    let files = many::expand(&args.files).map_err(|e| Failure::Input(anyhow::anyhow!("{e}")))?;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(files.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let outcomes = many::verify_files(files, options, &|| bar.inc(1));
    bar.finish_and_clear();
    match args.format.as_str() {
        "jsonl" => {
            for outcome in &outcomes {
                out!(
                    "{}",
                    serde_json::to_string(outcome).map_err(|e| Failure::Output(e.into()))?
                );
            }
        }
        "json" => out!(
            "{}",
            serde_json::to_string_pretty(&outcomes).map_err(|e| Failure::Output(e.into()))?
        ),
        _ => {
            for outcome in &outcomes {
                out!("== {}", outcome.file.display());
                match (&outcome.report, &outcome.error) {
                    (Some(report), _) => out_text!("{}", report.to_text()),
                    (None, error) => out!("error: {}", error.as_deref().unwrap_or_default()),
                }
            }
        }
    }
    Ok(ExitCode::from(many::worst_exit_code(&outcomes)))
}

fn serve(
    config_path: Option<&std::path::Path>,
    listen: Option<std::net::SocketAddr>,
) -> Result<ExitCode, Failure> {
    let mut config = load_config(config_path)?;
    if let Some(listen) = listen {
        config.listen = listen;
    }
    let runtime = runtime_for(&config)?;
    runtime.block_on(async move {
        let service = start_service(config).await?;
        if service.is_development() {
            tracing::warn!(
                "DEVELOPMENT PKI: documents are signed with a test key, carry the test watermark and are NOT valid documents"
            );
        }
        if let Some(token) = &service.new_dev_token {
            // Printed once, on the start that creates it; afterwards it is only in the file.
            out!(
                "development API token (every scope), saved in {}: {token}",
                service.config().data_dir.join("dev-token").display()
            );
        }
        for orphan in &service.orphans {
            tracing::warn!(pdf_sha256 = %orphan, "archive file without a registry record (an issue interrupted before commit)");
        }
        eucdoc::http::serve(std::sync::Arc::new(service))
            .await
            .map_err(|e| Failure::Output(e.into()))?;
        Ok(ExitCode::SUCCESS)
    })
}

/// `eucdoc export`: the bags of the final documents, a progress bar on a terminal, a summary.
fn export(
    config_path: Option<&std::path::Path>,
    since: Option<&str>,
    form: Option<&str>,
    out: &std::path::Path,
) -> Result<ExitCode, Failure> {
    use eucdoc::service::Exported;
    let config = load_config(config_path)?;
    let runtime = runtime_for(&config)?;
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create {}", out.display()))
        .map_err(Failure::Output)?;
    runtime.block_on(async move {
        let service = start_service(config).await?;
        let records = service
            .final_documents(since, form)
            .await
            .map_err(|e| Failure::Input(e.into()))?;
        let bar = if std::io::stderr().is_terminal() {
            indicatif::ProgressBar::new(records.len() as u64)
        } else {
            indicatif::ProgressBar::hidden()
        };
        let (mut written, mut replaced, mut unchanged) = (0, 0, 0);
        let result = service
            .export(&records, out, |_, outcome| {
                match outcome {
                    Exported::Written => written += 1,
                    Exported::Replaced => replaced += 1,
                    Exported::Unchanged => unchanged += 1,
                }
                bar.inc(1);
            })
            .await;
        if let Err(error) = result {
            bar.finish_and_clear();
            service.close().await;
            return Err(Failure::Output(anyhow::anyhow!(
                "{error} (run the export again to resume)"
            )));
        }
        bar.finish_and_clear();
        service.close().await;
        out!(
            "{} documents: {written} bags written, {replaced} replaced (status changed), {unchanged} already there, in {}",
            records.len(),
            out.display()
        );
        Ok(ExitCode::SUCCESS)
    })
}

fn refresh(
    config_path: Option<&std::path::Path>,
    horizon: &str,
    tsa: Option<&str>,
) -> Result<ExitCode, Failure> {
    use eucdoc::service::Renewed;
    let horizon = humantime::parse_duration(horizon)
        .with_context(|| format!("--horizon {horizon}: expected a duration such as 365d"))
        .map_err(Failure::Input)?;
    let config = load_config(config_path)?;
    let runtime = runtime_for(&config)?;
    runtime.block_on(async move {
        let service = start_service(config).await?;
        let horizon_end = time::UtcDateTime::now()
            .unix_timestamp()
            .saturating_add(horizon.as_secs().min(i64::MAX as u64) as i64);
        let result = async {
            let renewal = service.renewal(tsa, horizon_end).await?;
            let terminal = std::io::stderr().is_terminal();
            let bar = indicatif::ProgressBar::hidden();
            if terminal {
                bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            }
            let summary = service
                .renew_all(
                    horizon_end,
                    &renewal,
                    "eucdoc archive refresh",
                    |total, record, outcome| {
                        bar.set_length(total as u64);
                        bar.inc(1);
                        // One line per renewal: a log of what changed, for a run killed halfway too.
                        if let Renewed::Renewed(now) = outcome {
                            bar.suspend(|| out!("renewed {} {}", record.number, now.pdf_sha256));
                        }
                    },
                )
                .await;
            bar.finish_and_clear();
            summary
        }
        .await;
        service.close().await;
        let summary = result.map_err(|e| {
            Failure::Output(anyhow::anyhow!("{e} (run the refresh again to resume)"))
        })?;
        out!(
            "{} documents: {} renewed, {} not due within the horizon",
            summary.documents,
            summary.renewed,
            summary.documents - summary.renewed
        );
        Ok(ExitCode::SUCCESS)
    })
}

/// The configuration of a command: `config_path` (when given) and the `EUCDOC_*` variables.
fn load_config(config_path: Option<&std::path::Path>) -> Result<eucdoc::config::Config, Failure> {
    eucdoc::config::Config::load(config_path, |name| std::env::var(name).ok())
        .map_err(|e| Failure::Input(e.into()))
}

/// Logging as `config` says, and the runtime a command on the service runs in.
fn runtime_for(config: &eucdoc::config::Config) -> Result<tokio::runtime::Runtime, Failure> {
    init_logging(&config.log_format);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Output(e.into()))
}

/// The service on `config` (registry, archive, key).
async fn start_service(
    config: eucdoc::config::Config,
) -> Result<eucdoc::service::Service, Failure> {
    eucdoc::service::Service::start(config)
        .await
        .map_err(|e| Failure::Output(e.into()))
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("EUCDOC_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // A log write that fails (a full disk under stderr's file) loses that line, nothing more:
    // tracing-subscriber would report it with `eprintln!`, which panics when stderr fails too,
    // and a panic inside a request's task closes its connection unanswered.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// The development key stores' password when none is given: public, for tests only.
const DEV_PASSWORD: &str = "eucdoc-dev";

fn dev_pki(
    out: &std::path::Path,
    password_env: Option<&str>,
    urls: &eucdoc::devpki::DevPkiUrls,
) -> Result<ExitCode, Failure> {
    let password = match password_env {
        Some(var) => std::env::var(var)
            .with_context(|| format!("environment variable {var} is not set"))
            .map_err(Failure::Input)?,
        None => DEV_PASSWORD.to_string(),
    };
    let files = eucdoc::devpki::generate_with(
        out,
        &password,
        time::UtcDateTime::now().unix_timestamp(),
        urls,
    )
    .map_err(|e| Failure::Output(e.into()))?;
    for file in &files.all {
        out!("{}", file.display());
    }
    eprintln!(
        "development PKI written (TEST ONLY: documents signed with it are marked as test documents)"
    );
    Ok(ExitCode::SUCCESS)
}

/// Reads the password from the environment or a file; never from the command line.
fn password(key: &KeyArgs) -> Result<String, Failure> {
    match (&key.password_env, &key.password_file) {
        (Some(var), _) => std::env::var(var)
            .with_context(|| format!("environment variable {var} is not set"))
            .map_err(Failure::Input),
        (None, Some(file)) => std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))
            .map(|text| text.lines().next().unwrap_or_default().to_string())
            .map_err(Failure::Input),
        (None, None) => Err(Failure::Input(anyhow::anyhow!(
            "give the key store's password with --password-env VAR or --password-file FILE"
        ))),
    }
}

fn open_signer(
    key: &KeyArgs,
    p12: &std::path::Path,
    now: time::UtcDateTime,
) -> Result<eucdoc::sign::KeyStoreSigner, Failure> {
    let password = password(key)?;
    let store = std::fs::read(p12)
        .with_context(|| format!("cannot read {}", p12.display()))
        .map_err(Failure::Input)?;
    let crls = read_crls(key)?;
    let mut chain = Vec::new();
    for path in &key.chain {
        chain.extend(certificates_in(path)?);
    }
    let signer = eucdoc::sign::open_signer(&store, &password, now.unix_timestamp(), &crls, &chain)
        .with_context(|| format!("{}", p12.display()))
        .map_err(Failure::Input)?;
    // A responder given at any level is asked about the key before it signs.
    if let Some(url) = &key.ocsp {
        use eucdoc::sign::Signer;
        let mut certificates = vec![signer.certificate_der().to_vec()];
        certificates.extend(signer.chain_der().iter().cloned());
        let sources = eucdoc::sign::revocation::RevocationSources {
            ocsp_url: Some(url.clone()),
            crls,
            timeout: std::time::Duration::from_secs(10),
        };
        eucdoc::sign::revocation::check_signer(&certificates, &sources, now.unix_timestamp())
            .map_err(sign_failure)?;
    }
    Ok(signer)
}

fn read_crls(key: &KeyArgs) -> Result<Vec<Vec<u8>>, Failure> {
    key.crl
        .iter()
        .map(|path| {
            std::fs::read(path)
                .with_context(|| format!("cannot read {}", path.display()))
                .map_err(Failure::Input)
        })
        .collect()
}

/// What the level needs; a level that cannot be made is a usage error, never a downgrade.
fn level_options(key: &KeyArgs) -> Result<eucdoc::sign::LevelOptions, Failure> {
    let crls = if matches!(key.level.as_str(), "b-lt" | "b-lta") {
        read_crls(key)?
    } else {
        Vec::new()
    };
    eucdoc::sign::LevelOptions::for_level(&key.level, key.tsa.as_deref(), key.ocsp.clone(), crls)
        .map_err(|message| {
            Failure::Input(anyhow::anyhow!(
                "--level: {message} (--tsa URL or EUCDOC_TSA_URL gives the TSA)"
            ))
        })
}

/// Network and responder failures are not the caller's input: exit 1; the rest exit 2.
fn sign_failure(error: eucdoc::sign::SignError) -> Failure {
    use eucdoc::sign::SignError;
    match error {
        SignError::Timestamp(_) | SignError::Revocation(_) => Failure::Output(error.into()),
        other => Failure::Input(other.into()),
    }
}

fn read_file(path: &std::path::Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path)
        .with_context(|| format!("cannot read {}", path.display()))
        .map_err(Failure::Input)
}

/// The certificates (PEM or DER) in a file.
fn certificates_in(path: &std::path::Path) -> Result<Vec<Vec<u8>>, Failure> {
    eucdoc::sign::certificates_from_file(&read_file(path)?)
        .with_context(|| format!("{}", path.display()))
        .map_err(Failure::Input)
}

/// The first certificate in a file and the rest; a file without one is a usage error.
fn first_certificate_in(path: &std::path::Path) -> Result<(Vec<u8>, Vec<Vec<u8>>), Failure> {
    let mut certificates = certificates_in(path)?.into_iter();
    let first = certificates.next().ok_or_else(|| {
        Failure::Input(anyhow::anyhow!("{}: holds no certificate", path.display()))
    })?;
    Ok((first, certificates.collect()))
}

/// `eucdoc sign IN --prepare --certificate CERT -o DRAFT`: the draft, and its digest on stdout.
fn sign_prepare(args: &SignArgs, now: time::UtcDateTime) -> Result<ExitCode, Failure> {
    use base64::Engine;
    let Some(certificate_path) = args.certificate.as_deref() else {
        return Err(Failure::Input(anyhow::anyhow!(
            "--prepare needs --certificate"
        )));
    };
    let (certificate, mut chain) = first_certificate_in(certificate_path)?;
    for path in &args.key.chain {
        chain.extend(certificates_in(path)?);
    }
    let pdf = read_file(&args.input)?;
    let renderer = Renderer::new(RenderConfig::default()).map_err(|e| Failure::Output(e.into()))?;
    let place = eucdoc::sign::default_place(&pdf).map_err(|e| Failure::Input(e.into()))?;
    let levels = eucdoc::sign::LevelOptions::default();
    let draft = eucdoc::sign::external::prepare(
        &pdf,
        &certificate,
        &chain,
        &renderer,
        &eucdoc::sign::StampOptions {
            place: &place,
            position: None,
            time: now,
            levels: &levels,
            watermark_pages: false,
        },
    )
    .map_err(|e| {
        Failure::Input(anyhow::Error::from(e).context(certificate_path.display().to_string()))
    })?;
    eucdoc::batch::write_atomically(&args.output, &draft.pdf)
        .with_context(|| format!("cannot write {}", args.output.display()))
        .map_err(Failure::Output)?;
    out!(
        "{}",
        serde_json::json!({
            "digest": base64::engine::general_purpose::STANDARD.encode(&draft.digest),
            "digest_algorithm": draft.digest_algorithm.name(),
        })
    );
    Ok(ExitCode::SUCCESS)
}

/// `eucdoc sign DRAFT --embed SIG.cms [--certificate CERT] -o OUT`.
fn sign_embed(
    args: &SignArgs,
    cms_path: &std::path::Path,
    now: time::UtcDateTime,
) -> Result<ExitCode, Failure> {
    let draft = read_file(&args.input)?;
    let cms = eucdoc::sign::external::cms_der(&read_file(cms_path)?)
        .with_context(|| format!("{}", cms_path.display()))
        .map_err(Failure::Input)?;
    let certificate = match args.certificate.as_deref() {
        Some(path) => first_certificate_in(path)?.0,
        None => eucdoc::sign::external::signer_certificate(&cms)
            .with_context(|| format!("{}", cms_path.display()))
            .map_err(Failure::Input)?,
    };
    let signed = eucdoc::sign::external::embed(&draft, &certificate, &cms, now.unix_timestamp())
        .with_context(|| format!("{}", cms_path.display()))
        .map_err(Failure::Input)?;
    eucdoc::batch::write_atomically(&args.output, &signed)
        .with_context(|| format!("cannot write {}", args.output.display()))
        .map_err(Failure::Output)?;
    eprintln!(
        "{}: signed (PAdES B-B), {} bytes",
        args.output.display(),
        signed.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn sign(args: SignArgs) -> Result<ExitCode, Failure> {
    let now = render_time(args.at.as_deref())?;
    if args.prepare {
        return sign_prepare(&args, now);
    }
    if let Some(cms_path) = args.embed.as_deref() {
        return sign_embed(&args, cms_path, now);
    }
    let levels = level_options(&args.key)?;
    let Some(p12) = args.key.p12.as_deref() else {
        return Err(Failure::Input(anyhow::anyhow!("--p12 FILE is required")));
    };
    let signer = open_signer(&args.key, p12, now)?;
    let pdf = std::fs::read(&args.input)
        .with_context(|| format!("cannot read {}", args.input.display()))
        .map_err(Failure::Input)?;
    let renderer = Renderer::new(RenderConfig::default()).map_err(|e| Failure::Output(e.into()))?;
    let place = eucdoc::sign::default_place(&pdf).map_err(|e| Failure::Input(e.into()))?;
    let signed = eucdoc::sign::sign_with_stamp(
        &pdf,
        &signer,
        &renderer,
        &eucdoc::sign::StampOptions {
            place: &place,
            position: None,
            time: now,
            levels: &levels,
            watermark_pages: true,
        },
    )
    .map_err(sign_failure)?;
    eucdoc::batch::write_atomically(&args.output, &signed)
        .with_context(|| format!("cannot write {}", args.output.display()))
        .map_err(Failure::Output)?;
    eprintln!(
        "{}: signed (PAdES {}), {} bytes",
        args.output.display(),
        args.key.level.to_uppercase(),
        signed.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn render(args: RenderArgs) -> Result<ExitCode, Failure> {
    let now = render_time(args.at.as_deref())?;
    let (signer, levels) = match args.key.p12.as_deref() {
        Some(p12) => (
            Some(open_signer(&args.key, p12, now)?),
            level_options(&args.key)?,
        ),
        None => (None, eucdoc::sign::LevelOptions::default()),
    };
    let renderer = Renderer::new(RenderConfig {
        base_url: args.base_url.clone(),
    })
    .map_err(|e| Failure::Output(e.into()))?;
    let signing = signer.as_ref().map(|signer| eucdoc::batch::BatchSigning {
        signer,
        levels: &levels,
    });
    if let (Some(jsonl), Some(out_dir)) = (&args.jsonl, &args.out_dir) {
        return render_batch(&renderer, jsonl, out_dir, now, signing);
    }
    let (Some(input_name), Some(output)) = (args.input.as_deref(), args.output.as_deref()) else {
        return Err(Failure::Input(anyhow::anyhow!(
            "give an input file and -o OUTPUT"
        )));
    };
    let bytes = read_input(input_name).map_err(Failure::Input)?;
    let input = model::parse(&bytes).map_err(|errors| {
        let count = errors.errors().len();
        let lines: Vec<String> = errors.errors().iter().map(|e| format!("  {e}")).collect();
        Failure::Input(anyhow::anyhow!(
            "{input_name}: {count} problem(s):\n{}",
            lines.join("\n")
        ))
    })?;
    let number = match (input.document().number(), args.number.as_deref()) {
        (Some(a), Some(b)) if a != b => {
            return Err(Failure::Input(anyhow::anyhow!(
                "--number {b} differs from the input's number {a}"
            )));
        }
        (Some(n), _) | (None, Some(n)) => n.to_string(),
        (None, None) => {
            return Err(Failure::Input(anyhow::anyhow!(
                "number: the input has none; pass --number (there is no registry in this command)"
            )));
        }
    };
    let pdf =
        eucdoc::batch::render_and_sign(&renderer, &input, &number, now, signing).map_err(|e| {
            match e {
                eucdoc::batch::LineError::Render(eucdoc::render::RenderError::InvalidNumber(_)) => {
                    Failure::Input(e.into())
                }
                eucdoc::batch::LineError::Sign(e) => sign_failure(e),
                other => Failure::Output(other.into()),
            }
        })?;
    eucdoc::batch::write_atomically(output, &pdf)
        .with_context(|| format!("cannot write {}", output.display()))
        .map_err(Failure::Output)?;
    eprintln!(
        "{}: {} № {number}, {} bytes{}",
        output.display(),
        input.document().form(),
        pdf.len(),
        if signing.is_some() { ", signed" } else { "" }
    );
    Ok(ExitCode::SUCCESS)
}

fn read_input(name: &str) -> anyhow::Result<Vec<u8>> {
    read_limited(name, model::MAX_INPUT_BYTES)
}

/// Reads at most `max + 1` bytes, so that the library sees and names an input over its limit.
fn read_limited(name: &str, max: usize) -> anyhow::Result<Vec<u8>> {
    let limit = max as u64 + 1;
    let mut bytes = Vec::new();
    if name == "-" {
        std::io::stdin().take(limit).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(name)
            .with_context(|| format!("cannot open {name}"))?
            .take(limit)
            .read_to_end(&mut bytes)
    }
    .with_context(|| format!("cannot read {name}"))?;
    Ok(bytes)
}

fn render_batch(
    renderer: &Renderer,
    jsonl: &std::path::Path,
    out_dir: &std::path::Path,
    now: time::UtcDateTime,
    signing: Option<eucdoc::batch::BatchSigning<'_>>,
) -> Result<ExitCode, Failure> {
    let text = std::fs::read_to_string(jsonl)
        .with_context(|| format!("cannot read {}", jsonl.display()))
        .map_err(Failure::Input)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))
        .map_err(Failure::Output)?;
    let total = text.lines().filter(|l| !l.trim().is_empty()).count() as u64;
    let bar = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(total)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let outcomes =
        eucdoc::batch::render_jsonl(renderer, &text, out_dir, now, signing, &|| bar.inc(1));
    bar.finish_and_clear();
    let mut failed = 0usize;
    for outcome in &outcomes {
        if let Err(error) = &outcome.result {
            failed += 1;
            for line in error.to_string().lines() {
                eprintln!("line {}: {line}", outcome.line);
            }
        }
    }
    eprintln!(
        "{} of {} document(s) written to {}",
        outcomes.len() - failed,
        outcomes.len(),
        out_dir.display()
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
