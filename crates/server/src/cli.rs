//! The operator command line. Every command that creates something prints one JSON object
//! on stdout.

use std::collections::BTreeSet;

use adapter_http::views::Shown;
use application::{AppError, Application, InstanceSnapshot, KeyRequest, ProgramRequest};
use clap::{Parser, Subcommand};
use domain::{
    ApiKeyId, Description, Grant, InstanceId, Name, Program, ProgramId, Scope, ScopeSet, Slug,
    Visibility, WorkspaceId,
};
use serde_json::{Value, json};
use time::Duration;

use crate::config::{LogArgs, ServeArgs, StorageArgs};

#[derive(Debug, Parser)]
#[command(
    name = "program-instances",
    version,
    about = "Utility and energy program instances: the API server and its operator tools",
    long_about = "Utility and energy program instances: the API server and its operator tools.\n\n\
        With no command, serves the API (as `serve`). Every setting is a flag and an \
        environment variable; flags win.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(flatten)]
    pub storage: StorageArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// The server's settings, when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the API (the default): applies pending migrations, then serves.
    Serve(ServeArgs),
    /// Apply pending migrations and exit (or, with --status, list them).
    Migrate {
        /// List applied and pending migrations as JSON; change nothing.
        #[arg(long)]
        status: bool,
    },
    /// Idempotent first run: a demo workspace, a small public catalog and a full key.
    Init,
    /// Manage workspaces (tenants).
    #[command(subcommand)]
    Workspaces(WorkspaceCommand),
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeyCommand),
    /// Manage the program catalog.
    #[command(subcommand)]
    Programs(ProgramCommand),
    /// Work with a workspace's program instances.
    #[command(subcommand)]
    Instances(InstanceCommand),
    /// Print the OpenAPI document of the API (no database needed).
    Openapi,
}

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace.
    Create {
        #[arg(long)]
        name: String,
        /// Choose the id (letters, digits, '_' or '-'); generated when omitted.
        #[arg(long)]
        id: Option<String>,
    },
    /// Every workspace, oldest first, as a JSON array.
    List,
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key; its secret `key` is printed once and never again.
    Create {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: Option<String>,
        /// Comma-separated scopes; omitted means a full key.
        #[arg(long, value_delimiter = ',')]
        scopes: Option<Vec<String>>,
        /// Comma-separated program instance ids the key is restricted to.
        #[arg(long, value_delimiter = ',')]
        instances: Option<Vec<String>>,
        /// Lifetime such as 30d, 12h, 15m or 90s.
        #[arg(long)]
        expires_in: Option<String>,
    },
    /// Revoke a key.
    Revoke { key_id: String },
    /// A workspace's keys, newest first, as a JSON array (never secrets or hashes).
    List {
        #[arg(long)]
        workspace: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum InstanceCommand {
    /// Copy an instance as a new one of the same program (next season's, another
    /// region's): every field is copied but those set here; the copy starts inactive
    /// unless --set says otherwise. Prints the copy.
    Copy {
        /// The instance to copy (archived ones too).
        source: String,
        #[arg(long)]
        workspace: String,
        /// The copy's slug, unique in the workspace.
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: Option<String>,
        /// More fields to set, as a JSON object of the API's field names, e.g.
        /// '{"startDate": "2027-05-01T00:00:00Z", "endDate": null}'.
        #[arg(long)]
        set: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProgramCommand {
    /// Add a program to the catalog.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        description: Option<String>,
        /// Visible only to the workspaces in --share-with.
        #[arg(long, requires = "share_with")]
        private: bool,
        #[arg(long, value_delimiter = ',')]
        share_with: Option<Vec<String>>,
        /// Choose the id; generated when omitted.
        #[arg(long)]
        id: Option<String>,
    },
    /// The whole catalog as a JSON array; private programs list whom they are shared with.
    List,
    /// Share a private program with more workspaces.
    Share {
        /// The program's slug.
        slug: String,
        /// Comma-separated workspace ids.
        #[arg(long = "with", value_delimiter = ',', required = true)]
        with: Vec<String>,
    },
    /// Stop sharing a private program with some workspaces.
    Unshare {
        /// The program's slug.
        slug: String,
        /// Comma-separated workspace ids.
        #[arg(long = "with", value_delimiter = ',', required = true)]
        with: Vec<String>,
    },
}

/// A command's failure, printed on stderr with its causes.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{0}")]
    Usage(String),
    #[error("invalid: {}", describe(.0))]
    Invalid(domain::Violations),
    #[error(transparent)]
    App(AppError),
    #[error("cannot print the result")]
    Print(#[from] serde_json::Error),
}

impl From<AppError> for CommandError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::Invalid(violations) => CommandError::Invalid(violations),
            other => CommandError::App(other),
        }
    }
}

