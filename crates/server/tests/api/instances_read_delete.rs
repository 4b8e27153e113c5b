use serde_json::json;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn unknown_and_malformed_ids_are_404() {
    let app = spawn_app().await;
    for id in ["cllgn0u4r000008l7eazybfbo", "not-a-cuid", "%20"] {
        app.get(&format!("/programInstances/{id}"), &app.a.key)
            .await
            .problem(404, "not_found");
        app.patch(&format!("/programInstances/{id}"), &app.a.key, &json!({}))
            .await
            .problem(404, "not_found");
        app.delete(&format!("/programInstances/{id}"), &app.a.key)
            .await
            .problem(404, "not_found");
    }
}

#[actix_web::test]
async fn delete_removes_the_instance_and_its_history() {
    let app = spawn_app().await;
    let created = app.instance_named(&app.a.key, "Short lived").await;
    let path = format!("/programInstances/{}", created["id"].as_str().unwrap());
    let deleted = app.delete(&path, &app.a.key).await;
    assert_eq!(deleted.status.as_u16(), 204);
    assert!(deleted.body.is_null());
    app.get(&path, &app.a.key).await.problem(404, "not_found");
    app.get(&format!("{path}/events"), &app.a.key)
        .await
        .problem(404, "not_found");
    app.delete(&path, &app.a.key)
        .await
        .problem(404, "not_found");
    let reused = app.instance_named(&app.a.key, "Short lived").await;
    assert_eq!(reused["slug"], "short-lived", "the slug is free again");
}
