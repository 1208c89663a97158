#!/usr/bin/env bash
# The deployment guide (docs/deployment.md), followed step by step on loopback:
# a fresh virtualenv with Klachtbeheer installed from this repository (no dev tools),
# the environment file from deploy/, PostgreSQL, check --deploy, migrate, collectstatic,
# the first user, `klachtbeheer serve` (gunicorn) and `klachtbeheer worker`, /readyz
# and the public form, a backup restored into a fresh database, and a clean stop.
#
#   DEPLOY_DATABASE_URL=postgres://USER@127.0.0.1:5432/kb_prod_deploy bash scripts/deploy_check.sh
#
# The database named there is dropped and made again (and NAME_restore beside it).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
: "${DEPLOY_DATABASE_URL:?set DEPLOY_DATABASE_URL=postgres://user@127.0.0.1:5432/some_new_db}"
PYTHON=${PYTHON:-$(for p in python3.14 python3.13 python3.12 "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 python3; do
  command -v "$p" >/dev/null 2>&1 && "$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$p"; break; }; done)}
WORK=$(mktemp -d /tmp/kb_deploy_check.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
step() { echo "-- $*"; }

step "1. A virtualenv with Klachtbeheer from the repository ($PYTHON)"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
"$WORK/venv/bin/pip" install --quiet "$REPO" 2>&1 | grep -v '^WARNING: Location' || true
KB="$WORK/venv/bin/klachtbeheer"
test -x "$KB"

step "2. The database (PostgreSQL): a new, empty one"
"$WORK/venv/bin/python" - "$DEPLOY_DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlsplit
import psycopg
url = urlsplit(sys.argv[1])
name = url.path.lstrip("/")
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as db:
    for database in (name, f"{name}_restore"):
        db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{database}"')
PY

step "3. The environment file (deploy/klachtbeheer.env.example), filled in"
PORT=$("$WORK/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/data"
cp deploy/klachtbeheer.env.example "$WORK/klachtbeheer.env"
cat >> "$WORK/klachtbeheer.env" <<ENV
SECRET_KEY=$("$WORK/venv/bin/python" -c 'import secrets; print(secrets.token_urlsafe(50))')
ALLOWED_HOSTS=klachten.example.nl,127.0.0.1
DATABASE_URL=$DEPLOY_DATABASE_URL
KLACHTBEHEER_DATA_DIR=$WORK/data
WEB_BIND=127.0.0.1:$PORT
WEB_WORKERS=2
EMAIL_HOST=127.0.0.1
EMAIL_PORT=2525
EMAIL_USE_TLS=false
EMAIL_HOST_USER=
EMAIL_HOST_PASSWORD=
LOG_FORMAT=json
ENV
set -a; . "$WORK/klachtbeheer.env"; set +a
unset PROMETHEUS_MULTIPROC_DIR

step "4. check --deploy, migrate, collectstatic"
"$KB" check --deploy --fail-level WARNING
"$KB" migrate --noinput -v0
"$KB" collectstatic --noinput -v0

step "5. The first user (the quality manager)"
DJANGO_SUPERUSER_PASSWORD="deploy-check-$(date +%s)-geheim" "$KB" createsuperuser --noinput \
  --username kwaliteit --email kwaliteit@example.nl
"$KB" shell -v0 -c "
from django.contrib.auth import get_user_model
from klachtbeheer.organisation.models import Role, StaffProfile
user = get_user_model().objects.get(username='kwaliteit')
StaffProfile.objects.update_or_create(user=user, defaults={'role': Role.QUALITY_MANAGER})
"

step "6. klachtbeheer serve and klachtbeheer worker"
"$KB" serve >"$WORK/web.log" 2>&1 & PIDS+=($!)
"$KB" worker >"$WORK/worker.log" 2>&1 & PIDS+=($!)

step "7. /readyz answers 200 (database, migrations, worker, outbox, disk)"
ready=""
for _ in $(seq 1 120); do
  if ready=$(curl -fsS "http://127.0.0.1:$PORT/readyz" 2>/dev/null); then break; fi
  sleep 0.5
done
echo "$ready"
echo "$ready" | grep -q '"status": "ok"' || { cat "$WORK/web.log" "$WORK/worker.log"; exit 1; }

step "8. The public form through the proxy's headers"
# Each page is read whole before it is searched: `curl | grep -q` fails under pipefail
# whenever grep stops at its match before curl has written the rest ("Failed writing body").
for page in "klacht/ <form" "inloggen/ password"; do
  set -- $page
  curl -fsS -H "Host: klachten.example.nl" -H "X-Forwarded-Proto: https" \
    "http://127.0.0.1:$PORT/$1" -o "$WORK/page.html" || { cat "$WORK/web.log"; exit 1; }
  grep -q "$2" "$WORK/page.html" || { cat "$WORK/web.log"; exit 1; }
done

step "9. Backup, and restore into a fresh database and data directory"
"$KB" backup --out "$WORK/backup"
DATABASE_URL="${DEPLOY_DATABASE_URL}_restore" KLACHTBEHEER_DATA_DIR="$WORK/restored" \
  "$KB" restore "$WORK/backup"

step "10. A clean stop (SIGTERM)"
for pid in "${PIDS[@]}"; do kill -TERM "$pid"; done
for pid in "${PIDS[@]}"; do wait "$pid" || { echo "process $pid exited with $?"; cat "$WORK/web.log" "$WORK/worker.log"; exit 1; }; done
PIDS=()
grep -q '"message": "Listening at' "$WORK/web.log"

"$WORK/venv/bin/python" - "$DEPLOY_DATABASE_URL" <<'PY'
import sys
from urllib.parse import urlsplit
import psycopg
url = urlsplit(sys.argv[1])
name = url.path.lstrip("/")
with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as db:
    for database in (name, f"{name}_restore"):
        db.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
PY
echo "deployment guide followed: 10 steps passed"
