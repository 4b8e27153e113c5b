#!/usr/bin/env python3
"""The fault suite (`just faults`): the real server under load while its database restarts,
crashes or holds a lock, while the server itself is killed or stopped, and two servers on one
database. Each scenario prints its figures and checks the promises the API makes; any broken
one fails the run.

It restarts the machine's PostgreSQL (and leaves it running), so it never runs beside the
test suite. All traffic goes to 127.0.0.1, bounded in count and time. Python's standard
library only.
"""

import argparse
import http.client
import json
import os
import random
import signal
import string
import subprocess
import sys
import tempfile
import threading
import time

PG_HOST = "127.0.0.1"
PG_ADMIN = f"postgres://postgres@{PG_HOST}:5432/postgres"
CLUSTER = None  # the PostgreSQL version of the local cluster, found at start
FAILURES = []
LOST = (ConnectionError, http.client.HTTPException, OSError, TimeoutError)


def check(promise, held, detail=""):
    print(f"  {'ok  ' if held else 'FAIL'} {promise}{': ' + detail if detail else ''}")
    if not held:
        FAILURES.append(promise)


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port, method, path, key=None, body=None, headers=None, timeout=15):
    """One request on a fresh connection: (status, headers, parsed body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        sent = dict(headers or {})
        data = None
        if key:
            sent["Authorization"] = f"Bearer {key}"
        if body is not None:
            data = json.dumps(body)
            sent.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed
    finally:
        conn.close()


def pg(*args):
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", CLUSTER, "main", *args],
        check=True,
        capture_output=True,
    )


def pg_ready():
    return (
        subprocess.run(
            ["pg_isready", "-q", "-h", PG_HOST, "-p", "5432"], capture_output=True
        ).returncode
        == 0
    )


def wait_pg_ready(limit=60):
    deadline = time.monotonic() + limit
    while not pg_ready():
        if time.monotonic() > deadline:
            raise RuntimeError("PostgreSQL did not come back")
        time.sleep(0.02)
    return time.monotonic()


def ensure_pg_running():
    if not pg_ready():
        pg("start")
        wait_pg_ready()


def psql(sql, database="postgres"):
    return subprocess.run(
        ["psql", "-q", "-At", "-h", PG_HOST, "-U", "postgres", "-d", database, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


class Server:
    """A `program-instances serve` process."""

    def __init__(self, binary, env, port):
        self.binary, self.port = binary, port
        self.env = {**os.environ, "RUST_LOG": "warn", **env, "BIND_ADDR": f"127.0.0.1:{port}"}
        self.process = None
        self.log = tempfile.TemporaryFile()

    def command(self, *args):
        done = subprocess.run(
            [self.binary, *args], env=self.env, capture_output=True, text=True, check=True
        )
        return json.loads(done.stdout)

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "serve"], env=self.env, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/healthz", timeout=1)[0] == 200:
                    return self
            except LOST:
                time.sleep(0.02)
        raise RuntimeError("the server did not start")

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            self.process.send_signal(sig)
            self.process.wait(timeout=60)

    def stop(self):
        self.kill(signal.SIGTERM)


def workspace_key(server, workspace="ws_faults"):
    server.command("workspaces", "create", "--name", "Faults", "--id", workspace)
    try:
        server.command("programs", "create", "--slug", "battery-rebate", "--name", "Battery")
    except subprocess.CalledProcessError:
        pass  # the catalog is shared by every workspace of the database
    return server.command("keys", "create", "--workspace", workspace)["key"]


def token(n=12):
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=n))


class CreateLoad:
    """Workers creating instances, each with its own `Idempotency-Key`, retrying the same
    request until it is answered (anything but a 5xx or a lost connection), then replaying
    it once more to compare."""

    def __init__(self, port, key, workers=8, give_up_after=60):
        self.port, self.key, self.workers, self.give_up = port, key, workers, give_up_after
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.answers = {}  # key -> (status, body)
        self.replays = {}  # key -> (status, headers, body)
        self.unanswered = []
        self.faults = 0  # 5xx and lost connections, retried
        self.successes = []  # monotonic times of 2xx answers
        self.threads = [threading.Thread(target=self.work) for _ in range(workers)]

    def create(self, idempotency_key):
        body = {"name": f"F {idempotency_key}"}
        headers = {"Idempotency-Key": idempotency_key}
        return request(self.port, "POST", "/programs/battery-rebate/instances", self.key, body, headers)

    def work(self):
        while not self.stopping.is_set():
            idempotency_key = token()
            started = time.monotonic()
            answer = None
            while answer is None and time.monotonic() - started < self.give_up:
                try:
                    status, _, body = self.create(idempotency_key)
                    if status < 500:
                        answer = (status, body)
                        if 200 <= status < 300:
                            with self.lock:
                                self.successes.append(time.monotonic())
                        break
                except LOST:
                    pass
                with self.lock:
                    self.faults += 1
                time.sleep(0.05)
            with self.lock:
                if answer is None:
                    self.unanswered.append(idempotency_key)
                    continue
                self.answers[idempotency_key] = answer
            replay = None
            while replay is None and time.monotonic() - started < self.give_up:
                try:
                    status, headers, body = self.create(idempotency_key)
                    if status < 500:
                        replay = (status, headers, body)
                        break
                except LOST:
                    pass
                time.sleep(0.05)
            with self.lock:
                self.replays[idempotency_key] = replay

    def start(self):
        for thread in self.threads:
            thread.start()
        return self

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()

    def first_success_after(self, instant):
        later = [t for t in self.successes if t >= instant]
        return (min(later) - instant) if later else None


def without_request_id(body):
    if isinstance(body, dict):
        return {k: v for k, v in body.items() if k != "requestId"}
    return body


def verify_creates(load, port, key, label):
    """Checks every promise about the load's creates; returns the counts it checked."""
    created = {k: body for k, (status, body) in load.answers.items() if status == 201}
    other = {k: status for k, (status, _) in load.answers.items() if status != 201}
    print(
        f"  {label}: {len(load.answers)} keys answered ({len(created)} created), "
        f"{load.faults} faults retried, {len(load.unanswered)} unanswered"
    )
    check("every request was answered in the end", not load.unanswered, str(load.unanswered[:3]))
    check("every key created its instance (no 409 for a retried create)", not other, str(other)[:200])
    lost = [k for k, body in created.items()
            if request(port, "GET", f"/programInstances/{body['id']}", key)[0] != 200]
    check("0 acknowledged writes lost", not lost, str(lost[:3]))
    mismatched = []
    for k, (status, body) in load.answers.items():
        replay = load.replays.get(k)
        if replay is None or replay[0] != status or without_request_id(replay[2]) != without_request_id(body):
            mismatched.append(k)
    check("every replay equals its first answer", not mismatched, str(mismatched[:3]))
    listed, cursor = 0, None
    while True:
        path = "/programInstances?limit=100" + (f"&cursor={cursor}" if cursor else "")
        status, _, page = request(port, "GET", path, key)
        listed += len(page["data"])
        cursor = page["nextCursor"]
        if not page["hasMore"]:
            break
    check("0 duplicates", listed == len(created), f"{listed} instances for {len(created)} creates")
    return {
        "lost": len(lost),
        "duplicated": listed - len(created),
        "replays equal": f"{len(load.answers) - len(mismatched)}/{len(load.answers)}",
    }


