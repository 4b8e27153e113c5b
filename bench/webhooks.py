#!/usr/bin/env python3
"""Webhook delivery, measured: the drain rate of a backlog, the delivery lag under a create
load, creates with an endpoint against creates without, and one workspace's lag beside
another's endpoint that never answers.

Runs the release server on a fresh PostgreSQL database on 127.0.0.1 with a receiver in this
process (asyncio, answering 200 at once, keeping connections alive) and a listener that
accepts connections and never answers. Prints a Markdown table. Used by `bench/run` (and
`just bench`); alone: `python3 bench/webhooks.py` after `cargo build --release -p server`.
"""

import asyncio
import http.client
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "program-instances")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1")
DB = f"bench_webhooks_{os.getpid()}"
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
BACKLOG = int(os.environ.get("BENCH_BACKLOG", "20000"))
CREATED_AT = re.compile(rb'"createdAt":"([^"]+)"')
WORKSPACE = re.compile(rb'"workspaceId":"([^"]+)"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def micros(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class Receiver:
    """Records when each delivery arrived, its event's creation and workspace."""

    def __init__(self):
        self.port = free_port()
        self.arrivals = []  # (arrived, created, workspace)
        self.lock = threading.Lock()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait()

    def _serve(self, ready):
        async def handle(reader, writer):
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n"):
                        if line[:15].lower() == b"content-length:":
                            length = int(line[15:])
                    body = await reader.readexactly(length) if length else b""
                    arrived = time.time()
                    created = CREATED_AT.search(body)
                    workspace = WORKSPACE.search(body)
                    with self.lock:
                        self.arrivals.append(
                            (
                                arrived,
                                micros(created.group(1).decode()) if created else arrived,
                                workspace.group(1).decode() if workspace else "",
                            )
                        )
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        async def main():
            await asyncio.start_server(handle, "127.0.0.1", self.port, backlog=1024)
            ready.set()
            await asyncio.Event().wait()

        asyncio.run(main())

    def count(self):
        with self.lock:
            return len(self.arrivals)

    def lags(self, workspace, since, until):
        with self.lock:
            return sorted(
                arrived - created
                for arrived, created, ws in self.arrivals
                if ws == workspace and since <= created < until
            )


def silent_listener():
    """Accepts connections and never answers."""
    port = free_port()
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    held = []

    def hold():
        while True:
            conn, _ = listener.accept()
            held.append(conn)

    threading.Thread(target=hold, daemon=True).start()
    return port


def percentile(values, p):
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, -(-len(values) * p // 100) - 1))]


def sql(statement, database=DB):
    out = subprocess.run(
        ["psql", "-qAt", "-v", "ON_ERROR_STOP=1", f"{PG}/{database}", "-c", statement],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


class Api:
    def __init__(self, port, key):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.key = key

    def call(self, method, path, body=None):
        for attempt in range(2):
            try:
                self.conn.request(
                    method,
                    path,
                    body=json.dumps(body) if body is not None else None,
                    headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"},
                )
                response = self.conn.getresponse()
                break
            except (ConnectionError, http.client.HTTPException):
                # The server closed the idle keep-alive connection: open another.
                self.conn.close()
                self.conn = http.client.HTTPConnection(self.conn.host, self.conn.port)
                if attempt == 1:
                    raise
        data = response.read()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return json.loads(data) if data else None


def wrk_creates(port, key):
    out = subprocess.run(
        ["wrk", "-t2", "-c32", f"-d{DURATION}s", "-s", "bench/create.lua", f"http://127.0.0.1:{port}/"],
        cwd=ROOT,
        env={**os.environ, "BENCH_KEY": key},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([0-9.]+)", out).group(1))


def pending():
    return int(sql("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'"))


def wait_drained(limit_s=300):
    started = time.time()
    while pending() > 0 and time.time() - started < limit_s:
        time.sleep(0.05)
    return time.time()


def main():
    subprocess.run(["psql", "-q", f"{PG}/postgres", "-c", f"CREATE DATABASE {DB}"], check=True)
    env = {**os.environ, "DATABASE_URL": f"{PG}/{DB}?sslmode=disable", "RUST_LOG": "warn"}
    server = None
    try:
        subprocess.run([BIN, "migrate"], env=env, check=True, capture_output=True)
        subprocess.run(
            [BIN, "programs", "create", "--slug", "battery-rebate", "--name", "Battery Rebate Program"],
            env=env,
            check=True,
            capture_output=True,
        )
        sql("INSERT INTO workspaces (id, name, created_at) VALUES ('ws_hooks', 'Hooks', now()), ('ws_dead', 'Dead', now())")
        keys = {}
        for ws in ("ws_hooks", "ws_dead"):
            out = subprocess.run(
                [BIN, "keys", "create", "--workspace", ws, "--name", "bench"],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            keys[ws] = re.search(r'"key":"(pik_[^"]+)"', out).group(1)
        receiver = Receiver()
        dead_port = silent_listener()
        port = free_port()
        server = subprocess.Popen(
            [BIN, "serve", "--bind", f"127.0.0.1:{port}"],
            env={**env, "WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_ALLOW_PRIVATE": "true"},
            stderr=open(os.environ.get("BENCH_SERVER_LOG", os.devnull), "w"),
        )
        for _ in range(500):
            try:
                http.client.HTTPConnection("127.0.0.1", port).request("GET", "/readyz")
                break
            except OSError:
                time.sleep(0.02)
        hooks = Api(port, keys["ws_hooks"])
        dead = Api(port, keys["ws_dead"])
        results = []

        # Creates without an endpoint, then with one (every event type) and the lag meanwhile.
        wrk_creates(port, keys["ws_hooks"])  # warm-up
        plain = wrk_creates(port, keys["ws_hooks"])
        endpoint = hooks.call("POST", "/webhookEndpoints", {"url": f"http://127.0.0.1:{receiver.port}/hook"})
        started = time.time()
        before = receiver.count()
        hooked = wrk_creates(port, keys["ws_hooks"])
        ended = time.time()
        during = receiver.count() - before
        drained = wait_drained()
        lags = receiver.lags("ws_hooks", started, ended)
        results.append(("creates/s without an endpoint (32 connections)", f"{plain:.0f}"))
        results.append(("creates/s with one endpoint subscribed to every event", f"{hooked:.0f} ({hooked / plain:.2f} ×)"))
        results.append(("deliveries/s during that load", f"{during / (ended - started):.0f}"))
        results.append(("delivery lag during that load: p50 / p99 / max", f"{percentile(lags, 50):.2f} s / {percentile(lags, 99):.2f} s / {lags[-1] if lags else float('nan'):.2f} s ({len(lags)} events)"))
        results.append(("backlog left when the load stopped, drained in", f"{drained - ended:.1f} s"))

        # A backlog of events logged at once, drained with no API load.
        one = sql("SELECT id FROM events WHERE workspace_id = 'ws_hooks' ORDER BY seq DESC LIMIT 1")
        before = receiver.count()
        started = time.time()
        sql(
            "INSERT INTO events (id, workspace_id, kind, instance_id, actor_key_id, created_at, data) "
            f"SELECT 'evt_c' || lpad(g::text, 24, '0'), workspace_id, kind, instance_id, actor_key_id, now(), data "
            f"FROM events, generate_series(1, {BACKLOG}) AS g WHERE id = '{one}'"
        )
        while receiver.count() - before < BACKLOG and time.time() - started < 300:
            time.sleep(0.05)
        drained = time.time()
        arrived = receiver.count() - before
        results.append((f"drain of a backlog of {BACKLOG:,} events, no API load", f"{arrived / (drained - started):.0f} deliveries/s ({arrived:,} in {drained - started:.1f} s)"))

        # Beside an endpoint that never answers: a trickle in both workspaces.
        dead.call("POST", "/webhookEndpoints", {"url": f"http://127.0.0.1:{dead_port}/hook"})
        started = time.time()
        made = 0
        while time.time() - started < DURATION:
            hooks.call("POST", "/programs/battery-rebate/instances", {"name": f"Trickle {made}"})
            dead.call("POST", "/programs/battery-rebate/instances", {"name": f"Trickle {made}"})
            made += 1
            time.sleep(0.05)
        ended = time.time()
        time.sleep(3)
        lags = receiver.lags("ws_hooks", started, ended)
        stuck = int(sql("SELECT count(*) FROM webhook_deliveries WHERE state = 'pending' AND workspace_id = 'ws_dead'"))
        results.append(("beside a dead endpoint: the healthy one's lag p50 / p99 / max", f"{percentile(lags, 50):.3f} s / {percentile(lags, 99):.3f} s / {lags[-1] if lags else float('nan'):.3f} s ({len(lags)} events; {made} creates per workspace; {stuck} of the dead one's pending)"))

        lost = sql("SELECT count(*) FROM webhook_deliveries WHERE workspace_id = 'ws_hooks' AND state <> 'succeeded'")
        results.append(("healthy workspace's deliveries not delivered at the end", lost))

        print(f"| webhooks ({os.cpu_count()} cores, {DURATION} s loads, {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}) | |")
        print("|---|---|")
        for label, value in results:
            print(f"| {label} | {value} |")
        sys.stdout.flush()
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        subprocess.run(["psql", "-q", f"{PG}/postgres", "-c", f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)"], check=False)


if __name__ == "__main__":
    sys.exit(main())
