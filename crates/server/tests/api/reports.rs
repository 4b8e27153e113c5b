//! `GET /reports/participation`: hand-computed figures over three instances, the window,
//! CSV and SVG, and who sees what.

use domain::{Scope, Timestamp};
use serde_json::{Value, json};

use crate::helpers::{Reply, TestApp, key_with, scoped, spawn_app, spawn_sqlite_app};

const REPORT: &str = "/reports/participation";

async fn instance(app: &TestApp, name: &str) -> String {
    let body = json!({ "name": name, "eligibilityCriteria": { "regions": ["NY"] } });
    app.create_instance(&app.a.key, body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn enroll(app: &TestApp, instance: &str, region: &str) -> Value {
    let reply = app
        .post(
            &format!("/programInstances/{instance}/enrollments"),
            &app.a.key,
            &json!({ "customer": { "name": "Ada", "region": region } }),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 201, "{}", reply.body);
    reply.body
}

async fn move_to(app: &TestApp, enrollment: &Value, status: &str) -> Value {
    let reply = app
        .patch(
            &format!("/enrollments/{}", enrollment["id"].as_str().unwrap()),
            &app.a.key,
            &json!({ "status": status }),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    reply.body
}

fn micros(text: &Value) -> i64 {
    Timestamp::parse(text.as_str().unwrap())
        .unwrap()
        .unix_micros()
}

/// How long an enrollment took to be decided, in microseconds.
fn decision(enrollment: &Value) -> i64 {
    micros(&enrollment["decidedAt"]) - micros(&enrollment["createdAt"])
}

struct Stage {
    solar: String,
    battery: String,
    empty: String,
    /// Solar's enrollments, in creation order.
    solar_enrollments: Vec<Value>,
    /// Solar's decision times, in microseconds.
    decisions: Vec<i64>,
}

/// Solar: 4 eligible and 1 ineligible; 2 approved (1 later unenrolled), 1 rejected, 1 left
/// submitted. Battery: 2 eligible, 2 ineligible, none decided. Empty: nothing.
async fn stage(app: &TestApp) -> Stage {
    let solar = instance(app, "Solar, \"North\"").await;
    let battery = instance(app, "Battery").await;
    let empty = instance(app, "Empty").await;
    let mut solar_enrollments = Vec::new();
    for region in ["NY", "NY", "NY", "NY", "CA"] {
        solar_enrollments.push(enroll(app, &solar, region).await);
    }
    for region in ["NY", "CA", "NY", "CA"] {
        enroll(app, &battery, region).await;
    }
    let approved = move_to(app, &solar_enrollments[0], "approved").await;
    let kept = move_to(app, &solar_enrollments[1], "approved").await;
    let rejected = move_to(app, &solar_enrollments[2], "rejected").await;
    let unenrolled = move_to(app, &approved, "unenrolled").await;
    assert_eq!(unenrolled["decidedAt"], approved["decidedAt"]);
    let decisions = vec![decision(&approved), decision(&kept), decision(&rejected)];
    Stage {
        solar,
        battery,
        empty,
        solar_enrollments,
        decisions,
    }
}

fn sorted_median_seconds(mut values: Vec<i64>) -> f64 {
    values.sort_unstable();
    let n = values.len();
    let micros = if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    };
    micros / 1_000_000.0
}

fn today() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        u8::from(now.month()),
        now.day()
    )
}

