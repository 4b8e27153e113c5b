//! Every endpoint × every kind of caller: the status each must get.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use domain::Scope;
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, key_with, scoped, spawn_app_with};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    NoKey,
    Malformed,
    Unknown,
    Revoked,
    Expired,
    Full,
    Single(Scope),
    /// Every scope, restricted to the instance `x`.
    Restricted,
    OtherWorkspace,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Endpoint {
    ListPrograms,
    GetProgram,
    CreateInstance,
    ListInstances,
    GetInstance,
    PatchInstance,
    DeleteInstance,
    InstanceEvents,
    ListEvents,
    GetEvent,
    ListWebhookEndpoints,
    CreateKey,
    ListKeys,
    RevokeKey,
    CheckEligibility,
    Enroll,
    ListEnrollments,
    GetEnrollment,
    PatchEnrollment,
    EnrollmentStats,
}

impl Endpoint {
    const ALL: [Endpoint; 20] = [
        Endpoint::ListPrograms,
        Endpoint::GetProgram,
        Endpoint::CreateInstance,
        Endpoint::ListInstances,
        Endpoint::GetInstance,
        Endpoint::PatchInstance,
        Endpoint::DeleteInstance,
        Endpoint::InstanceEvents,
        Endpoint::ListEvents,
        Endpoint::GetEvent,
        Endpoint::ListWebhookEndpoints,
        Endpoint::CreateKey,
        Endpoint::ListKeys,
        Endpoint::RevokeKey,
        Endpoint::CheckEligibility,
        Endpoint::Enroll,
        Endpoint::ListEnrollments,
        Endpoint::GetEnrollment,
        Endpoint::PatchEnrollment,
        Endpoint::EnrollmentStats,
    ];

    fn scope(self) -> Scope {
        match self {
            Endpoint::ListPrograms | Endpoint::GetProgram => Scope::ProgramsRead,
            Endpoint::ListInstances
            | Endpoint::GetInstance
            | Endpoint::InstanceEvents
            | Endpoint::CheckEligibility => Scope::ProgramInstancesRead,
            Endpoint::ListEnrollments | Endpoint::GetEnrollment | Endpoint::EnrollmentStats => {
                Scope::EnrollmentsRead
            }
            Endpoint::Enroll | Endpoint::PatchEnrollment => Scope::EnrollmentsWrite,
            Endpoint::CreateInstance | Endpoint::PatchInstance | Endpoint::DeleteInstance => {
                Scope::ProgramInstancesWrite
            }
            Endpoint::CreateKey | Endpoint::ListKeys | Endpoint::RevokeKey => Scope::ApiKeysManage,
            Endpoint::ListEvents | Endpoint::GetEvent => Scope::EventsRead,
            Endpoint::ListWebhookEndpoints => Scope::WebhooksManage,
        }
    }

    fn success(self) -> u16 {
        match self {
            Endpoint::CreateInstance | Endpoint::CreateKey | Endpoint::Enroll => 201,
            Endpoint::DeleteInstance | Endpoint::RevokeKey => 204,
            _ => 200,
        }
    }

    /// Whether the endpoint addresses the instance `x` of workspace A (the restricted key's
    /// own) or something inside it.
    fn targets_x(self) -> bool {
        matches!(
            self,
            Endpoint::GetInstance
                | Endpoint::PatchInstance
                | Endpoint::InstanceEvents
                | Endpoint::GetEvent
                | Endpoint::CheckEligibility
                | Endpoint::Enroll
                | Endpoint::ListEnrollments
                | Endpoint::GetEnrollment
                | Endpoint::PatchEnrollment
                | Endpoint::EnrollmentStats
        )
    }
}

fn expected(caller: Caller, endpoint: Endpoint) -> u16 {
    match caller {
        Caller::NoKey | Caller::Malformed | Caller::Unknown | Caller::Revoked | Caller::Expired => {
            401
        }
        Caller::Full => endpoint.success(),
        Caller::Single(scope) if scope == endpoint.scope() => endpoint.success(),
        Caller::Single(_) => 403,
        Caller::Restricted => match endpoint {
            // It may not create instances, nor mint a key that sees more than it does, nor
            // manage webhook endpoints (which receive every event of the workspace).
            Endpoint::CreateInstance | Endpoint::CreateKey | Endpoint::ListWebhookEndpoints => 403,
            // A fresh instance outside its list is invisible.
            Endpoint::DeleteInstance => 404,
            _ => endpoint.success(),
        },
        Caller::OtherWorkspace => match endpoint {
            _ if endpoint.targets_x() => 404,
            Endpoint::DeleteInstance | Endpoint::RevokeKey => 404,
            _ => endpoint.success(),
        },
    }
}

