#!/usr/bin/env bash
# Proof that `docker compose up` brings up a two-node Baogong (compose.yaml), where Docker exists.
#   cp deploy/env.example .env        # set SECRET_KEY, POSTGRES_PASSWORD; keep localhost in ALLOWED_HOSTS
#   scripts/compose_smoke.sh --up     # build, start, wait for the health checks, check
#   scripts/compose_smoke.sh          # check a stack that is already running
#   scripts/compose_smoke.sh --up --down   # ... then remove the stack and its volumes
# Checks: migrate exited 0; db, redis, web1, web2, worker, scheduler and nginx healthy; nginx sends
# requests to both web nodes; the login page and a login through nginx (CSRF origin check, cookies);
# a page after login; a PDF with the Chinese font embedded; a background task run by the worker
# container; the scheduler's loop running. It logs in as a temporary superuser (compose-smoke-…) that
# it deletes at the end: run it on a test stack. Other compose files: COMPOSE_FILE=a.yaml:b.yaml, as
# for docker compose itself. The address: BASE_URL (default http://localhost:$BAOGONG_HTTP_PORT, 8080)
# — localhost, because production cookies are Secure and only localhost keeps them over plain HTTP.
set -euo pipefail
cd "$(dirname "$0")/.."

up=0
down=0
for arg in "$@"; do
  case $arg in
    --up) up=1 ;;
    --down) down=1 ;;
    *) echo "usage: $0 [--up] [--down]" >&2; exit 2 ;;
  esac