fn describe(violations: &domain::Violations) -> String {
    let lines: Vec<_> = violations.iter().map(ToString::to_string).collect();
    lines.join("; ")
}

fn usage(what: &str, error: impl std::fmt::Display) -> CommandError {
    CommandError::Usage(format!("{what}: {error}"))
}

/// Parses `30d`, `12h`, `15m` or `90s`.
pub fn parse_lifetime(text: &str) -> Result<Duration, CommandError> {
    let invalid = || {
        CommandError::Usage(format!(
            "--expires-in {text:?}: use a number with s, m, h or d, e.g. 30d"
        ))
    };
    // The unit is the last character, whatever its width in bytes.
    let unit = text.chars().next_back().ok_or_else(invalid)?;
    let count = &text[..text.len() - unit.len_utf8()];
    let seconds = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3_600,
        'd' => 86_400,
        _ => return Err(invalid()),
    };
    let count: i64 = count.parse().ok().filter(|n| *n > 0).ok_or_else(invalid)?;
    count
        .checked_mul(seconds)
        .map(Duration::seconds)
        .ok_or_else(invalid)
}

pub fn grant(
    scopes: Option<Vec<String>>,
    instances: Option<Vec<String>>,
) -> Result<Grant, CommandError> {
    let scopes = match scopes {
        None => ScopeSet::full(),
        Some(names) => names
            .iter()
            .map(|name| name.trim().parse::<Scope>())
            .collect::<Result<_, _>>()
            .map_err(|e| usage("--scopes", e))?,
    };
    let instances = instances
        .map(|ids| {
            ids.iter()
                .map(|id| InstanceId::parse(id.trim()))
                .collect::<Result<BTreeSet<_>, _>>()
        })
        .transpose()
        .map_err(|e| usage("--instances", e))?;
    Ok(Grant::new(scopes, instances))
}

pub fn create_workspace(
    app: &Application,
    name: &str,
    id: Option<&str>,
) -> Result<Value, CommandError> {
    let name = Name::parse(name).map_err(|e| usage("--name", e))?;
    let id = id
        .map(WorkspaceId::parse)
        .transpose()
        .map_err(|e| usage("--id", e))?;
    Ok(serde_json::to_value(adapter_http::views::workspace(
        &app.create_workspace(name, id)?,
    ))?)
}

pub fn create_key(
    app: &Application,
    workspace: &str,
    name: Option<String>,
    scopes: Option<Vec<String>>,
    instances: Option<Vec<String>>,
    expires_in: Option<&str>,
) -> Result<Value, CommandError> {
    let workspace_id = WorkspaceId::parse(workspace).map_err(|e| usage("--workspace", e))?;
    let expires_at = match expires_in {
        None => None,
        Some(text) => {
            let lifetime = parse_lifetime(text)?;
            Some(
                app.now()
                    .checked_add(lifetime)
                    .ok_or_else(|| usage("--expires-in", "too far in the future"))?,
            )
        }
    };
    let request = KeyRequest {
        workspace_id,
        name,
        grant: grant(scopes, instances)?,
        expires_at,
    };
    let (key, secret) = app.create_key(request)?;
    Ok(serde_json::to_value(adapter_http::views::key(
        &key,
        Shown::Secret(secret.expose()),
    ))?)
}

pub fn revoke_key(app: &Application, key_id: &str) -> Result<Value, CommandError> {
    let id = ApiKeyId::parse(key_id).map_err(|e| usage("KEY_ID", e))?;
    let key = app.revoke_key(None, &id)?;
    Ok(serde_json::to_value(adapter_http::views::key(
        &key,
        Shown::Absent,
    ))?)
}

#[derive(Debug)]
pub struct ProgramArgs<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub private: bool,
    pub share_with: Option<Vec<String>>,
    pub id: Option<&'a str>,
}

pub fn create_program(app: &Application, args: ProgramArgs<'_>) -> Result<Value, CommandError> {
    let visibility = match (args.private, &args.share_with) {
        (true, Some(ids)) => Visibility::Private {
            shared_with: workspace_ids(ids, "--share-with")?,
        },
        (true, None) => return Err(CommandError::Usage("--private needs --share-with".into())),
        (false, Some(_)) => return Err(CommandError::Usage("--share-with needs --private".into())),
        (false, None) => Visibility::Public,
    };
    let request = ProgramRequest {
        id: args
            .id
            .map(ProgramId::parse)
            .transpose()
            .map_err(|e| usage("--id", e))?,
        slug: Slug::parse(args.slug).map_err(|e| usage("--slug", e))?,
        name: Name::parse(args.name).map_err(|e| usage("--name", e))?,
        description: args
            .description
            .map(Description::parse)
            .transpose()
            .map_err(|e| usage("--description", e))?,
        visibility,
    };
    let program = app.create_program(request)?;
    Ok(serde_json::to_value(adapter_http::views::program(
        &program,
    ))?)
}

