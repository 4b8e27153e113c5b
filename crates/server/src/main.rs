//! `program-instances`: the API server and its operator commands.

use std::error::Error;
use std::io::IsTerminal;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Instant;

use application::error_chain;
use clap::Parser;
use serde_json::json;
use server::cli::{
    self, Cli, Command, InstanceCommand, KeyCommand, ProgramArgs, ProgramCommand, WorkspaceCommand,
};
use server::config::{LogArgs, LogFormat, ServeArgs, Settings};
use server::storage::Storage;
use tracing_subscriber::EnvFilter;

/// Why a command stopped.
#[derive(Debug)]
enum Failure {
    /// The database's schema is older than this binary: only `migrate` (or `serve`) may
    /// change it. Exit status 2.
    SchemaBehind(usize),
    /// A flag's value the command cannot use. Exit status 2, as for clap's own.
    Usage(String),
    Other(Box<dyn Error>),
}

impl Failure {
    fn message(&self) -> String {
        match self {
            Failure::SchemaBehind(pending) => format!(
                "the database schema is behind this binary ({pending} migrations pending): run `program-instances migrate` first"
            ),
            Failure::Usage(message) => message.clone(),
            Failure::Other(error) => error_chain(error.as_ref()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match EnvFilter::try_new(&cli.log.filter) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!(
                "error: --log-filter (RUST_LOG) {:?}: {error}",
                cli.log.filter
            );
            return ExitCode::from(2);
        }
    };
    init_logging(filter, &cli.log);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("error: {}", failure.message());
            match failure {
                Failure::SchemaBehind(_) | Failure::Usage(_) => ExitCode::from(2),
                Failure::Other(_) => ExitCode::FAILURE,
            }
        }
    }
}

/// Logs go to stderr (stdout carries command output): text, coloured on a terminal only, or
/// one JSON object per line.
fn init_logging(filter: EnvFilter, log: &LogArgs) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match log.format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let started = Instant::now();
    let Cli {
        storage: storage_args,
        serve: serve_args,
        command,
        ..
    } = cli;
    let command = command.unwrap_or(Command::Serve(serve_args.clone()));
    if let Command::Openapi = command {
        return print(adapter_http::openapi_document());
    }
    let serve_args = match &command {
        Command::Serve(args) => args.clone(),
        _ => serve_args,
    };
    let settings = Settings::new(&storage_args, &serve_args);
    let storage = Storage::open(&settings).map_err(boxed)?;
    let app = || server::application(&storage, &settings);
    let output = match command {
        Command::Serve(args) => {
            migrate(&storage)?;
            return serve(&args, &storage, &settings, started).map_err(Failure::Other);
        }
        Command::Migrate { status: true } => {
            let status = storage.migration_status().map_err(boxed)?;
            json!({ "applied": status.applied, "pending": status.pending, "unknown": status.unknown })
        }
        Command::Migrate { status: false } => json!({ "applied": migrate(&storage)? }),
        command => {
            let pending = storage.migration_status().map_err(boxed)?.pending.len();
            if pending > 0 {
                return Err(Failure::SchemaBehind(pending));
            }
            operate(command, &app()).map_err(|error| match error {
                cli::CommandError::Usage(message) => Failure::Usage(message),
                other => boxed(other),
            })?
        }
    };
    print(output)
}

/// Writes a command's output: a closed stdout (`| head`) is an error of the command, not a
/// panic.
fn print(output: impl std::fmt::Display) -> Result<(), Failure> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{output}")
        .and_then(|()| stdout.flush())
        .map_err(boxed)
}

fn boxed(error: impl Error + 'static) -> Failure {
    Failure::Other(Box::new(error))
}

fn migrate(storage: &Storage) -> Result<Vec<String>, Failure> {
    let applied = storage.migrate().map_err(boxed)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    Ok(applied)
}

/// The operator commands that read or change data (never the schema).
fn operate(
    command: Command,
    app: &application::Application,
) -> Result<serde_json::Value, cli::CommandError> {
    match command {
        Command::Init => cli::init(app),
        Command::Workspaces(WorkspaceCommand::Create { name, id }) => {
            cli::create_workspace(app, &name, id.as_deref())
        }
        Command::Workspaces(WorkspaceCommand::List) => cli::list_workspaces(app),
        Command::Keys(KeyCommand::Create {
            workspace,
            name,
            scopes,
            instances,
            expires_in,
        }) => cli::create_key(
            app,
            &workspace,
            name,
            scopes,
            instances,
            expires_in.as_deref(),
        ),
        Command::Keys(KeyCommand::Revoke { key_id }) => cli::revoke_key(app, &key_id),
        Command::Keys(KeyCommand::List { workspace }) => cli::list_keys(app, &workspace),
        Command::Programs(ProgramCommand::Create {
            slug,
            name,
            description,
            private,
            share_with,
            id,
        }) => {
            let args = ProgramArgs {
                slug: &slug,
                name: &name,
                description: description.as_deref(),
                private,
                share_with,
                id: id.as_deref(),
            };
            cli::create_program(app, args)
        }
        Command::Programs(ProgramCommand::List) => cli::list_programs(app),
        Command::Instances(InstanceCommand::Copy {
            source,
            workspace,
            slug,
            name,
            set,
        }) => cli::copy_instance(
            app,
            cli::CopyArgs {
                source: &source,
                workspace: &workspace,
                slug: &slug,
                name: name.as_deref(),
                set: set.as_deref(),
            },
        ),
        Command::Programs(ProgramCommand::Share { slug, with }) => {
            cli::change_shares(app, &slug, &with, true)
        }
        Command::Programs(ProgramCommand::Unshare { slug, with }) => {
            cli::change_shares(app, &slug, &with, false)
        }
        Command::Serve(_) | Command::Migrate { .. } | Command::Openapi => Err(
            cli::CommandError::Usage("not an operator command".to_owned()),
        ),
    }
}

fn serve(
    args: &ServeArgs,
    storage: &Storage,
    settings: &Settings,
    started: Instant,
) -> Result<(), Box<dyn Error>> {
    let listener = TcpListener::bind(&args.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let address = listener.local_addr()?;
    actix_web::rt::System::new().block_on(async move {
        let running = server::start_server(
            listener,
            server::application(storage, settings),
            storage,
            settings,
        )?;
        tracing::info!(%address, startup_ms = started.elapsed().as_millis() as u64, "listening");
        server::serve_until_signalled(running, settings.shutdown_drain).await?;
        tracing::info!("stopped");
        Ok(())
    })
}