async fn figures_match_hand_computed(app: TestApp) {
    let s = stage(&app).await;
    let reply = app.get(REPORT, &app.a.key).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let rows = reply.body["data"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Battery", "Empty", "Solar, \"North\""], "by name");
    let median = sorted_median_seconds(s.decisions.clone());
    let day = today();
    let solar = &rows[2];
    assert_eq!(solar["instanceId"], s.solar.as_str());
    assert_eq!(solar["status"], "active");
    assert_eq!(
        solar,
        &json!({
            "instanceId": s.solar, "name": "Solar, \"North\"", "status": "active",
            "enrollments": 5, "submitted": 1, "approved": 1, "rejected": 1, "unenrolled": 1,
            "ineligible": 1,
            "eligibilityRate": 0.8,            // 4 of 5 eligible
            "approvalRate": 2.0 / 3.0,         // approved or unenrolled: 2 of 3 decided
            "unenrollmentRate": 0.5,           // 1 of the 2 ever approved
            "medianDecisionSeconds": median,   // the middle of three decisions
            "daily": [{ "date": day, "enrollments": 5 }],
        })
    );
    assert_eq!(
        rows[0],
        json!({
            "instanceId": s.battery, "name": "Battery", "status": "active",
            "enrollments": 4, "submitted": 2, "approved": 0, "rejected": 0, "unenrolled": 0,
            "ineligible": 2, "eligibilityRate": 0.5, "approvalRate": null,
            "unenrollmentRate": null, "medianDecisionSeconds": null,
            "daily": [{ "date": day, "enrollments": 4 }],
        })
    );
    assert_eq!(
        rows[1],
        json!({
            "instanceId": s.empty, "name": "Empty", "status": "active",
            "enrollments": 0, "submitted": 0, "approved": 0, "rejected": 0, "unenrolled": 0,
            "ineligible": 0, "eligibilityRate": null, "approvalRate": null,
            "unenrollmentRate": null, "medianDecisionSeconds": null, "daily": [],
        })
    );
    assert_eq!(
        reply.body["totals"],
        json!({
            "enrollments": 9, "submitted": 3, "approved": 1, "rejected": 1, "unenrolled": 1,
            "ineligible": 3, "eligibilityRate": 6.0 / 9.0, "approvalRate": 2.0 / 3.0,
            "unenrollmentRate": 0.5, "medianDecisionSeconds": median,
            "daily": [{ "date": day, "enrollments": 9 }],
        })
    );

    // Windows: whole days (the tallies) and instants inside a day (the enrollments).
    let count_of = |body: &Value, i: usize| body["data"][i]["enrollments"].as_u64().unwrap();
    let whole_day = app
        .get(&format!("{REPORT}?from={day}&to={day}"), &app.a.key)
        .await;
    assert_eq!(whole_day.body["totals"], reply.body["totals"]);
    let before = app
        .get(&format!("{REPORT}?to=2020-01-01"), &app.a.key)
        .await;
    assert_eq!(
        before.body["data"].as_array().unwrap().len(),
        3,
        "no instance is left out"
    );
    assert_eq!(before.body["totals"]["enrollments"], 0);
    assert_eq!(before.body["totals"]["medianDecisionSeconds"], Value::Null);

    // From the third of Solar's enrollments: the third (rejected), the fourth (submitted)
    // and the fifth (ineligible), with Battery's four after them.
    let third = s.solar_enrollments[2]["createdAt"].as_str().unwrap();
    let from_third = app
        .get(&format!("{REPORT}?from={}", encode(third)), &app.a.key)
        .await;
    assert_eq!(from_third.status.as_u16(), 200, "{}", from_third.body);
    let solar = &from_third.body["data"][2];
    assert_eq!(
        (
            &solar["enrollments"],
            &solar["rejected"],
            &solar["submitted"],
            &solar["ineligible"]
        ),
        (&json!(3), &json!(1), &json!(1), &json!(1))
    );
    assert_eq!(solar["approvalRate"], 0.0);
    assert_eq!(solar["medianDecisionSeconds"], s.decisions[2] as f64 / 1e6);
    assert_eq!(count_of(&from_third.body, 0), 4);
    // To the second, inclusive: the two approved.
    let second = s.solar_enrollments[1]["createdAt"].as_str().unwrap();
    let to_second = app
        .get(&format!("{REPORT}?to={}", encode(second)), &app.a.key)
        .await;
    let solar = &to_second.body["data"][2];
    assert_eq!(
        (count_of(&to_second.body, 2), &solar["approvalRate"]),
        (2, &json!(1.0))
    );
    assert_eq!(solar["unenrollmentRate"], 0.5);
    assert_eq!(
        solar["medianDecisionSeconds"],
        sorted_median_seconds(s.decisions[..2].to_vec())
    );
    assert_eq!(count_of(&to_second.body, 0), 0);
    let backwards = app
        .get(
            &format!("{REPORT}?from={}&to={}", encode(third), encode(second)),
            &app.a.key,
        )
        .await;
    assert_eq!(backwards.status.as_u16(), 200);
    assert_eq!(
        backwards.body["totals"]["enrollments"], 0,
        "{}",
        backwards.body
    );

    // Filters.
    let archived = app
        .get(&format!("{REPORT}?status=archived"), &app.a.key)
        .await;
    assert_eq!(archived.body["data"], json!([]));
    assert_eq!(archived.body["totals"]["enrollments"], 0);
    let other_program = app
        .get(&format!("{REPORT}?programId=prog_other"), &app.a.key)
        .await;
    assert_eq!(other_program.body["data"], json!([]));
}

