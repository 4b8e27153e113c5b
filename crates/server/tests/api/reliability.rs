//! Writes that survive faults: concurrent patches, a failure between a change and its
//! answer, values that must read back as written, and database sessions that die.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use application::Ports;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use domain::{InstanceId, ProgramInstance, Slug, Timestamp, WorkspaceId};
use ports::{
    Event, IdempotentAnswer, InstanceCursor, InstanceFilter, InstanceSnapshot, InstanceStore,
};
use ports::{LockedInstance, Page, StoreError};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, TestStore, spawn_app, spawn_app_with, spawn_app_with_ports, spawn_sqlite_app,
};

const CREATE: &str = "/programs/battery-rebate/instances";

async fn twenty_parallel_patches_all_apply(app: TestApp) {
    let created = app.instance_named(&app.a.key, "Contended").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    let url = format!("{}{path}", app.base);
    let tasks: Vec<_> = (0..20)
        .map(|n| {
            let (client, url) = (app.client.clone(), url.clone());
            let authorization = format!("Bearer {}", app.a.key);
            actix_web::rt::spawn(async move {
                client
                    .patch(url)
                    .insert_header(("Authorization", authorization))
                    .insert_header(("Content-Type", "application/merge-patch+json"))
                    .send_body(json!({ "metadata": { format!("p{n}"): n } }).to_string())
                    .await
                    .expect("an answer")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(
        statuses,
        vec![200; 20],
        "no PATCH without If-Match loses a race"
    );
    let after = app.get(&path, &app.a.key).await.body;
    assert_eq!(after["version"], 21, "every patch applied once");
    let metadata = after["metadata"].as_object().unwrap();
    assert_eq!(metadata.len(), 20, "none lost: {metadata:?}");
}

#[actix_web::test]
async fn twenty_parallel_patches_all_apply_on_postgres() {
    twenty_parallel_patches_all_apply(spawn_app().await).await;
}

#[actix_web::test]
async fn twenty_parallel_patches_all_apply_on_sqlite() {
    twenty_parallel_patches_all_apply(spawn_sqlite_app().await).await;
}

#[actix_web::test]
async fn with_if_match_one_racer_wins_and_the_others_are_412() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Raced").await;
    let url = format!(
        "{}/programInstances/{}",
        app.base,
        created["id"].as_str().unwrap()
    );
    let tasks: Vec<_> = (0..10)
        .map(|n| {
            let (client, url) = (app.client.clone(), url.clone());
            let authorization = format!("Bearer {}", app.a.key);
            actix_web::rt::spawn(async move {
                client
                    .patch(url)
                    .insert_header(("Authorization", authorization))
                    .insert_header(("If-Match", "\"1\""))
                    .insert_header(("Content-Type", "application/merge-patch+json"))
                    .send_body(json!({ "description": format!("racer {n}") }).to_string())
                    .await
                    .expect("an answer")
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort_unstable();
    let mut expected = vec![412; 9];
    expected.insert(0, 200);
    assert_eq!(statuses, expected);
}

/// An instance store whose next insert fails: before the change is written, or after it
/// committed (the answer lost on its way back, as when the process dies at that moment).
struct FailingInserts {
    inner: Arc<dyn InstanceStore>,
    fail_before: AtomicBool,
    fail_after: AtomicBool,
}

fn injected() -> StoreError {
    StoreError::Unavailable("injected fault".into())
}

impl InstanceStore for FailingInserts {
    fn insert(
        &self,
        instance: &ProgramInstance,
        events: &[Event],
        answer: Option<&IdempotentAnswer>,
    ) -> Result<(), StoreError> {
        if self.fail_before.swap(false, Ordering::SeqCst) {
            return Err(injected());
        }
        self.inner.insert(instance, events, answer)?;
        if self.fail_after.swap(false, Ordering::SeqCst) {
            return Err(injected());
        }
        Ok(())
    }

    fn get(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<ProgramInstance>, StoreError> {
        self.inner.get(workspace, id)
    }

    fn get_by_slug(
        &self,
        workspace: &WorkspaceId,
        slug: &Slug,
    ) -> Result<Option<ProgramInstance>, StoreError> {
        self.inner.get_by_slug(workspace, slug)
    }

    fn snapshot(
        &self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<InstanceSnapshot>, StoreError> {
        self.inner.snapshot(workspace, id)
    }

    fn lock<'s>(
        &'s self,
        workspace: &WorkspaceId,
        id: &InstanceId,
    ) -> Result<Option<Box<dyn LockedInstance + 's>>, StoreError> {
        self.inner.lock(workspace, id)
    }

    fn list(
        &self,
        workspace: &WorkspaceId,
        filter: &InstanceFilter,
        after: Option<&InstanceCursor>,
        limit: usize,
    ) -> Result<Page<InstanceSnapshot>, StoreError> {
        self.inner.list(workspace, filter, after, limit)
    }

    fn flips_due(
        &self,
        now: Timestamp,
        limit: usize,
    ) -> Result<Vec<(WorkspaceId, InstanceId)>, StoreError> {
        self.inner.flips_due(now, limit)
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping()
    }
}

async fn app_with_failing_inserts(fail_before: bool, fail_after: bool) -> TestApp {
    spawn_app_with_ports(
        TestStore::postgres(),
        |_| {},
        |ports: Ports| Ports {
            instances: Arc::new(FailingInserts {
                inner: ports.instances.clone(),
                fail_before: AtomicBool::new(fail_before),
                fail_after: AtomicBool::new(fail_after),
            }),
            ..ports
        },
    )
    .await
}

async fn create_with_key(app: &TestApp, key: &str, name: &str) -> crate::helpers::Reply {
    app.send(
        "POST",
        CREATE,
        Some(&app.a.key),
        Some(&json!({ "name": name })),
        &[("Idempotency-Key", key)],
    )
    .await
}

#[actix_web::test]
async fn a_create_answered_with_a_fault_after_its_change_replays_the_change() {
    let app = app_with_failing_inserts(false, true).await;
    let first = create_with_key(&app, "k-after", "Committed").await;
    first.problem(503, "unavailable");
    let retry = create_with_key(&app, "k-after", "Committed").await;
    assert_eq!(retry.status.as_u16(), 201, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed").as_deref(), Some("true"));
    let listed = app.get("/programInstances", &app.a.key).await;
    let data = listed.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "one instance, not two");
    assert_eq!(
        retry.body, data[0],
        "the replay is the change that was made"
    );
    let again = create_with_key(&app, "k-after", "Committed").await;
    assert_eq!(again.body, retry.body, "every replay is the same answer");
}

#[actix_web::test]
async fn a_create_that_failed_before_its_change_runs_again_at_once() {
    let app = app_with_failing_inserts(true, false).await;
    create_with_key(&app, "k-before", "Retried")
        .await
        .problem(503, "unavailable");
    let retry = create_with_key(&app, "k-before", "Retried").await;
    assert_eq!(retry.status.as_u16(), 201, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), None, "it ran");
    let listed = app.get("/programInstances", &app.a.key).await;
    assert_eq!(listed.body["data"].as_array().map(Vec::len), Some(1));
}

/// Any JSON a client may send: numbers of every kind, strings of any characters but NUL.
fn json_value() -> impl Strategy<Value = Value> {
    let number = prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |x| x.is_finite())
            .prop_map(Value::from),
        Just(json!(1.797_693_134_862_315_7e308)),
        Just(json!(1.797e308)),
        Just(json!(5e-324)),
    ];
    let text = "[^\u{0}]{0,20}".prop_map(Value::from);
    let leaf = prop_oneof![
        number,
        text,
        any::<bool>().prop_map(Value::from),
        Just(Value::Null)
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map("[^\u{0}]{1,10}", inner, 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

fn non_negative() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0.0..f64::MAX),
        Just(f64::MAX),
        Just(0.0),
        Just(5e-324),
        Just(1.797e308)
    ]
}

/// Writes through the API what a client could send, reads it back, and expects it equal.
async fn accepted_values_read_back_as_written(app: TestApp) {
    let strategy = (
        proptest::collection::btree_map("[^\u{0}]{1,40}", json_value(), 1..6),
        non_negative(),
        non_negative(),
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        // Not blank: a blank name is refused.
        "[^\u{0}]{0,40}[a-zA-Z0-9]",
    );
    let mut runner = TestRunner::default();
    for case in 0..40 {
        let (metadata, low, high, number, text) = strategy.new_tree(&mut runner).unwrap().current();
        let (minimum, maximum) = if low <= high {
            (low, high)
        } else {
            (high, low)
        };
        let metadata = Value::Object(metadata.into_iter().collect());
        let body = json!({
            "name": format!("Values {case}"),
            "metadata": metadata,
            "eligibilityCriteria": { "minimumCapacity": minimum, "maximumCapacity": maximum },
            "formConfig": { "fields": [
                { "key": "n", "label": "N", "type": "number", "required": false },
                { "key": "t", "label": "T", "type": "text", "required": false } ] },
        });
        let created = app.post(CREATE, &app.a.key, &body).await;
        assert_eq!(created.status.as_u16(), 201, "{body}: {}", created.body);
        let path = format!("/programInstances/{}", created.body["id"].as_str().unwrap());
        let read = app.get(&path, &app.a.key).await;
        assert_eq!(read.status.as_u16(), 200, "{body}: {}", read.body);
        for field in ["metadata", "eligibilityCriteria", "formConfig"] {
            assert_eq!(read.body[field], body[field], "{field} of {body}");
        }
        let listed = app
            .get(&format!("/programInstances?slug=values-{case}"), &app.a.key)
            .await;
        assert_eq!(listed.body["data"][0]["metadata"], body["metadata"]);

        let application = json!({
            "customer": { "name": text },
            "device": { "capacity": maximum },
            "formData": { "n": number, "t": text },
        });
        let enrolled = app
            .post(&format!("{path}/enrollments"), &app.a.key, &application)
            .await;
        assert_eq!(
            enrolled.status.as_u16(),
            201,
            "{application}: {}",
            enrolled.body
        );
        let enrollment = format!("/enrollments/{}", enrolled.body["id"].as_str().unwrap());
        let read = app.get(&enrollment, &app.a.key).await;
        assert_eq!(
            read.body["device"]["capacity"],
            application["device"]["capacity"]
        );
        assert_eq!(read.body["formData"], application["formData"]);
        assert_eq!(read.body["customer"], application["customer"]);
    }
}

#[actix_web::test]
async fn accepted_values_read_back_as_written_on_postgres() {
    accepted_values_read_back_as_written(spawn_app().await).await;
}

#[actix_web::test]
async fn accepted_values_read_back_as_written_on_sqlite() {
    accepted_values_read_back_as_written(spawn_sqlite_app().await).await;
}

#[actix_web::test]
async fn requests_survive_the_pools_sessions_being_terminated() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Survivor").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    // Open every pooled connection.
    let warm: Vec<_> = (0..16)
        .map(|_| {
            let (client, url) = (app.client.clone(), format!("{}{path}", app.base));
            let authorization = format!("Bearer {}", app.a.key);
            actix_web::rt::spawn(async move {
                client
                    .get(url)
                    .insert_header(("Authorization", authorization))
                    .send()
                    .await
                    .map(|response| response.status().as_u16())
            })
        })
        .collect();
    for task in warm {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    let mut admin = PgConnection::establish(&app.database_url()).unwrap();
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{}' AND pid <> pg_backend_pid()",
            app.database_name()
        ))
        .unwrap();
    let mut statuses = Vec::new();
    for n in 0..20 {
        let reply = match n % 4 {
            0 => app.get(&path, &app.a.key).await,
            1 => app.get("/programInstances", &app.a.key).await,
            2 => {
                app.patch(
                    &path,
                    &app.a.key,
                    &json!({ "description": format!("n{n}") }),
                )
                .await
            }
            _ => {
                app.post(CREATE, &app.a.key, &json!({ "name": format!("After {n}") }))
                    .await
            }
        };
        statuses.push(reply.status.as_u16());
    }
    assert!(
        statuses.iter().all(|status| (200..300).contains(status)),
        "{statuses:?}"
    );
    let ready = app.send("GET", "/readyz", None, None, &[]).await;
    assert_eq!(ready.status.as_u16(), 200);
}

#[actix_web::test]
async fn a_held_lock_answers_503_and_readiness_stays_up() {
    let app = spawn_app_with(|settings| {
        settings.lock_timeout = std::time::Duration::from_millis(200);
    })
    .await;
    let created = app.instance_named(&app.a.key, "Locked").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    let mut holder = PgConnection::establish(&app.database_url()).unwrap();
    holder
        .batch_execute("BEGIN; LOCK TABLE program_instances IN ACCESS EXCLUSIVE MODE;")
        .unwrap();
    let blocked = app.get(&path, &app.a.key).await;
    blocked.problem(503, "unavailable");
    assert_eq!(blocked.header("retry-after").as_deref(), Some("1"));
    let ready = app.send("GET", "/readyz", None, None, &[]).await;
    assert_eq!(
        ready.status.as_u16(),
        200,
        "the database answers: {}",
        ready.body
    );
    holder.batch_execute("ROLLBACK").unwrap();
    assert_eq!(app.get(&path, &app.a.key).await.status.as_u16(), 200);
}
