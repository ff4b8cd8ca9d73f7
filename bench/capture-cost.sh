#!/usr/bin/env bash
# Run by `npm run bench -- capture` (bench/capture.ts), which prints and records its figures.
#
# What change capture costs a single-row INSERT, in CPU instructions: callgrind counts them, so
# the figure is the same on every run, whatever else the machine is doing (pgbench's inserts per
# second on this machine swing by ±15% from one 10-second run to the next, and with the cost of
# a commit, which the machine's disk decides). In a throwaway cluster (initdb in a temporary
# directory, pulsebot's migrations applied, 100,000 rows), a single-user backend runs 200, then
# 1,200 INSERTs in one transaction under callgrind, for each of:
#   none       no capture trigger enabled;
#   reference  the issue's reference: a plain statement-level trigger copying the inserted rows,
#              as they are, into a log without indexes;
#   pulsebot   pulsebot's capture;
# and prints (Ir(1,200) - Ir(200)) / 1,000: the instructions of one INSERT statement, its
# planning, execution and triggers, without the start-up. Commit is outside the count (it is the
# same work for the three, the log's WAL aside). The figures are one JSON line on stdout, e.g.
#   {"postgres":"15.20","none":260679,"reference":293305,"pulsebot":333135}
# progress goes to stderr.
#
# Needs PostgreSQL's server binaries (pg_config --bindir) and valgrind. Run as root, it runs the
# server as the postgres user.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$(pg_config --bindir)
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 2; }
[ -x "$BIN/postgres" ] || { echo "no PostgreSQL server binaries in $BIN" >&2; exit 2; }

DIR=$(mktemp -d /tmp/pulsebot-capture-cost.XXXXXX)
PORT=${PORT:-54329}
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
cleanup() { as_pg "$BIN/pg_ctl" -D "$DIR/data" stop -m immediate >/dev/null 2>&1 || true; rm -rf "$DIR"; }
trap cleanup EXIT

as_pg "$BIN/initdb" -D "$DIR/data" -A trust -U postgres >/dev/null
as_pg "$BIN/pg_ctl" -D "$DIR/data" -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1" -l "$DIR/log" -w start >/dev/null
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres)
"${PSQL[@]}" -d postgres -c "create database capture_cost"
DATABASE_URL="postgres://postgres@127.0.0.1:$PORT/capture_cost" npx tsx src/cli.ts migrate >/dev/null
"${PSQL[@]}" -d capture_cost <<'SQL'
alter table public.api_usage disable trigger user;
insert into public.api_usage (created_at, user_id, provider, service_type, model, input_tokens, output_tokens, cost_usd, latency_ms, success)
select now() - (i % 86400) * interval '1 minute', md5((i % 5000)::text)::uuid, 'openai', 'content', 'gpt-4o-mini', 800, 300, 0.0003, 200 + i % 4000, true
from generate_series(1, 100000) i;
alter table public.api_usage enable trigger user;
create table public.reference_log (like public.api_usage);
create function public.reference_capture() returns trigger language plpgsql as $$
begin
  insert into public.reference_log select * from new_rows;
  return null;
end $$;
create trigger reference_capture after insert on public.api_usage referencing new table as new_rows
  for each statement execute function public.reference_capture();
alter table public.api_usage disable trigger reference_capture;
SQL
"${PSQL[@]}" -d capture_cost -c "vacuum analyze"
as_pg "$BIN/pg_ctl" -D "$DIR/data" -w stop >/dev/null

# Instructions for the setup statement and n INSERTs, in one single-user backend.
count() {
  local setup=$1 n=$2 out="$DIR/callgrind.out"
  {
    echo "BEGIN;"
    echo "$setup"
    for i in $(seq 1 "$n"); do
      echo "INSERT INTO public.api_usage (user_id, provider, service_type, model, input_tokens, output_tokens, cost_usd, latency_ms, success) VALUES (md5('$((i % 50))')::uuid, 'openai', 'content', 'gpt-4o-mini', 800, 300, 0.0003, $((200 + i)), true);"
    done
    echo "ROLLBACK;"
  } > "$DIR/input.sql"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR/input.sql"
  as_pg valgrind --tool=callgrind --callgrind-out-file="$out" "$BIN/postgres" --single -D "$DIR/data" capture_cost \
    < "$DIR/input.sql" > "$DIR/single.log" 2>&1
  grep -m1 '^summary:' "$out" | awk '{ print $2 }'
  rm -f "$out"
}

per_insert() {
  local a b
  a=$(count "$1" 200)
  b=$(count "$1" 1200)
  echo $(( (b - a) / 1000 ))
}

CAPTURE="alter table public.api_usage disable trigger pulsebot_capture_insert;"
echo "  counting: without capture" >&2
none=$(per_insert "$CAPTURE")
echo "  counting: the reference delta-log trigger" >&2
reference=$(per_insert "$CAPTURE alter table public.api_usage enable trigger reference_capture;")
echo "  counting: pulsebot's capture" >&2
pulsebot=$(per_insert "")

echo "{\"postgres\":\"$("$BIN/postgres" --version | awk '{ print $3 }')\",\"none\":$none,\"reference\":$reference,\"pulsebot\":$pulsebot}"
