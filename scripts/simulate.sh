#!/usr/bin/env bash
# Publishes a realistic project run to Redis so the demo page has something to show: a
# phase-based project (crawl, then analyze, then DONE) and a legacy one, with notifications.
#   scripts/simulate.sh [USER] [PROJECT] [STEP_SECONDS]     (defaults: dev-user p1 0.5)
# Redis comes from WSGW_REDIS_URL (default redis://127.0.0.1:6379/0).
set -euo pipefail
user=${1:-dev-user}
project=${2:-p1}
step=${3:-0.5}
url=${WSGW_REDIS_URL:-redis://127.0.0.1:6379/0}
pub() { redis-cli -u "$url" PUBLISH "$1" "$2" >/dev/null; }
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

pub "user_noti:$user" "{\"type\":\"notification\",\"payload\":{\"title\":\"Project $project started\"},\"timestamp\":\"$(now)\"}"
pub "project:$project:$user" "{\"type\":\"project_progress\",\"payload\":{\"project_id\":\"$project\",\"status\":\"INITIALIZING\",\"overall_progress_percent\":0,\"crawl\":{\"total\":0,\"done\":0,\"errors\":0,\"progress_percent\":0},\"analyze\":null}}"
total=120
for i in $(seq 1 20); do
  done_=$((total * i / 20)); errors=$((i / 7)); pct=$((100 * i / 20))
  overall=$((pct / 2))
  pub "project:$project:$user" "{\"type\":\"project_progress\",\"payload\":{\"project_id\":\"$project\",\"status\":\"PROCESSING\",\"overall_progress_percent\":$overall,\"crawl\":{\"total\":$total,\"done\":$done_,\"errors\":$errors,\"progress_percent\":$pct},\"analyze\":null}}"
  legacy=$((5 * i))
  pub "project:$project-legacy:$user" "{\"type\":\"project_progress\",\"payload\":{\"project_id\":\"$project-legacy\",\"status\":\"CRAWLING\",\"total\":100,\"done\":$legacy,\"errors\":0,\"progress_percent\":$legacy}}"
  sleep "$step"
done
analyzable=$((total - 2))
for i in $(seq 1 20); do
  done_=$((analyzable * i / 20)); pct=$((100 * i / 20)); overall=$((50 + pct / 2))
  pub "project:$project:$user" "{\"type\":\"project_progress\",\"payload\":{\"project_id\":\"$project\",\"status\":\"PROCESSING\",\"overall_progress_percent\":$overall,\"crawl\":{\"total\":$total,\"done\":$total,\"errors\":2,\"progress_percent\":100},\"analyze\":{\"total\":$analyzable,\"done\":$done_,\"errors\":0,\"progress_percent\":$pct}}}"
  sleep "$step"
done
pub "project:$project:$user" "{\"type\":\"project_completed\",\"payload\":{\"project_id\":\"$project\",\"status\":\"DONE\",\"overall_progress_percent\":100,\"crawl\":{\"total\":$total,\"done\":$total,\"errors\":2,\"progress_percent\":100},\"analyze\":{\"total\":$analyzable,\"done\":$analyzable,\"errors\":0,\"progress_percent\":100}},\"timestamp\":\"$(now)\"}"
pub "project:$project-legacy:$user" "{\"type\":\"project_completed\",\"payload\":{\"project_id\":\"$project-legacy\",\"status\":\"COMPLETED\",\"total\":100,\"done\":100,\"errors\":0,\"progress_percent\":100}}"
pub "user_noti:$user" "{\"type\":\"alert\",\"payload\":{\"message\":\"Project $project finished with 2 crawl errors\"},\"timestamp\":\"$(now)\"}"
