//! `program-instances`: the API server and its operator commands.

use std::error::Error;
use std::net::TcpListener;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use server::cli::{
    self, Cli, Command, KeyCommand, ProgramArgs, ProgramCommand, ServeArgs, WorkspaceCommand,
};
use server::config::Settings;
use server::storage::Storage;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {}", error_chain(error.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// An error and all its causes on one line.
fn error_chain(error: &(dyn Error + 'static)) -> String {
    std::iter::successors(Some(error), |error| (*error).source())
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

fn run(cli: Cli) -> Result<(), Box<dyn Error>> {
    let started = Instant::now();
    let settings = Settings::from_env(|name| std::env::var(name).ok())?;
    let storage = Storage::open(&settings)?;
    let applied = storage.migrate()?;
    if !applied.is_empty() {
        tracing::info!(?applied, "migrations applied");
    }
    let command = cli
        .command
        .unwrap_or(Command::Serve(ServeArgs::from_env_or_default()));
    let app = || server::application(&storage, &settings);
    let output = match command {
        Command::Serve(args) => return serve(&args, &storage, &settings, started),
        Command::Migrate => Ok(serde_json::json!({ "applied": applied })),
        Command::Init => cli::init(&app()),
        Command::Workspaces(WorkspaceCommand::Create { name, id }) => {
            cli::create_workspace(&app(), &name, id.as_deref())
        }
        Command::Keys(KeyCommand::Create {
            workspace,
            name,
            scopes,
            instances,
            expires_in,
        }) => cli::create_key(
            &app(),
            &workspace,
            name,
            scopes,
            instances,
            expires_in.as_deref(),
        ),
        Command::Keys(KeyCommand::Revoke { key_id }) => cli::revoke_key(&app(), &key_id),
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
            cli::create_program(&app(), args)
        }
    }?;
    println!("{output}");
    Ok(())
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