/// Percent-encodes the `+` and `:` of a timestamp for a query string.
fn encode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[actix_web::test]
async fn figures_match_hand_computed_on_postgres() {
    figures_match_hand_computed(spawn_app().await).await;
}

#[actix_web::test]
async fn figures_match_hand_computed_on_sqlite() {
    figures_match_hand_computed(spawn_sqlite_app().await).await;
}

/// The report of tenant A's key, asked for with `accept`.
async fn report_as(app: &TestApp, accept: &str) -> Reply {
    let reply = app
        .send("GET", REPORT, Some(&app.a.key), None, &[("Accept", accept)])
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    reply
}

#[actix_web::test]
async fn csv_has_a_header_and_quotes_what_it_must() {
    let app = spawn_app().await;
    let s = stage(&app).await;
    let reply = report_as(&app, "text/csv").await;
    assert!(
        reply.content_type().starts_with("text/csv"),
        "{}",
        reply.content_type()
    );
    let body = reply.body.as_str().unwrap();
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "instanceId,name,status,enrollments,submitted,ineligible,approved,rejected,unenrolled,eligibilityRate,approvalRate,unenrollmentRate,medianDecisionSeconds"
    );
    assert_eq!(lines.len(), 4, "a header and three rows: {body}");
    assert_eq!(
        lines[2],
        format!("{},Empty,active,0,0,0,0,0,0,,,,", s.empty),
        "nulls are empty cells"
    );
    let median = sorted_median_seconds(s.decisions);
    assert_eq!(
        lines[3],
        format!(
            "{},\"Solar, \"\"North\"\"\",active,5,1,1,1,1,1,0.8,{},0.5,{}",
            s.solar,
            serde_json::to_string(&json!(2.0 / 3.0)).unwrap(),
            serde_json::to_string(&json!(median)).unwrap()
        )
    );
    assert!(body.ends_with("\r\n"));
}

#[actix_web::test]
async fn svg_draws_every_instance() {
    let app = spawn_app().await;
    stage(&app).await;
    let reply = report_as(&app, "image/svg+xml, application/json;q=0.5").await;
    assert!(reply.content_type().starts_with("image/svg+xml"));
    assert_eq!(reply.header("vary").as_deref(), Some("Accept"));
    let svg = reply.body.as_str().unwrap();
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\""));
    for label in [
        "Solar, &quot;North&quot;",
        "Battery",
        "Empty",
        "Eligible",
        "Approved",
    ] {
        assert!(
            svg.contains(&format!(">{label}</text>")),
            "{label} in {svg}"
        );
    }
    // Three bars per instance.
    assert_eq!(svg.matches("rx=\"2\"").count(), 9);
    assert!(svg.ends_with("</svg>"));
}