done
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
port=${BAOGONG_HTTP_PORT:-$(sed -n 's/^BAOGONG_HTTP_PORT=//p' .env 2>/dev/null | tail -1)}
base=${BASE_URL:-http://localhost:${port:-8080}}
services=(db redis web1 web2 worker scheduler nginx)
failures=0
ok() { echo "ok    $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
# the (first) container of a service, running or not
container() { "${compose[@]}" ps -a -q "$1" 2>/dev/null | head -1; }
state() {
  local id
  id=$(container "$1")
  [ -n "$id" ] || { echo missing; return; }
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id"
}

work=$(mktemp -d)
user="compose-smoke-$(date +%s)"
password=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
cleanup() {
  if [ -f "$work/user-created" ]; then
    # deleted; kept but disabled when records of its login hold on to it
    "${compose[@]}" exec -T web1 baogong shell -c "
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError
user = get_user_model().objects.get(username='$user')
try:
    user.delete()
except ProtectedError:
    user.is_active = False
    user.set_unusable_password()
    user.save()
" >/dev/null 2>&1 || echo "note: could not remove the user $user"
  fi
  rm -rf "$work"
  if [ "$down" = 1 ]; then "${compose[@]}" down -v --remove-orphans; fi
}
trap cleanup EXIT

started=$(date +%s)
if [ "$up" = 1 ]; then
  # exits non-zero when a service never gets healthy; the checks below say which
  "${compose[@]}" up -d --build || echo "note: '${compose[*]} up' exited non-zero"
fi

# 1. every service healthy (worker and scheduler are first checked after 60 s)
deadline=$(($(date +%s) + ${SMOKE_WAIT_SECONDS:-600}))
while :; do
  pending=()
  for service in "${services[@]}"; do
    [ "$(state "$service")" = healthy ] || pending+=("$service")
  done
  [ ${#pending[@]} -eq 0 ] && break
  [ "$(date +%s)" -ge "$deadline" ] && break
  sleep 5
done
for service in "${services[@]}"; do
  s=$(state "$service")
  if [ "$s" = healthy ]; then ok "$service healthy"; else fail "$service is $s"; "${compose[@]}" logs --tail 20 "$service" || true; fi
done
echo "      (all healthy $(($(date +%s) - started)) s after the start of this script)"

# 2. migrate ran to the end
migrate=$(container migrate)
if [ -n "$migrate" ] && [ "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$migrate")" = "exited 0" ]; then
  ok "migrate exited 0"
else
  fail "migrate did not exit 0"; "${compose[@]}" logs --tail 30 migrate || true
fi

# 3. nginx sends requests to both web nodes
tag="smoke-$RANDOM$RANDOM"
for _ in $(seq 1 12); do curl -fsS -o /dev/null "$base/healthz?$tag" || true; done
for node in web1 web2; do
  n=$("${compose[@]}" logs --no-color "$node" 2>/dev/null | grep -c "$tag" || true)
  if [ "${n:-0}" -gt 0 ]; then ok "nginx sent $n of 12 requests to $node"; else fail "nginx sent no request to $node"; fi
done

# 4. the login page, a login through nginx, a page after it
jar="$work/cookies"
if curl -fsS -c "$jar" -b "$jar" -o "$work/login.html" "$base/login/" && grep -q csrfmiddlewaretoken "$work/login.html"; then
  ok "login page"
else
  fail "login page"
fi
token=$( (sed -n 's/.*name="csrfmiddlewaretoken" value="\([^"]*\)".*/\1/p' "$work/login.html" 2>/dev/null || true) | head -1)
if "${compose[@]}" exec -T -e DJANGO_SUPERUSER_PASSWORD="$password" web1 \
  baogong createsuperuser --noinput --username "$user" --email "$user@example.invalid" >/dev/null; then
  touch "$work/user-created"
fi
answer=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -c "$jar" -b "$jar" \
  -H "Origin: $base" -H "Referer: $base/login/" --data-urlencode "csrfmiddlewaretoken=$token" \
  --data-urlencode "username=$user" --data-urlencode "password=$password" "$base/login/" || true)
if [ "${answer%% *}" = 302 ]; then ok "login through nginx ($answer)"; else fail "login through nginx answered '$answer'"; fi
if curl -fsS -b "$jar" "$base/" -o "$work/home.html" && grep -q '保供' "$work/home.html"; then
  ok "home page after login"
else
  fail "home page after login"
fi

# 5. a PDF (WeasyPrint, Pango) with the Chinese font embedded
answer=$(curl -sS -b "$jar" -o "$work/daily.pdf" -w '%{http_code} %{content_type}' "$base/reports/daily/?format=pdf" || true)
fonts=$("${compose[@]}" exec -T web1 python3 -c '
import re, sys, zlib
data = sys.stdin.buffer.read()
text = b""
for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
    try:
        text += zlib.decompress(m.group(1))
    except zlib.error:
        pass
print(data[:5].decode("latin-1"), *sorted({f.decode() for f in re.findall(rb"/BaseFont\s*/([^\s/>\]]+)", text)}))
' <"$work/daily.pdf" 2>/dev/null || true)
if [ "$answer" = "200 application/pdf" ] && [[ $fonts == %PDF-* ]] && [[ $fonts == *WenQuanYi* ]]; then
  ok "daily report PDF, fonts: ${fonts#%PDF- }"
else
  fail "daily report PDF: '$answer', '$fonts'"
fi

# 6. a background task, queued by a web node, run by the worker container
result=$("${compose[@]}" exec -T web2 baogong shell -c "
import time
from django.db import transaction
from baogong.core.jobs import create_job, enqueue_job
from baogong.core.tasks import count_to
with transaction.atomic():
    job = enqueue_job(create_job('demo', 'compose smoke'), count_to, 10)
for _ in range(120):
    job.refresh_from_db()
    if job.status in ('succeeded', 'failed'):
        break
    time.sleep(0.5)
print(job.pk, job.status, job.result)
" 2>/dev/null | tail -1 || true)
job=${result%% *}
if [[ $result == *" succeeded "*"'sum': 55"* ]] && "${compose[@]}" logs --no-color worker | grep -c "$job" >/dev/null; then
  ok "task run by the worker: $result"
else
  fail "task: '$result'"
fi

# 7. the scheduler's loop: running, never restarted, its command answers in the container
scheduler=$(container scheduler)
restarts=$(docker inspect -f '{{.RestartCount}}' "$scheduler" 2>/dev/null || echo "?")
if [ "$(state scheduler)" = healthy ] && [ "$restarts" = 0 ] \
  && "${compose[@]}" exec -T scheduler baogong run_scheduled --list | grep -c . >/dev/null; then
  ok "scheduler running ($("${compose[@]}" exec -T scheduler baogong run_scheduled --list | wc -l | tr -d ' ') daily jobs)"
else
  fail "scheduler: $(state scheduler), restarts $restarts"
fi

if [ "$failures" -gt 0 ]; then
  echo "compose smoke: $failures check(s) failed"
  exit 1
fi
echo "compose smoke: all checks passed"