def scenario_postgres_restart(binary):
    print("PostgreSQL fast restart, then immediate stop, under create load")
    database = f"pi_faults_{os.getpid()}"
    port = free_port()
    server = Server(binary, {"DATABASE_URL": f"postgres://postgres@{PG_HOST}:5432/{database}"}, port)
    try:
        server.command("migrate")
        server.start()
        pid = server.process.pid
        key = workspace_key(server)
        load = CreateLoad(port, key).start()
        time.sleep(2)
        pg("restart", "-m", "fast")
        ready_after_restart = wait_pg_ready()
        time.sleep(2)
        pg("stop", "-m", "immediate")
        time.sleep(1)
        pg("start")
        ready_after_crash = wait_pg_ready()
        time.sleep(3)
        load.stop()
        for label, ready in (("fast restart", ready_after_restart), ("immediate stop", ready_after_crash)):
            first = load.first_success_after(ready)
            check(
                f"first success < 1 s after PostgreSQL answers ({label})",
                first is not None and first < 1.0,
                "none" if first is None else f"{first * 1000:.0f} ms",
            )
        verify_creates(load, port, key, "creates")
        check("no server restart", server.alive() and server.process.pid == pid)
    finally:
        server.stop()
        ensure_pg_running()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def scenario_sqlite_kill(binary):
    print("SQLite: the server killed with SIGKILL under create load, then restarted")
    folder = tempfile.mkdtemp(prefix="pi_faults_")
    port = free_port()
    server = Server(binary, {"DATABASE_URL": f"sqlite://{folder}/faults.db"}, port)
    try:
        server.command("migrate")
        server.start()
        key = workspace_key(server)
        load = CreateLoad(port, key).start()
        time.sleep(2)
        server.kill()
        killed = time.monotonic()
        time.sleep(0.5)
        server.start()
        back = time.monotonic()
        time.sleep(2)
        load.stop()
        print(f"  down for {(back - killed) * 1000:.0f} ms")
        verify_creates(load, port, key, "creates")
    finally:
        server.stop()
        subprocess.run(["rm", "-rf", folder])


