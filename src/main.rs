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

#[derive(Subcommand)]
enum Command {
    /// Render a document (or a JSON Lines batch) from JSON input to PDF/A-3b.
    Render(RenderArgs),
    /// Print the JSON Schema of a form's input.
    Schema {
        /// end_user_certificate, import_certificate or refusal.
        form: String,
    },
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
}

/// An error that maps to an exit code.
enum Failure {
    /// Usage errors, unreadable or invalid input.
    Input(anyhow::Error),
    /// A document could not be produced.
    Output(anyhow::Error),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render(args),
        Command::Schema { form } => schema(&form),
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
    let form = Form::from_key(form).ok_or_else(|| {
        Failure::Input(anyhow::anyhow!(
            "unknown form \"{form}\": expected end_user_certificate, import_certificate or refusal"
        ))
    })?;
    let text = serde_json::to_string_pretty(&model::json_schema(form))
        .map_err(|e| Failure::Output(e.into()))?;
    println!("{text}");
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

fn render(args: RenderArgs) -> Result<ExitCode, Failure> {
    let now = render_time(args.at.as_deref())?;
    let renderer = Renderer::new(RenderConfig {
        base_url: args.base_url.clone(),
    })
    .map_err(|e| Failure::Output(e.into()))?;
    if let (Some(jsonl), Some(out_dir)) = (&args.jsonl, &args.out_dir) {
        return render_batch(&renderer, jsonl, out_dir, now);
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
    let rendered = renderer.render(&input, &number, now).map_err(|e| match e {
        eucdoc::render::RenderError::InvalidNumber(_) => Failure::Input(e.into()),
        other => Failure::Output(other.into()),
    })?;
    eucdoc::batch::write_atomically(output, &rendered.pdf)
        .with_context(|| format!("cannot write {}", output.display()))
        .map_err(Failure::Output)?;
    eprintln!(
        "{}: {} № {}, {} page(s), {} bytes",
        output.display(),
        input.document().form(),
        rendered.number,
        rendered.pages,
        rendered.pdf.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn read_input(name: &str) -> anyhow::Result<Vec<u8>> {
    let limit = model::MAX_INPUT_BYTES as u64 + 1;
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
    let outcomes = eucdoc::batch::render_jsonl(renderer, &text, out_dir, now, &|| bar.inc(1));
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
