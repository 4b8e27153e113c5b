use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use domain::{Program, ProgramId, Slug, Visibility, Workspace, WorkspaceId};
use ports::{ProgramCatalog, StoreError, WorkspaceDirectory};

use crate::connection::AnyConnection;
use crate::rows::{ProgramRow, WorkspaceRow, corrupt};
use crate::schema::{program_shares, programs, workspaces};
use crate::store::{Backend, SqlStore};

/// Programs with the workspaces each private one is shared with (public ones need no
/// look-up).
fn with_shares(
    conn: &mut AnyConnection,
    rows: Vec<ProgramRow>,
) -> Result<Vec<(ProgramRow, Vec<String>)>, DieselError> {
    let private: Vec<&str> = rows
        .iter()
        .filter(|row| row.visibility == "private")
        .map(|row| row.id.as_str())
        .collect();
    let shares: Vec<(String, String)> = if private.is_empty() {
        Vec::new()
    } else {
        program_shares::table
            .filter(program_shares::program_id.eq_any(&private))
            .select((program_shares::program_id, program_shares::workspace_id))
            .load(conn)?
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let shared_with = shares
                .iter()
                .filter(|(program, _)| *program == row.id)
                .map(|(_, workspace)| workspace.clone())
                .collect();
            (row, shared_with)
        })
        .collect())
}

/// Shares `program` with each workspace (a workspace that does not exist breaks a foreign
/// key, which the backends translate to `NotFound`).
fn insert_shares(
    conn: &mut AnyConnection,
    program: &ProgramId,
    workspaces: &[WorkspaceId],
) -> Result<(), DieselError> {
    for workspace in workspaces {
        diesel::insert_into(program_shares::table)
            .values((
                program_shares::workspace_id.eq(workspace.as_str()),
                program_shares::program_id.eq(program.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn programs_of(rows: Vec<(ProgramRow, Vec<String>)>) -> Result<Vec<Program>, StoreError> {
    rows.into_iter()
        .map(|(row, shared_with)| row.into_domain(&shared_with))
        .collect()
}

/// Whether the program is public or shared with the workspace.
pub(crate) fn visible_to(
    conn: &mut AnyConnection,
    workspace: &WorkspaceId,
    program: &ProgramId,
) -> Result<bool, DieselError> {
    let shared = exists(
        program_shares::table
            .filter(program_shares::program_id.eq(programs::id))
            .filter(program_shares::workspace_id.eq(workspace.as_str())),
    );
    diesel::select(exists(
        programs::table
            .filter(programs::id.eq(program.as_str()))
            .filter(programs::visibility.eq("public").or(shared)),
    ))
    .get_result(conn)
}

impl<B: Backend> ProgramCatalog for SqlStore<B> {
    fn id_of(&self, slug: &Slug) -> Result<Option<ProgramId>, StoreError> {
        let id: Option<String> = self.read(|conn| {
            programs::table
                .filter(programs::slug.eq(slug.as_str()))
                .select(programs::id)
                .first(conn)
                .optional()
        })?;
        id.map(|id| ProgramId::parse(&id).map_err(|error| corrupt("program", error)))
            .transpose()
    }

    fn find_visible(
        &self,
        workspace: &WorkspaceId,
        slug: &Slug,
    ) -> Result<Option<Program>, StoreError> {
        let found = self.read(|conn| {
            let shared = exists(
                program_shares::table
                    .filter(program_shares::program_id.eq(programs::id))
                    .filter(program_shares::workspace_id.eq(workspace.as_str())),
            );
            let row = programs::table
                .filter(programs::slug.eq(slug.as_str()))
                .filter(programs::visibility.eq("public").or(shared))
                .select(ProgramRow::as_select())
                .first(conn)
                .optional()?;
            with_shares(conn, row.into_iter().collect())
        })?;
        Ok(programs_of(found)?.pop())
    }

    fn list_visible(&self, workspace: &WorkspaceId) -> Result<Vec<Program>, StoreError> {
        let found = self.read(|conn| {
            let shared = exists(
                program_shares::table
                    .filter(program_shares::program_id.eq(programs::id))
                    .filter(program_shares::workspace_id.eq(workspace.as_str())),
            );
            let rows = programs::table
                .filter(programs::visibility.eq("public").or(shared))
                .order(programs::slug.asc())
                .select(ProgramRow::as_select())
                .load(conn)?;
            with_shares(conn, rows)
        })?;
        programs_of(found)
    }

    fn list_all(&self) -> Result<Vec<Program>, StoreError> {
        let found = self.read(|conn| {
            let rows = programs::table
                .order(programs::slug.asc())
                .select(ProgramRow::as_select())
                .load(conn)?;
            with_shares(conn, rows)
        })?;
        programs_of(found)
    }

    fn find_any(&self, slug: &Slug) -> Result<Option<Program>, StoreError> {
        let found = self.read(|conn| {
            let row = programs::table
                .filter(programs::slug.eq(slug.as_str()))
                .select(ProgramRow::as_select())
                .first(conn)
                .optional()?;
            with_shares(conn, row.into_iter().collect())
        })?;
        Ok(programs_of(found)?.pop())
    }

    fn set_shares(&self, program: &Program) -> Result<(), StoreError> {
        let shared_with: &[WorkspaceId] = match &program.visibility {
            Visibility::Public => &[],
            Visibility::Private { shared_with } => shared_with,
        };
        let updated = self.write(|conn| {
            let exists: bool = diesel::select(exists(
                programs::table.filter(programs::id.eq(program.id.as_str())),
            ))
            .get_result(conn)?;
            if !exists {
                return Ok(false);
            }
            diesel::delete(
                program_shares::table.filter(program_shares::program_id.eq(program.id.as_str())),
            )
            .execute(conn)?;
            insert_shares(conn, &program.id, shared_with)?;
            Ok(true)
        })?;
        if updated {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    fn insert(&self, program: &Program) -> Result<(), StoreError> {
        let row = ProgramRow::from_domain(program);
        let shared_with: &[WorkspaceId] = match &program.visibility {
            Visibility::Public => &[],
            Visibility::Private { shared_with } => shared_with,
        };
        self.write(|conn| {
            diesel::insert_into(programs::table)
                .values(&row)
                .execute(conn)?;
            insert_shares(conn, &program.id, shared_with)?;
            Ok(())
        })
    }
}

impl<B: Backend> WorkspaceDirectory for SqlStore<B> {
    fn insert(&self, workspace: &Workspace) -> Result<(), StoreError> {
        let row = WorkspaceRow::from_domain(workspace);
        self.write_statement(|conn| {
            diesel::insert_into(workspaces::table)
                .values(&row)
                .execute(conn)?;
            Ok(())
        })
    }

    fn list(&self) -> Result<Vec<Workspace>, StoreError> {
        self.read(|conn| {
            workspaces::table
                .order((workspaces::created_at.asc(), workspaces::id.asc()))
                .select(WorkspaceRow::as_select())
                .load(conn)
        })?
        .into_iter()
        .map(WorkspaceRow::into_domain)
        .collect()
    }

    fn get(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        self.read(|conn| {
            workspaces::table
                .find(id.as_str())
                .select(WorkspaceRow::as_select())
                .first(conn)
                .optional()
        })?
        .map(WorkspaceRow::into_domain)
        .transpose()
    }
}