pub fn workspace_ids(ids: &[String], flag: &str) -> Result<Vec<WorkspaceId>, CommandError> {
    ids.iter()
        .map(|id| WorkspaceId::parse(id.trim()))
        .collect::<Result<_, _>>()
        .map_err(|e| usage(flag, e))
}

/// A program as the operator sees it: with whom a private one is shared.
fn operator_program(program: &Program) -> Result<Value, CommandError> {
    let mut view = serde_json::to_value(adapter_http::views::program(program))?;
    if let (Visibility::Private { shared_with }, Value::Object(members)) =
        (&program.visibility, &mut view)
    {
        let ids = shared_with
            .iter()
            .map(|id| Value::from(id.as_str()))
            .collect();
        members.insert("sharedWith".into(), Value::Array(ids));
    }
    Ok(view)
}

pub fn list_workspaces(app: &Application) -> Result<Value, CommandError> {
    let views: Vec<_> = app
        .list_workspaces()?
        .iter()
        .map(|workspace| serde_json::to_value(adapter_http::views::workspace(workspace)))
        .collect::<Result<_, _>>()?;
    Ok(Value::Array(views))
}

pub fn list_keys(app: &Application, workspace: &str) -> Result<Value, CommandError> {
    let workspace = WorkspaceId::parse(workspace).map_err(|e| usage("--workspace", e))?;
    let views: Vec<_> = app
        .list_keys_of(&workspace)?
        .iter()
        .map(|key| serde_json::to_value(adapter_http::views::key(key, Shown::Absent)))
        .collect::<Result<_, _>>()?;
    Ok(Value::Array(views))
}

#[derive(Debug)]
pub struct CopyArgs<'a> {
    pub source: &'a str,
    pub workspace: &'a str,
    pub slug: &'a str,
    pub name: Option<&'a str>,
    pub set: Option<&'a str>,
}

pub fn copy_instance(app: &Application, args: CopyArgs<'_>) -> Result<Value, CommandError> {
    let workspace = WorkspaceId::parse(args.workspace).map_err(|e| usage("--workspace", e))?;
    let source = InstanceId::parse(args.source).map_err(|e| usage("SOURCE", e))?;
    let mut changes = match args.set {
        None => serde_json::Map::new(),
        Some(text) => match serde_json::from_str(text) {
            Ok(Value::Object(members)) => members,
            Ok(_) => return Err(usage("--set", "must be a JSON object")),
            Err(error) => return Err(usage("--set", error)),
        },
    };
    for (flag, key, value) in [
        ("--slug", "slug", Some(args.slug)),
        ("--name", "name", args.name),
    ] {
        if let Some(value) = value {
            if changes.contains_key(key) {
                return Err(usage("--set", format!("names {key}, which {flag} sets")));
            }
            changes.insert(key.to_owned(), Value::from(value));
        }
    }
    let copy = app.copy_instance_as_operator(&workspace, &source, changes)?;
    let snapshot = InstanceSnapshot::of(&copy)?;
    Ok(serde_json::to_value(adapter_http::views::instance(
        &snapshot,
        copy.created_at(),
    ))?)
}

pub fn list_programs(app: &Application) -> Result<Value, CommandError> {
    let views: Vec<_> = app
        .list_all_programs()?
        .iter()
        .map(operator_program)
        .collect::<Result<_, _>>()?;
    Ok(Value::Array(views))
}

/// Shares (`share`) or unshares a private program.
pub fn change_shares(
    app: &Application,
    slug: &str,
    with: &[String],
    share: bool,
) -> Result<Value, CommandError> {
    let slug = Slug::parse(slug).map_err(|e| usage("SLUG", e))?;
    let workspaces = workspace_ids(with, "--with")?;
    let program = if share {
        app.share_program(&slug, &workspaces)?
    } else {
        app.unshare_program(&slug, &workspaces)?
    };
    operator_program(&program)
}

const DEMO_WORKSPACE: &str = "ws_demo";
const DEMO_CATALOG: [(&str, &str, &str, &str); 3] = [
    (
        "prog_battery_rebate",
        "battery-rebate",
        "Battery Rebate Program",
        "Rebates for home battery storage.",
    ),
    (
        "prog_ev_charging_rebate",
        "ev-charging-rebate",
        "EV Charging Rebate",
        "Rebates for home EV chargers.",
    ),
    (
        "prog_thermostat_dr",
        "thermostat-demand-response",
        "Thermostat Demand Response",
        "Smart thermostat demand-response events.",
    ),
];