struct World {
    x: String,
    /// An enrollment in `x`.
    enrollment: String,
    /// The event of `x`'s creation.
    event: String,
}

static NAMES: AtomicUsize = AtomicUsize::new(0);

/// A name (and so a slug) not used before.
fn fresh_name(stem: &str) -> String {
    format!("{stem} {}", NAMES.fetch_add(1, Ordering::Relaxed))
}

async fn call(app: &TestApp, world: &World, endpoint: Endpoint, key: Option<&str>) -> Reply {
    let x = &world.x;
    let (method, path, body): (&str, String, Option<Value>) = match endpoint {
        Endpoint::ListPrograms => ("GET", "/programs".into(), None),
        Endpoint::GetProgram => ("GET", "/programs/battery-rebate".into(), None),
        Endpoint::CreateInstance => (
            "POST",
            "/programs/battery-rebate/instances".into(),
            Some(json!({"name": fresh_name("Matrix")})),
        ),
        Endpoint::ListInstances => ("GET", "/programInstances".into(), None),
        Endpoint::GetInstance => ("GET", format!("/programInstances/{x}"), None),
        Endpoint::PatchInstance => (
            "PATCH",
            format!("/programInstances/{x}"),
            Some(json!({"description": "matrix"})),
        ),
        Endpoint::DeleteInstance => {
            let fresh = app
                .post(
                    "/programs/battery-rebate/instances",
                    &app.a.key,
                    &json!({"name": fresh_name("Doomed")}),
                )
                .await;
            (
                "DELETE",
                format!("/programInstances/{}", fresh.body["id"].as_str().unwrap()),
                None,
            )
        }
        Endpoint::InstanceEvents => ("GET", format!("/programInstances/{x}/events"), None),
        Endpoint::ListEvents => ("GET", "/events".into(), None),
        Endpoint::ListWebhookEndpoints => ("GET", "/webhookEndpoints".into(), None),
        Endpoint::GetEvent => ("GET", format!("/events/{}", world.event), None),
        Endpoint::CreateKey => (
            "POST",
            "/apiKeys".into(),
            Some(json!({"name": "minted", "scopes": ["apiKeys:manage"]})),
        ),
        Endpoint::ListKeys => ("GET", "/apiKeys".into(), None),
        Endpoint::CheckEligibility => (
            "POST",
            format!("/programInstances/{x}/eligibility"),
            Some(json!({"region": "NY"})),
        ),
        Endpoint::Enroll => (
            "POST",
            format!("/programInstances/{x}/enrollments"),
            Some(json!({"customer": {"name": "M"}})),
        ),
        Endpoint::ListEnrollments => ("GET", format!("/programInstances/{x}/enrollments"), None),
        Endpoint::GetEnrollment => ("GET", format!("/enrollments/{}", world.enrollment), None),
        Endpoint::PatchEnrollment => {
            let fresh = app
                .post(
                    &format!("/programInstances/{x}/enrollments"),
                    &app.a.key,
                    &json!({"customer": {"name": "P"}}),
                )
                .await;
            assert_eq!(fresh.status.as_u16(), 201, "{}", fresh.body);
            (
                "PATCH",
                format!("/enrollments/{}", fresh.body["id"].as_str().unwrap()),
                Some(json!({"status": "approved"})),
            )
        }
        Endpoint::EnrollmentStats => ("GET", format!("/programInstances/{x}/stats"), None),
        Endpoint::RevokeKey => {
            // A key every manager of workspace A covers: one scope, restricted to x.
            let body = json!({"name": "victim", "scopes": ["apiKeys:manage"], "instances": [x]});
            let minted = app.post("/apiKeys", &app.a.key, &body).await;
            assert_eq!(minted.status.as_u16(), 201, "{}", minted.body);
            (
                "DELETE",
                format!("/apiKeys/{}", minted.body["id"].as_str().unwrap()),
                None,
            )
        }
    };
    let mut headers = Vec::new();
    let authorization = key.map(|key| format!("Bearer {key}"));
    if let Some(value) = authorization.as_deref() {
        headers.push(("Authorization", value));
    }
    if method == "PATCH" {
        headers.push(("Content-Type", "application/merge-patch+json"));
    }
    app.send(method, &path, None, body.as_ref(), &headers).await
}

