use crate::helpers::spawn_app;

#[actix_web::test]
async fn a_program_reads_with_its_public_fields() {
    let app = spawn_app().await;
    let reply = app.get("/programs/battery-rebate", &app.a.key).await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(reply.body["slug"], "battery-rebate");
    assert_eq!(reply.body["name"], "Battery Rebate Program");
    assert_eq!(reply.body["visibility"], "public");
    assert!(reply.body["id"].is_string() && reply.body["createdAt"].is_string());
    app.get("/programs/nothing-here", &app.a.key)
        .await
        .problem(404, "not_found");
    app.get("/programs/Not_A_Slug", &app.a.key)
        .await
        .problem(404, "not_found");
}
