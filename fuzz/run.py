#!/usr/bin/env python3
"""Fuzz the API from its own OpenAPI document with schemathesis, on PostgreSQL and on SQLite.

For each backend: a fresh database, `program-instances init` for a key, the release server
on a free loopback port, then schemathesis with every check, its examples, coverage, fuzzing
and stateful phases. The run fails on any failure schemathesis reports (a 5xx, a response
the document does not describe, a valid request refused or an invalid one accepted), and on
any panic in the server's log. `fuzz/hooks.py` says which refusals are rules the document
states in words only.

    python3 fuzz/run.py [--backend postgres|sqlite|both] [--examples N] [--seed N]

Needs PostgreSQL on 127.0.0.1:5432 (trust auth) for the PostgreSQL run. Installs schemathesis
into target/fuzz-venv the first time.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / "target" / "fuzz-venv"
SCHEMATHESIS = "schemathesis==4.32.5"
BINARY = ROOT / "target" / "release" / "program-instances"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def step(message):
    print(f"\n-- {message}", flush=True)


def ensure_schemathesis():
    executable = VENV / "bin" / "schemathesis"
    if executable.exists():
        return executable
    step(f"installing {SCHEMATHESIS} into {VENV}")
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", SCHEMATHESIS],
        check=True,
    )
    return executable


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def psql(sql):
    subprocess.run(
        ["psql", ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-qc", sql],
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Database:
    """A database of its own for one run, removed afterwards."""

    def __init__(self, backend):
        self.backend = backend
        self.directory = tempfile.mkdtemp(prefix="pi-fuzz-")
        if backend == "postgres":
            self.name = f"pi_fuzz_{uuid.uuid4().hex[:12]}"
            psql(f"CREATE DATABASE {self.name}")
            self.url = f"postgres://postgres@127.0.0.1:5432/{self.name}"
        else:
            self.url = f"sqlite://{self.directory}/fuzz.db"

    def drop(self):
        if self.backend == "postgres":
            psql(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        shutil.rmtree(self.directory, ignore_errors=True)


def wait_ready(base, within=30):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{base} did not become ready")


def fuzz(backend, examples, seed, max_time, schemathesis):
    step(f"{backend}: database, key, server")
    database = Database(backend)
    environment = dict(os.environ, DATABASE_URL=database.url, RUST_LOG="warn")
    server = None
    log_path = Path(database.directory) / "server.log"
    try:
        subprocess.run([str(BINARY), "migrate"], env=environment, check=True, capture_output=True)
        created = subprocess.run(
            [str(BINARY), "init"], env=environment, check=True, capture_output=True, text=True
        )
        key = json.loads(created.stdout)["apiKey"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        # Schemathesis sends requests without a key on purpose; the limiter must not turn
        # its later requests into 429s.
        server_environment = dict(
            environment,
            BIND_ADDR=f"127.0.0.1:{port}",
            AUTH_FAILURE_BURST="1000000",
            AUTH_FAILURE_REFILL_PER_SEC="1000000",
            # Webhook URLs are pointed at 127.0.0.1:9 by the hooks (nothing listens there):
            # no request, and no name lookup, ever leaves the machine.
            WEBHOOK_ALLOW_PRIVATE="true",
        )
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [str(BINARY), "serve"], env=server_environment, stdout=log, stderr=log
            )
        wait_ready(base)

        step(f"{backend}: schemathesis, every check, {examples} examples per operation, seed {seed}")
        stated_log = Path(database.directory) / "stated.log"
        run_environment = dict(
            os.environ,
            PYTHONPATH=str(ROOT / "fuzz"),
            SCHEMATHESIS_HOOKS="hooks",
            FUZZ_KEY_ID=key["id"],
            FUZZ_STATED_LOG=str(stated_log),
        )
        command = [
            str(schemathesis),
            "run",
            f"{base}/openapi.json",
            "--checks",
            "all",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--header",
            f"Authorization: Bearer {key['key']}",
            "--max-examples",
            str(examples),
            "--seed",
            str(seed),
            "--workers",
            "1",
            "--request-timeout",
            "10",
            "--max-time",
            str(max_time),
        ]
        # Run in the scratch folder: schemathesis keeps a cache where it runs.
        result = subprocess.run(
            command,
            env=run_environment,
            cwd=database.directory,
            capture_output=True,
            text=True,
        )
        output = result.stdout + result.stderr
        # A failing run shows every failure; a passing one its summary.
        print(output[-200_000:] if result.returncode else output[-6000:])
        counts = re.search(r"Test cases:\s*\n\s*(\d+) generated", output)
        generated = int(counts.group(1)) if counts else 0
        stated = {}
        if stated_log.exists():
            for line in stated_log.read_text().splitlines():
                stated[line] = stated.get(line, 0) + 1
        log = log_path.read_text(errors="replace")
        panics = [line for line in log.splitlines() if "panicked" in line]
        return {
            "backend": backend,
            "passed": result.returncode == 0 and not panics and generated >= 1000,
            "generated": generated,
            "panics": panics[:5],
            "exit": result.returncode,
            "stated": sorted(stated.items(), key=lambda item: -item[1]),
        }
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
        database.drop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--examples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--max-time", type=int, default=240, help="seconds per backend")
    arguments = parser.parse_args()
    schemathesis = ensure_schemathesis()
    step("building the release server")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "server"], cwd=ROOT, check=True)
    backends = ["postgres", "sqlite"] if arguments.backend == "both" else [arguments.backend]
    results = [fuzz(b, arguments.examples, arguments.seed, arguments.max_time, schemathesis) for b in backends]
    print()
    for result in results:
        verdict = "ok" if result["passed"] else "FAILED"
        print(
            f"fuzz {result['backend']}: {verdict}, {result['generated']} cases generated, "
            f"schemathesis exit {result['exit']}, {len(result['panics'])} panics"
        )
        for line in result["panics"]:
            print(f"   {line}")
        if result["stated"]:
            total = sum(count for _, count in result["stated"])
            print(f"   {total} refusals for rules the document states in words:")
            for line, count in result["stated"][:12]:
                print(f"   {count:6} {line}")
    sys.exit(0 if all(result["passed"] for result in results) else 1)


if __name__ == "__main__":
    main()