def concurrently(calls):
    results = [None] * len(calls)

    def run(index, call):
        try:
            results[index] = call()
        except LOST as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def scenario_two_processes(binary):
    print("Two serve processes on one PostgreSQL database")
    database = f"pi_faults_two_{os.getpid()}"
    url = f"postgres://postgres@{PG_HOST}:5432/{database}"
    first = Server(binary, {"DATABASE_URL": url}, free_port())
    second = Server(binary, {"DATABASE_URL": url}, free_port())
    try:
        first.command("migrate")
        first.start()
        second.start()
        key = workspace_key(first)
        resources, answers = 0, []
        for attempt in range(20):
            idempotency_key = f"same-{attempt}-{token(6)}"
            body = {"name": f"Twin {idempotency_key}"}
            headers = {"Idempotency-Key": idempotency_key}
            path = "/programs/battery-rebate/instances"
            replies = concurrently(
                [lambda s=s: request(s.port, "POST", path, key, body, headers) for s in (first, second)]
            )
            for reply in replies:
                if isinstance(reply, tuple) and reply[0] == 409:
                    # The twin was still being written: a retry replays its answer.
                    time.sleep(0.05)
                    reply = request(first.port, "POST", path, key, body, headers)
                answers.append(reply)
            ids = {r[2]["id"] for r in answers[-2:] if isinstance(r, tuple) and r[0] == 201}
            resources += len(ids)
        check("the same key at once on both processes makes one resource each time",
              resources == 20, f"{resources} resources for 20 keys")
        check("both answers are the same 201",
              all(isinstance(r, tuple) and r[0] == 201 for r in answers))
        winners = 0
        for attempt in range(10):
            _, _, instance = request(first.port, "POST", "/programs/battery-rebate/instances", key,
                                     {"name": f"Raced {attempt} {token(6)}"})
            path = f"/programInstances/{instance['id']}"
            replies = concurrently([
                lambda s=s, n=n: request(s.port, "PATCH", path, key, {"description": f"by {n}"},
                                         {"If-Match": '"1"', "Content-Type": "application/merge-patch+json"})
                for n, s in enumerate((first, second, first, second))
            ])
            statuses = sorted(r[0] for r in replies if isinstance(r, tuple))
            winners += statuses == [200, 412, 412, 412]
        check("If-Match races across processes have one winner", winners == 10, f"{winners}/10")
        minted = first.command("keys", "create", "--workspace", "ws_faults", "--name", "revoked")
        probe = minted["key"]
        assert request(second.port, "GET", "/programs", probe)[0] == 200
        revoked_at = time.monotonic()
        status = request(first.port, "DELETE", f"/apiKeys/{minted['id']}", key)[0]
        check("the key is revoked", status == 204, str(status))
        refused_after = None
        while time.monotonic() - revoked_at < 10:
            if request(second.port, "GET", "/programs", probe)[0] == 401:
                refused_after = time.monotonic() - revoked_at
                break
            time.sleep(0.1)
        check("the other process refuses the revoked key within the 5 s bound",
              refused_after is not None and refused_after <= 5.5,
              "never" if refused_after is None else f"{refused_after:.1f} s")
    finally:
        first.stop()
        second.stop()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def scenario_held_lock(binary):
    print("A table lock held for 10 s")
    database = f"pi_faults_lock_{os.getpid()}"
    port = free_port()
    server = Server(binary, {"DATABASE_URL": f"postgres://postgres@{PG_HOST}:5432/{database}"}, port)
    holder = None
    try:
        server.command("migrate")
        server.start()
        key = workspace_key(server)
        _, _, instance = request(port, "POST", "/programs/battery-rebate/instances", key, {"name": "Locked"})
        path = f"/programInstances/{instance['id']}"
        holder = subprocess.Popen(
            ["psql", "-q", "-h", PG_HOST, "-U", "postgres", "-d", database, "-c",
             "BEGIN; LOCK TABLE program_instances IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(10); COMMIT;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        started = time.monotonic()
        status, headers, _ = request(port, "GET", path, key)
        blocked_for = time.monotonic() - started
        check("a request behind the lock answers 503 with Retry-After",
              status == 503 and "retry-after" in headers, str(status))
        check("… within the bound (lock_timeout 2 s)", blocked_for < 3.0, f"{blocked_for:.2f} s")
        started = time.monotonic()
        ready = request(port, "GET", "/readyz")[0]
        ready_in = time.monotonic() - started
        check("/readyz answers 200 within 1 s", ready == 200 and ready_in < 1.0,
              f"{ready} in {ready_in * 1000:.0f} ms")
        holder.wait(timeout=30)
        check("after the lock, the request succeeds", request(port, "GET", path, key)[0] == 200)
    finally:
        if holder is not None and holder.poll() is None:
            holder.kill()
        server.stop()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def scenario_clean_shutdown(binary):
    print("SIGTERM under keep-alive load")
    folder = tempfile.mkdtemp(prefix="pi_faults_")
    port = free_port()
    drain = 1.5
    env = {"DATABASE_URL": f"sqlite://{folder}/faults.db", "SHUTDOWN_DRAIN_MS": str(int(drain * 1000))}
    server = Server(binary, env, port)
    counts = {"ok": 0, "closed": 0, "refused": 0}
    resets = []  # (seconds after the signal, whether the connection had served before)
    signalled = [None]
    lock = threading.Lock()
    stop = threading.Event()

    def client():
        conn, served = None, False
        while not stop.is_set():
            if conn is None:
                conn, served = http.client.HTTPConnection("127.0.0.1", port, timeout=10), False
            try:
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                outcome = "ok"
                served = True
                if response.getheader("connection", "").lower() == "close":
                    outcome = "closed"
                    conn.close()
                    conn = None
                with lock:
                    counts[outcome] += 1
            except ConnectionRefusedError:
                conn = None
                with lock:
                    counts["refused"] += 1
                time.sleep(0.05)
            except LOST:
                at = time.monotonic() - signalled[0] if signalled[0] else None
                with lock:
                    resets.append((at, served))
                conn = None
            # Idle between requests, as keep-alive clients are.
            time.sleep(random.uniform(0.0, 0.02))

    try:
        server.start()
        threads = [threading.Thread(target=client) for _ in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(1)
        signalled[0] = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=60)
        time.sleep(0.3)
        stop.set()
        for thread in threads:
            thread.join()
        print(f"  {counts['ok']} answered before, {counts['closed']} during the drain "
              f"(Connection: close), {counts['refused']} refused after the stop")
        check("responses during the drain carry Connection: close", counts["closed"] > 0)
        # A connection made in the instant the listener closes sits in the kernel's queue,
        # unread, and is reset with it: its request never reached the server.
        reached = [(at, served) for at, served in resets
                   if served or at is None or at < drain - 0.05]
        check("no request that reached the server was reset", not reached,
              f"{len(reached)} resets: {reached}")
        if len(resets) > len(reached):
            print(f"  ({len(resets) - len(reached)} new connections refused by the closing listener)")
    finally:
        stop.set()
        server.kill()
        subprocess.run(["rm", "-rf", folder])


SCENARIOS = {
    "postgres-restart": scenario_postgres_restart,
    "sqlite-kill": scenario_sqlite_kill,
    "two-processes": scenario_two_processes,
    "held-lock": scenario_held_lock,
    "clean-shutdown": scenario_clean_shutdown,
}


def main():
    global CLUSTER
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--binary", default="target/debug/program-instances")
    parser.add_argument("scenarios", nargs="*", help=f"some of: {', '.join(SCENARIOS)} (default all)")
    args = parser.parse_args()
    unknown = [name for name in args.scenarios if name not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(unknown)}")
    CLUSTER = sorted(os.listdir("/etc/postgresql"))[-1]
    ensure_pg_running()
    started = time.monotonic()
    try:
        for name in args.scenarios or SCENARIOS:
            SCENARIOS[name](args.binary)
    finally:
        ensure_pg_running()
    print(f"faults: {len(FAILURES)} broken promises in {time.monotonic() - started:.0f} s")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
