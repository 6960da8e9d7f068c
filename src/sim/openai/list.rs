//! `GET /videos`: the account's videos (those made through this dialect), as full video
//! objects in OpenAI's cursor pages: `{"object": "list", data, first_id, last_id,
//! has_more}`, paged by `after` (a video id) and `limit` (at most 100), `order` `desc`
//! (newest first, the default) or `asc`. `--list-lag`, `--list-prompt-chars` and
//! `--list-ignores-page` (which ignores `after`) apply, as on the Sora.hk side.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use super::object::describe;
use super::{ApiError, refuse_key};
use crate::sim::world::{Dialect, World};

const DEFAULT_LIMIT: usize = 20;
const MOST_LIMIT: usize = 100;

#[derive(Deserialize)]
pub struct ListQuery {
    after: Option<String>,
    limit: Option<usize>,
    order: Option<String>,
}

pub async fn list(
    State(world): State<Arc<World>>,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let account = match refuse_key(&world, &headers) {
        Ok(account) => account,
        Err(refusal) => return *refusal,
    };
    world.count(|stats| stats.lists += 1);
    match page(&world, account, query, &headers) {
        Ok(page) => Json(page).into_response(),
        Err(err) => err.answer(&world, &headers),
    }
}

fn page(
    world: &World,
    account: usize,
    query: Result<Query<ListQuery>, QueryRejection>,
    headers: &HeaderMap,
) -> Result<Value, ApiError> {
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let mut videos = world.listed(Dialect::OpenAi, account);
    match query.order.as_deref() {
        None | Some("desc") => {}
        Some("asc") => videos.reverse(),
        Some(other) => {
            let message = format!(
                "Invalid value for 'order': '{other}'. Supported values are: 'asc' and 'desc'."
            );
            return Err(ApiError::invalid("order", "invalid_value", message));
        }
    }
    let after = query.after.filter(|_| !world.settings.list_ignores_page);
    let start = match after {
        None => 0,
        Some(after) => match videos.iter().position(|task| task.id == after) {
            Some(at) => at + 1,
            None => {
                let message = format!("Invalid value for 'after': no video with id '{after}'.");
                return Err(ApiError::invalid("after", "invalid_value", message));
            }
        },
    };
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MOST_LIMIT);
    let now = Instant::now();
    let data: Vec<Value> = videos
        .iter()
        .skip(start)
        .take(limit)
        .map(|task| {
            let mut video = describe(world, task, headers, now);
            if let Some(chars) = world.settings.list_prompt_chars {
                let prompt: String = task.request.prompt.chars().take(chars).collect();
                video["prompt"] = json!(prompt);
            }
            video
        })
        .collect();
    Ok(json!({
        "object": "list",
        "first_id": data.first().map(|video| video["id"].clone()),
        "last_id": data.last().map(|video| video["id"].clone()),
        "has_more": start + limit < videos.len(),
        "data": data,
    }))
}