#[actix_web::test]
async fn each_key_sees_its_own_instances_only() {
    let app = spawn_app().await;
    let s = stage(&app).await;
    let other = app.get(REPORT, &app.b.key).await;
    assert_eq!(other.status.as_u16(), 200);
    assert_eq!(other.body["data"], json!([]));
    assert_eq!(other.body["totals"]["enrollments"], 0);

    let restricted = key_with(
        &app.app,
        &app.a.id,
        scoped(&[Scope::EnrollmentsRead], Some(&[s.battery.as_str()])),
    );
    let only = app.get(REPORT, &restricted).await;
    assert_eq!(only.status.as_u16(), 200, "{}", only.body);
    let ids: Vec<&str> = only.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["instanceId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [s.battery.as_str()]);
    assert_eq!(only.body["totals"]["enrollments"], 4);
    assert_eq!(only.body["totals"]["medianDecisionSeconds"], Value::Null);

    let no_scope = key_with(
        &app.app,
        &app.a.id,
        scoped(&[Scope::ProgramInstancesRead], None),
    );
    app.get(REPORT, &no_scope)
        .await
        .problem(403, "missing_scope");
}

#[actix_web::test]
async fn filters_are_checked_like_every_list() {
    let app = spawn_app().await;
    for (query, pointer) in [
        ("bogus=1", "bogus"),
        ("from=yesterday", "from"),
        // Past the year 9999 once in UTC: refused, never a dropped connection.
        ("from=9999-12-31T23:59:59-23:59", "from"),
        ("to=2026-02-30", "to"),
        ("status=live", "status"),
        ("programId=%00", "programId"),
        ("from=2026-01-01&from=2026-02-01", "from"),
        ("groupBy=instance", "groupBy"),
        ("groupBy=", "groupBy"),
        ("groupBy=Revision", "groupBy"),
    ] {
        let reply = app.get(&format!("{REPORT}?{query}"), &app.a.key).await;
        reply.problem(422, "invalid_query");
        assert!(
            reply.violations().iter().any(|(p, _)| p == pointer),
            "{query}: {:?}",
            reply.violations()
        );
    }
}

/// A new form for `instance`: its next revision. Answers the instance.
async fn new_form(app: &TestApp, instance: &str, label: &str) -> Value {
    let form = json!({ "fields": [{ "key": "acct", "label": label, "type": "text" }] });
    let reply = app
        .patch(
            &format!("/programInstances/{instance}"),
            &app.a.key,
            &json!({ "formConfig": form }),
        )
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    reply.body
}

/// The figures of a row without its daily counts and median (checked elsewhere).
fn counts(row: &Value) -> Value {
    json!({
        "instanceId": row["instanceId"], "revision": row["revision"],
        "revisionAt": row["revisionAt"], "enrollments": row["enrollments"],
        "submitted": row["submitted"], "approved": row["approved"],
        "rejected": row["rejected"], "ineligible": row["ineligible"],
    })
}

/// Solar's form changes twice (a metadata change between does not count): three
/// revisions, each with its own enrollments; Battery never changes and has none.
async fn rows_split_by_revision(app: TestApp) {
    let created = app
        .create_instance(
            &app.a.key,
            json!({ "name": "Solar", "eligibilityCriteria": { "regions": ["NY"] } }),
        )
        .await;
    let solar = created["id"].as_str().unwrap().to_owned();
    let battery = app
        .create_instance(&app.a.key, json!({ "name": "Battery" }))
        .await;
    let first = enroll(&app, &solar, "NY").await;
    enroll(&app, &solar, "NY").await;
    move_to(&app, &first, "approved").await;
    let second_form = new_form(&app, &solar, "Account number").await;
    assert_eq!(second_form["revision"], 2);
    for region in ["NY", "CA", "NY"] {
        let enrollment = enroll(&app, &solar, region).await;
        assert_eq!(enrollment["instanceRevision"], 2);
        if region == "CA" {
            continue;
        }
        move_to(&app, &enrollment, "rejected").await;
    }
    let reply = app
        .patch(
            &format!("/programInstances/{solar}"),
            &app.a.key,
            &json!({ "metadata": { "crm": "campaign-7" } }),
        )
        .await;
    assert_eq!(reply.body["revision"], 2, "metadata is not customer-facing");
    let third_form = new_form(&app, &solar, "Utility account").await;
    assert_eq!(third_form["revision"], 3);
    enroll(&app, &solar, "NY").await;

    let whole = app.get(REPORT, &app.a.key).await.body;
    let reply = app
        .get(&format!("{REPORT}?groupBy=revision"), &app.a.key)
        .await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.body);
    let rows: Vec<Value> = reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(counts)
        .collect();
    assert_eq!(
        rows,
        [
            json!({ "instanceId": battery["id"], "revision": 1,
                    "revisionAt": battery["createdAt"], "enrollments": 0, "submitted": 0,
                    "approved": 0, "rejected": 0, "ineligible": 0 }),
            json!({ "instanceId": solar, "revision": 1, "revisionAt": created["createdAt"],
                    "enrollments": 2, "submitted": 1, "approved": 1, "rejected": 0,
                    "ineligible": 0 }),
            json!({ "instanceId": solar, "revision": 2,
                    "revisionAt": second_form["updatedAt"], "enrollments": 3,
                    "submitted": 0, "approved": 0, "rejected": 2, "ineligible": 1 }),
            json!({ "instanceId": solar, "revision": 3,
                    "revisionAt": third_form["updatedAt"], "enrollments": 1,
                    "submitted": 1, "approved": 0, "rejected": 0, "ineligible": 0 }),
        ]
    );
    let solar_rows = &reply.body["data"].as_array().unwrap()[1..];
    assert_eq!(solar_rows[0]["eligibilityRate"], 1.0);
    assert_eq!(solar_rows[1]["eligibilityRate"], 2.0 / 3.0);
    assert_eq!(solar_rows[1]["approvalRate"], 0.0);
    assert_eq!(
        reply.body["totals"], whole["totals"],
        "totals are unchanged"
    );
    assert!(
        whole["data"][1].get("revision").is_none(),
        "not grouped: no revision"
    );

    // A window with no enrollments keeps each instance's current revision.
    let tomorrow = (time::OffsetDateTime::now_utc() + time::Duration::days(1)).date();
    let empty = app
        .get(
            &format!("{REPORT}?groupBy=revision&from={tomorrow}"),
            &app.a.key,
        )
        .await
        .body;
    let current: Vec<(Value, Value)> = empty["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["instanceId"].clone(), row["revision"].clone()))
        .collect();
    assert_eq!(
        current,
        [(battery["id"].clone(), json!(1)), (json!(solar), json!(3))]
    );

    let csv = app
        .send(
            "GET",
            &format!("{REPORT}?groupBy=revision"),
            Some(&app.a.key),
            None,
            &[("Accept", "text/csv")],
        )
        .await;
    let body = csv.body.as_str().unwrap();
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert!(
        lines[0].starts_with("instanceId,name,status,revision,enrollments,"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 5, "{body}");
    assert!(
        lines[3].starts_with(&format!("{solar},Solar,active,2,3,0,1,0,2,0,")),
        "{}",
        lines[3]
    );

    let svg = app
        .send(
            "GET",
            &format!("{REPORT}?groupBy=revision"),
            Some(&app.a.key),
            None,
            &[("Accept", "image/svg+xml")],
        )
        .await;
    let svg = svg.body.as_str().unwrap();
    assert_eq!(
        svg.matches(">Solar</text>").count(),
        1,
        "the name once: {svg}"
    );
    for revision in 1..=3 {
        assert!(
            svg.contains(&format!(">revision {revision} since ")),
            "{svg}"
        );
    }
    assert_eq!(svg.matches("rx=\"2\"").count(), 12, "three bars per row");
}

#[actix_web::test]
async fn rows_split_by_revision_on_postgres() {
    rows_split_by_revision(spawn_app().await).await;
}

#[actix_web::test]
async fn rows_split_by_revision_on_sqlite() {
    rows_split_by_revision(spawn_sqlite_app().await).await;
}

/// Decision times, in microseconds, crafted into the event log to be read back by the
/// migration: the edges of the histogram's buckets and days.
const CRAFTED: [i64; 6] = [0, 7, 10, 99, 100, 129_597_500_000];

/// Runs the participation migrations again (the report's, then the one by revision) over
/// enrollments decided before they existed: their decision times come from the event log,
/// the tallies and the histogram are rebuilt, the buckets the SQL computes are the
/// domain's, and when each revision began is read from the event log.
async fn backfill_reads_the_event_log(app: TestApp, engine: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, QueryableByName, RunQueryDsl};

    let solar = instance(&app, "Solar").await;
    let mut decided = Vec::new();
    for n in 0..6 {
        let submitted = enroll(&app, &solar, "NY").await;
        let status = if n % 3 == 2 { "rejected" } else { "approved" };
        decided.push(move_to(&app, &submitted, status).await);
    }
    move_to(&app, &decided[0], "unenrolled").await;
    enroll(&app, &solar, "CA").await;
    new_form(&app, &solar, "Account number").await;
    enroll(&app, &solar, "NY").await;
    new_form(&app, &solar, "Utility account").await;
    let before = app.get(REPORT, &app.a.key).await.body;
    let by_revision = format!("{REPORT}?groupBy=revision");
    let before_by_revision = app.get(&by_revision, &app.a.key).await.body;
    assert_eq!(before_by_revision["data"].as_array().unwrap().len(), 3);

    let (report_down, report_up, report_version, down, up, version) = match engine {
        "postgres" => (
            include_str!(
                "../../../../migrations/postgres/2026-11-28-000004_participation/down.sql"
            ),
            include_str!("../../../../migrations/postgres/2026-11-28-000004_participation/up.sql"),
            "20261128000004",
            include_str!(
                "../../../../migrations/postgres/2026-12-07-000003_report_by_revision/down.sql"
            ),
            include_str!(
                "../../../../migrations/postgres/2026-12-07-000003_report_by_revision/up.sql"
            ),
            "20261207000003",
        ),
        _ => (
            include_str!("../../../../migrations/sqlite/2026-11-28-000003_participation/down.sql"),
            include_str!("../../../../migrations/sqlite/2026-11-28-000003_participation/up.sql"),
            "20261128000003",
            include_str!(
                "../../../../migrations/sqlite/2026-12-07-000003_report_by_revision/down.sql"
            ),
            include_str!(
                "../../../../migrations/sqlite/2026-12-07-000003_report_by_revision/up.sql"
            ),
            "20261207000003",
        ),
    };
    let mut craft = String::new();
    for (migration, version) in [(down, version), (report_down, report_version)] {
        craft.push_str(migration);
        craft.push_str(&format!(
            "\nDELETE FROM __diesel_schema_migrations WHERE version = '{version}';\n"
        ));
    }
    for (enrollment, micros) in decided.iter().zip(CRAFTED) {
        let id = enrollment["id"].as_str().unwrap();
        let moment = match engine {
            "postgres" => format!(
                "(SELECT created_at FROM enrollments WHERE id = '{id}') + interval '{micros} microseconds'"
            ),
            _ => format!("(SELECT created_at FROM enrollments WHERE id = '{id}') + {micros}"),
        };
        let object_id = match engine {
            "postgres" => "data -> 'object' ->> 'id'",
            _ => "json_extract(data, '$.object.id')",
        };
        craft.push_str(&format!(
            "UPDATE events SET created_at = {moment} \
             WHERE kind = 'enrollment.statusChanged' AND {object_id} = '{id}' \
             AND created_at = (SELECT min(created_at) FROM events WHERE kind = 'enrollment.statusChanged' AND {object_id} = '{id}');\n"
        ));
    }
    for (migration, version) in [(report_up, report_version), (up, version)] {
        craft.push_str(migration);
        craft.push_str(&format!(
            "\nINSERT INTO __diesel_schema_migrations (version) VALUES ('{version}');\n"
        ));
    }

    #[derive(QueryableByName)]
    struct Bucketed {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        decision_micros: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        decision_bucket: i64,
    }
    let query = "SELECT decision_micros, decision_bucket FROM enrollments \
                 WHERE decision_micros IS NOT NULL ORDER BY decision_micros";
    let url = app.database_url();
    let rows: Vec<Bucketed> = match engine {
        "postgres" => {
            let mut conn = diesel::PgConnection::establish(&url).unwrap();
            conn.batch_execute(&craft).unwrap();
            diesel::sql_query(query).load(&mut conn).unwrap()
        }
        _ => {
            let path = url.trim_start_matches("sqlite://");
            let mut conn = diesel::SqliteConnection::establish(path).unwrap();
            // The app's connections stay open beside this one.
            conn.batch_execute("PRAGMA busy_timeout = 10000;").unwrap();
            conn.batch_execute(&craft).unwrap();
            diesel::sql_query(query).load(&mut conn).unwrap()
        }
    };
    let micros: Vec<i64> = rows.iter().map(|row| row.decision_micros).collect();
    assert_eq!(micros, CRAFTED, "decision times from the event log");
    for row in &rows {
        assert_eq!(
            row.decision_bucket,
            domain::participation::decision_bucket(row.decision_micros),
            "the SQL bucket of {} is the domain's",
            row.decision_micros
        );
    }
    let after = app.get(REPORT, &app.a.key).await.body;
    let figures = |body: &Value| {
        let mut row = body["data"][0].clone();
        row.as_object_mut().unwrap().remove("medianDecisionSeconds");
        row
    };
    assert_eq!(figures(&after), figures(&before), "tallies rebuilt alike");
    let after_by_revision = app.get(&by_revision, &app.a.key).await.body;
    let spans = |body: &Value| -> Vec<(Value, Value, Value)> {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                (
                    row["revision"].clone(),
                    row["revisionAt"].clone(),
                    row["enrollments"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        spans(&after_by_revision),
        spans(&before_by_revision),
        "revisions and when they began, from the event log"
    );
    assert_eq!(
        after["data"][0]["medianDecisionSeconds"],
        (10.0 + 99.0) / 2.0 / 1e6
    );
    assert_eq!(
        after["totals"]["medianDecisionSeconds"],
        (10.0 + 99.0) / 2.0 / 1e6
    );
    let whole_day = app
        .get(&format!("{REPORT}?from={}", today()), &app.a.key)
        .await
        .body;
    assert_eq!(
        whole_day["data"][0]["medianDecisionSeconds"],
        (10.0 + 99.0) / 2.0 / 1e6
    );
}

#[actix_web::test]
async fn backfill_reads_the_event_log_on_postgres() {
    backfill_reads_the_event_log(spawn_app().await, "postgres").await;
}

#[actix_web::test]
async fn backfill_reads_the_event_log_on_sqlite() {
    backfill_reads_the_event_log(spawn_sqlite_app().await, "sqlite").await;
}
