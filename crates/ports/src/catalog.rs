use domain::{Program, ProgramId, Slug, Workspace, WorkspaceId};

use crate::StoreError;

/// The catalog of programs as workspaces see it.
pub trait ProgramCatalog: Send + Sync {
    /// The program with this slug when it is public or shared with `workspace`; `None`
    /// otherwise, exactly as for a slug that does not exist.
    fn find_visible(
        &self,
        workspace: &WorkspaceId,
        slug: &Slug,
    ) -> Result<Option<Program>, StoreError>;

    /// The id of the program with this slug, visible or not: a program keeps its slug and
    /// its id for ever, so this may be remembered.
    fn id_of(&self, slug: &Slug) -> Result<Option<ProgramId>, StoreError>;

    /// Every program visible to `workspace`, ordered by slug.
    fn list_visible(&self, workspace: &WorkspaceId) -> Result<Vec<Program>, StoreError>;

    /// The whole catalog, private programs with whom they are shared, ordered by slug.
    fn list_all(&self) -> Result<Vec<Program>, StoreError>;

    /// The program with this slug, whoever sees it.
    fn find_any(&self, slug: &Slug) -> Result<Option<Program>, StoreError>;

    /// Stores whom a private program is shared with now: `program.visibility`'s list
    /// replaces the stored one.
    ///
    /// # Errors
    /// MUST return `NotFound` when the program, or a workspace it is shared with, does not
    /// exist (and then change nothing).
    fn set_shares(&self, program: &Program) -> Result<(), StoreError>;

    /// Adds a program to the catalog.
    ///
    /// # Errors
    /// MUST return `Duplicate` when the slug or id is taken, and `NotFound` when a workspace
    /// it is shared with does not exist.
    fn insert(&self, program: &Program) -> Result<(), StoreError>;
}

/// The tenants.
pub trait WorkspaceDirectory: Send + Sync {
    /// # Errors
    /// MUST return `Duplicate` when the id is taken.
    fn insert(&self, workspace: &Workspace) -> Result<(), StoreError>;

    fn get(&self, id: &WorkspaceId) -> Result<Option<Workspace>, StoreError>;

    /// Every workspace, oldest first.
    fn list(&self) -> Result<Vec<Workspace>, StoreError>;
}
