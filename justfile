# Conveniences for working on program-instances. CI runs `.ci/run`; `just ci` runs it here.

_default:
    @just --list

# Run the API on 127.0.0.1:8080 (embedded SQLite in ./data unless DATABASE_URL says otherwise)
run:
    cargo run --release -p server -- serve

# Run the API against the local PostgreSQL (database created if missing)
run-postgres:
    DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/program_instances}" cargo run --release -p server -- serve

# Create the demo workspace, catalog and a full key (idempotent), printed as JSON
init:
    cargo run --release -p server -- init

# Run every test (needs PostgreSQL on 127.0.0.1:5432, trust auth)
test:
    cargo test --workspace

# The HTTP tests with every server behind PgBouncer in transaction mode (installs pgbouncer when missing)
test-pgbouncer:
    .ci/test-behind-pgbouncer

# The reference deployment on this machine: pg_auto_failover (monitor, two nodes), PgBouncer, three API nodes, HAProxy on 127.0.0.1:8100 (up|status|down)
cluster action:
    bash deploy/cluster {{action}}

# Format the code
fmt:
    cargo fmt --all

# Lint every target, warnings as errors
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Build the API docs of every crate, warnings as errors
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --workspace

# Prove the hexagon: every dependency points inwards
arch:
    .ci/check-architecture

# Load-test the release server against pgbench's ceiling and print the table (BENCH_DURATION=15)
bench:
    bash bench/run

# The fault suite: PostgreSQL restarted and crashed under load, the server killed, two servers on one database, a held lock, SIGTERM (restarts the local PostgreSQL; never beside the tests)
faults:
    cargo build -q -p server
    python3 faults/run.py

# The cluster fault suite: switchover, failover, PgBouncer restart, API node kill and drain under load through HAProxy (starts and stops its own cluster)
cluster-faults:
    python3 faults/cluster.py

# Fuzz the release server from its OpenAPI document with schemathesis, on PostgreSQL and SQLite (FUZZ_ARGS="--backend sqlite --max-time 60")
fuzz:
    python3 fuzz/run.py ${FUZZ_ARGS:-}

# Generate TypeScript types from /openapi.json (openapi-typescript) and type-check a small client against them (tsc)
client-check:
    bash clients/typescript/check

# What verifying an API key costs: cached, refreshed, and a miss with argon2 (needs PostgreSQL)
bench-auth:
    cargo bench -p server --bench key_verification

# Everything CI runs, as CI runs it
ci:
    bash .ci/run