#[actix_web::test]
async fn every_endpoint_answers_every_caller_as_specified() {
    // Many failures come from one address here: keep the failure limiter out of the way.
    let app = spawn_app_with(|settings| settings.auth_failures.burst = 10_000).await;
    let x = app.instance_named(&app.a.key, "Instance X").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let enrolled = app
        .post(
            &format!("/programInstances/{x}/enrollments"),
            &app.a.key,
            &json!({"customer": {"name": "E"}}),
        )
        .await;
    let created = app
        .get(
            &format!("/events?programInstanceId={x}&type=programInstance.created"),
            &app.a.key,
        )
        .await;
    let world = World {
        x: x.clone(),
        enrollment: enrolled.body["id"].as_str().unwrap().to_owned(),
        event: created.body["data"][0]["id"].as_str().unwrap().to_owned(),
    };

    let revoked = {
        let minted = app
            .post(
                "/apiKeys",
                &app.a.key,
                &json!({"name": "revoked", "scopes": ["programs:read"]}),
            )
            .await;
        assert_eq!(minted.status.as_u16(), 201, "{}", minted.body);
        let path = format!("/apiKeys/{}", minted.body["id"].as_str().unwrap());
        assert_eq!(app.delete(&path, &app.a.key).await.status.as_u16(), 204);
        minted.body["key"].as_str().unwrap().to_owned()
    };
    let expired = {
        let soon = app
            .app
            .now()
            .checked_add(time::Duration::milliseconds(1_500))
            .unwrap()
            .to_string();
        let body = json!({"name": "expiring", "scopes": ["programs:read"], "expiresAt": soon});
        let minted = app.post("/apiKeys", &app.a.key, &body).await;
        assert_eq!(minted.status.as_u16(), 201, "{}", minted.body);
        actix_web::rt::time::sleep(Duration::from_millis(1_600)).await;
        minted.body["key"].as_str().unwrap().to_owned()
    };
    let restricted = key_with(
        &app.app,
        &app.a.id,
        scoped(&Scope::ALL, Some(&[x.as_str()])),
    );
    let mut callers: Vec<(Caller, Option<String>)> = vec![
        (Caller::NoKey, None),
        (Caller::Malformed, Some("not-a-key".into())),
        (
            Caller::Unknown,
            Some(format!("pik_{}_{}", "0".repeat(12), "1".repeat(32))),
        ),
        (Caller::Revoked, Some(revoked)),
        (Caller::Expired, Some(expired)),
        (Caller::Full, Some(app.a.key.clone())),
        (Caller::Restricted, Some(restricted)),
        (Caller::OtherWorkspace, Some(app.b.key.clone())),
    ];
    for scope in Scope::ALL {
        callers.push((
            Caller::Single(scope),
            Some(key_with(&app.app, &app.a.id, scoped(&[scope], None))),
        ));
    }

    let mut mismatches = Vec::new();
    for (caller, key) in &callers {
        for endpoint in Endpoint::ALL {
            let reply = call(&app, &world, endpoint, key.as_deref()).await;
            let want = expected(*caller, endpoint);
            if reply.status.as_u16() != want {
                mismatches.push(format!(
                    "{caller:?} {endpoint:?}: got {} want {want}: {}",
                    reply.status, reply.body
                ));
                continue;
            }
            if want >= 400 {
                assert_eq!(reply.content_type(), "application/problem+json");
            }
            if let (Caller::Single(_), 403) = (caller, want) {
                assert_eq!(
                    reply.body["requiredScope"],
                    endpoint.scope().as_str(),
                    "{caller:?} {endpoint:?}"
                );
            }
            if want == 401 {
                assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
