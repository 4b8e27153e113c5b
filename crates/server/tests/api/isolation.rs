use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn another_workspace_cannot_see_or_touch_an_instance() {
    let app = spawn_app().await;
    let mine = app.instance_named(&app.a.key, "Workspace A only").await;
    let path = format!("/programInstances/{}", mine["id"].as_str().unwrap());

    let get = app.get(&path, &app.b.key).await;
    get.problem(404, "not_found");
    let missing = app
        .get("/programInstances/cllgn0u4r000008l7eazybfbo", &app.b.key)
        .await;
    assert_eq!(
        get.body["detail"], missing.body["detail"],
        "foreign and missing read alike"
    );
    app.patch(&path, &app.b.key, &json!({"name": "Hijacked"}))
        .await
        .problem(404, "not_found");
    app.delete(&path, &app.b.key)
        .await
        .problem(404, "not_found");
    app.get(&format!("{path}/events"), &app.b.key)
        .await
        .problem(404, "not_found");
    let b_list = app.get("/programInstances", &app.b.key).await;
    assert_eq!(b_list.body["data"], json!([]));
    let b_by_slug = app
        .get("/programInstances?slug=workspace-a-only", &app.b.key)
        .await;
    assert_eq!(b_by_slug.body["data"], json!([]));

    let still = app.get(&path, &app.a.key).await;
    assert_eq!(still.body["name"], "Workspace A only");
    assert_eq!(still.body["version"], 1);
}

#[actix_web::test]
async fn each_workspace_lists_only_its_own() {
    let app = spawn_app().await;
    app.instance_named(&app.a.key, "Shared name").await;
    app.instance_named(&app.b.key, "Shared name").await;
    app.instance_named(&app.b.key, "B second").await;
    let a = app.get("/programInstances", &app.a.key).await;
    let b = app.get("/programInstances", &app.b.key).await;
    assert_eq!(a.body["data"].as_array().map(Vec::len), Some(1));
    assert_eq!(b.body["data"].as_array().map(Vec::len), Some(2));
    assert!(
        a.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["workspaceId"] == "ws_a")
    );
    assert!(
        b.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["workspaceId"] == "ws_b")
    );
}

#[actix_web::test]
async fn the_catalog_shows_private_programs_only_where_shared() {
    let app = spawn_app().await;
    let slugs = |reply: &crate::helpers::Reply| -> Vec<String> {
        reply.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    let a = app.get("/programs", &app.a.key).await;
    let b = app.get("/programs", &app.b.key).await;
    assert_eq!(
        slugs(&a),
        ["a-only-program", "battery-rebate", "ev-charging-rebate"]
    );
    assert_eq!(slugs(&b), ["battery-rebate", "ev-charging-rebate"]);
    app.get("/programs/a-only-program", &app.b.key)
        .await
        .problem(404, "not_found");
}
