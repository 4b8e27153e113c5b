use diesel::dsl::exists;
use diesel::prelude::*;
use domain::{Program, Slug, Visibility, Workspace, WorkspaceId};
use ports::{ProgramCatalog, StoreError, WorkspaceDirectory};

use crate::SqliteStore;
use crate::failure::{TxError, translate};
use crate::rows::{ProgramRow, WorkspaceRow};
use crate::schema::{program_shares, programs, workspaces};

/// The workspaces each private program is shared with; public programs need no look-up.
fn with_shares(
    conn: &mut SqliteConnection,
    rows: Vec<ProgramRow>,
) -> Result<Vec<Program>, StoreError> {
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
            .load(conn)
            .map_err(translate)?
    };
    rows.into_iter()
        .map(|row| {
            let shared_with: Vec<String> = shares
                .iter()
                .filter(|(program, _)| *program == row.id)
                .map(|(_, ws)| ws.clone())
                .collect();
            row.into_domain(&shared_with)
        })
        .collect()
}

impl ProgramCatalog for SqliteStore {
    fn find_visible(
        &self,
        workspace: &WorkspaceId,
        slug: &Slug,
    ) -> Result<Option<Program>, StoreError> {
        let mut conn = self.conn()?;
        let shared = exists(
            program_shares::table
                .filter(program_shares::program_id.eq(programs::id))
                .filter(program_shares::workspace_id.eq(workspace.as_str())),
        );
        let row = programs::table
            .filter(programs::slug.eq(slug.as_str()))
            .filter(programs::visibility.eq("public").or(shared))
            .select(ProgramRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(translate)?;
        Ok(with_shares(&mut conn, row.into_iter().collect())?.pop())
    }

    fn list_visible(&self, workspace: &WorkspaceId) -> Result<Vec<Program>, StoreError> {
        let mut conn = self.conn()?;
        let shared = exists(
            program_shares::table
                .filter(program_shares::program_id.eq(programs::id))
                .filter(program_shares::workspace_id.eq(workspace.as_str())),
        );
        let rows = programs::table
            .filter(programs::visibility.eq("public").or(shared))
            .order(programs::slug.asc())
            .select(ProgramRow::as_select())
            .load(&mut *conn)
            .map_err(translate)?;
        with_shares(&mut conn, rows)
    }

    fn insert(&self, program: &Program) -> Result<(), StoreError> {
        let row = ProgramRow::from_domain(program);
        let shares: Vec<_> = match &program.visibility {
            Visibility::Public => Vec::new(),
            Visibility::Private { shared_with } => shared_with
                .iter()
                .map(|ws| {
                    (
                        program_shares::workspace_id.eq(ws.as_str()),
                        program_shares::program_id.eq(program.id.as_str()),
                    )
                })
                .collect(),
        };
        let mut conn = self.writer()?;
        conn.immediate_transaction::<_, TxError, _>(|conn| {
            diesel::insert_into(programs::table)
                .values(&row)
                .execute(conn)?;
            diesel::insert_into(program_shares::table)
                .values(&shares)
                .execute(conn)?;
            Ok(())
        })
        .map_err(StoreError::from)
    }
}

impl WorkspaceDirectory for SqliteStore {
    fn insert(&self, workspace: &Workspace) -> Result<(), StoreError> {
        let mut conn = self.writer()?;
        diesel::insert_into(workspaces::table)
            .values(WorkspaceRow::from_domain(workspace))
            .execute(&mut *conn)
            .map(|_| ())
            .map_err(translate)
    }

    fn get(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError> {
        let mut conn = self.conn()?;
        workspaces::table
            .find(id.as_str())
            .select(WorkspaceRow::as_select())
            .first(&mut *conn)
            .optional()
            .map_err(translate)?
            .map(WorkspaceRow::into_domain)
            .transpose()
    }
}
