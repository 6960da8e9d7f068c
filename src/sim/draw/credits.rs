//! `POST /client/openapi/getAPIKeyCredits {apiKey}` (the key's credits left: those of
//! `--draw-credits`, less what was billed, plus refunds) and `GET
//! /client/common/getModelStatus?model=sora-2` (whether the model is up: it always is).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::{error, ok};
use crate::sim::world::World;

pub async fn key_credits(
    State(world): State<Arc<World>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    world.count(|stats| stats.draw.credit_queries += 1);
    let asked: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let Some(key) = asked["apiKey"].as_str() else {
        return error(&world, &headers, 400, "apiKey is required");
    };
    if world.account_of(key).is_none() {
        world.count(|stats| stats.unauthorized += 1);
        return error(&world, &headers, 401, "apiKey not found");
    }
    let left = world
        .draw
        .left(world.settings.draw.draw_credits, Instant::now());
    ok(json!({"credits": left}))
}

#[derive(Deserialize)]
pub struct ModelQuery {
    model: Option<String>,
}

pub async fn model_status(
    State(world): State<Arc<World>>,
    Query(query): Query<ModelQuery>,
    headers: HeaderMap,
) -> Response {
    world.count(|stats| stats.draw.model_status_queries += 1);
    match query.model.as_deref() {
        Some("sora-2") => ok(json!({"status": true, "error": ""})),
        Some(other) => error(&world, &headers, 404, &format!("model {other} not found")),
        None => error(&world, &headers, 400, "model is required"),
    }
}