/// Creates what is missing of the demo workspace and catalog; mints a full key only when
/// the workspace is new (a secret cannot be shown twice).
pub fn init(app: &Application) -> Result<Value, CommandError> {
    let workspace_id =
        WorkspaceId::parse(DEMO_WORKSPACE).map_err(|e| usage("demo workspace", e))?;
    let existing = app.find_workspace(&workspace_id)?;
    let first_run = existing.is_none();
    let workspace = match existing {
        Some(workspace) => serde_json::to_value(adapter_http::views::workspace(&workspace))?,
        None => create_workspace(app, "Demo Utility", Some(DEMO_WORKSPACE))?,
    };
    let mut programs = Vec::new();
    for (id, slug, name, description) in DEMO_CATALOG {
        let args = ProgramArgs {
            slug,
            name,
            description: Some(description),
            private: false,
            share_with: None,
            id: Some(id),
        };
        match create_program(app, args) {
            Ok(program) => programs.push(program),
            Err(CommandError::App(AppError::Conflict(_))) => {
                programs.push(json!({ "id": id, "slug": slug, "name": name }))
            }
            Err(other) => return Err(other),
        }
    }
    let key = if first_run {
        create_key(
            app,
            DEMO_WORKSPACE,
            Some("demo full key".into()),
            None,
            None,
            None,
        )?
    } else {
        Value::Null
    };
    let mut output = json!({ "workspace": workspace, "programs": programs, "apiKey": key });
    if !first_run {
        output["note"] = Value::String(format!(
            "already initialised; mint another key with: program-instances keys create --workspace {DEMO_WORKSPACE}"
        ));
    }
    Ok(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lifetimes_parse_in_every_unit() {
        assert_eq!(parse_lifetime("30d").unwrap(), Duration::days(30));
        assert_eq!(parse_lifetime("12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_lifetime("15m").unwrap(), Duration::minutes(15));
        assert_eq!(parse_lifetime("90s").unwrap(), Duration::seconds(90));
        for bad in [
            "",
            "d",
            "0d",
            "-1d",
            "3w",
            "1.5h",
            "99999999999999999d",
            "3é",
            "é",
            "3dé",
            "٣d",
        ] {
            assert!(parse_lifetime(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn no_lifetime_makes_the_parser_panic(text in "\\PC{0,12}|[0-9]{0,20}\\PC?") {
            let _ = parse_lifetime(&text);
        }

        #[test]
        fn every_count_in_every_unit_is_read_back(count in 1..1_000_000i64, unit in 0..4usize) {
            let (suffix, seconds) = [("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)][unit];
            prop_assert_eq!(
                parse_lifetime(&format!("{count}{suffix}")).unwrap(),
                Duration::seconds(count * seconds)
            );
        }

        #[test]
        fn no_scopes_or_ids_make_the_parsers_panic(
            scopes in prop::option::of(prop::collection::vec("\\PC{0,24}|[a-zA-Z:]{0,24}", 0..4)),
            instances in prop::option::of(prop::collection::vec("\\PC{0,30}|c[0-9a-z]{24}", 0..4)),
            ids in prop::collection::vec("\\PC{0,30}|[a-z_0-9-]{0,40}", 0..4),
        ) {
            let _ = grant(scopes, instances);
            let _ = workspace_ids(&ids, "--with");
            for id in &ids {
                let _ = WorkspaceId::parse(id);
                let _ = ApiKeyId::parse(id);
                let _ = ProgramId::parse(id);
                let _ = InstanceId::parse(id);
                let _ = Slug::parse(id);
                let _ = Name::parse(id);
                let _ = Description::parse(id);
            }
        }

        #[test]
        fn every_scope_by_its_name_is_granted(picked in prop::sample::subsequence(Scope::ALL.to_vec(), 1..=Scope::ALL.len())) {
            let names = picked.iter().map(|scope| scope.as_str().to_owned()).collect();
            let granted = grant(Some(names), None).unwrap();
            for scope in Scope::ALL {
                prop_assert_eq!(granted.allows(scope), picked.contains(&scope));
            }
        }
    }

    #[test]
    fn scopes_default_to_full_and_unknown_ones_are_refused() {
        assert!(grant(None, None).unwrap().scopes().is_full());
        let read = grant(Some(vec!["programInstances:read".into()]), None).unwrap();
        assert!(
            read.allows(Scope::ProgramInstancesRead) && !read.allows(Scope::ProgramInstancesWrite)
        );
        assert!(grant(Some(vec!["admin".into()]), None).is_err());
        assert!(grant(None, Some(vec!["not-a-cuid".into()])).is_err());
    }
}
