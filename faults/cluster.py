#!/usr/bin/env python3
"""The cluster fault suite (`just cluster-faults`): the reference deployment of
`deploy/cluster` (pg_auto_failover with two nodes, PgBouncer beside each, three API nodes,
HAProxy) under a create load through HAProxy, while the primary is switched over, the
primary's keeper and postgres are killed, the primary's PgBouncer restarts, an API node is
killed and another drained. Each scenario creates in a workspace of its own, retrying every
request on its own `Idempotency-Key`, beside a poller of the event feed, then checks that
every acknowledged write is on the primary, that none is duplicated, that every replay
equals its first answer, that the feed told of each create once with no gap, and prints the
longest time without a successful write. A webhook receiver on loopback counts what each
scenario's endpoint was sent: every acknowledged create delivered, duplicates (which
Standard Webhooks allows: same `webhook-id`) counted.

It starts the cluster and stops it (every process it started, by PID); the machine's own
PostgreSQL on 5432 is never touched. Traffic goes to 127.0.0.1 only, bounded in time.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import CreateLoad, FAILURES, check, request, verify_creates  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIR = os.environ.get("CLUSTER_DIR", "/tmp/program-instances-cluster")
HAPROXY = 8100
API_PORTS = {"api1": 8101, "api2": 8102, "api3": 8103}
BINARY = os.path.join(ROOT, "target", "release", "program-instances")
MONITOR = "postgres://autoctl_node@127.0.0.1:6500/pg_auto_failover?sslmode=disable"
POSTGRES_PATH = "/usr/lib/postgresql/15/bin:/usr/sbin:/usr/bin:/bin"
LOAD_SECONDS = 20
RECEIVER = None  # the WebhookReceiver main() starts
SUMMARY = []  # one row of the closing table per scenario


class FeedPoller:
    """A poller of the workspace's event feed through HAProxy, passing each page's
    `nextCursor` to the next request and retrying the same cursor after any failure."""

    def __init__(self, key):
        self.key = key
        self.cursor = None
        self.events = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.work)

    def page(self):
        path = "/events?limit=100" + (f"&cursor={self.cursor}" if self.cursor else "")
        try:
            status, _, body = request(HAPROXY, "GET", path, self.key, timeout=5)
        except Exception:
            return None
        if status != 200:
            return None
        self.cursor = body["nextCursor"]
        self.events.extend(body["data"])
        return len(body["data"])

    def work(self):
        while not self.stopping.is_set():
            if not self.page():
                time.sleep(0.2)

    def start(self):
        self.thread.start()
        return self

    def finish(self):
        """Stops polling in the background, then reads to the end of the feed."""
        self.stopping.set()
        self.thread.join()
        empty = 0
        deadline = time.monotonic() + 60
        while empty < 2 and time.monotonic() < deadline:
            got = self.page()
            empty = empty + 1 if got == 0 else 0
            if got is None:
                time.sleep(0.2)


def verify_feed(feed, load):
    created = {body["id"] for status, body in load.answers.values() if status == 201}
    ids = [event["id"] for event in feed.events]
    check("the feed gave each event once", len(ids) == len(set(ids)), f"{len(ids) - len(set(ids))} repeated")
    told = [event["data"]["object"]["id"] for event in feed.events if event["type"] == "programInstance.created"]
    # Every create was answered in the end (a retry replays a lost answer), so the feed
    # must tell of exactly the acknowledged ones, each once.
    missing, unknown = created - set(told), set(told) - created
    check(
        "the feed told of every acknowledged create once, and of nothing else (no gap across the fault)",
        not missing and not unknown and len(told) == len(created),
        f"{len(told)} created events for {len(created)} creates; {len(missing)} missing, {len(unknown)} unknown",
    )
    return len(missing)


class WebhookReceiver:
    """An HTTP server on loopback answering every delivery 204 at once, recording the
    `webhook-id` and the created object's id by path (one path per scenario)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received = {}  # path -> [(webhook-id, object id)]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                with receiver.lock:
                    receiver.received.setdefault(self.path, []).append(
                        (self.headers["webhook-id"], body["data"]["object"]["id"])
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def subscribe(self, key, path):
        body = {"url": f"http://127.0.0.1:{self.port}{path}", "eventTypes": ["programInstance.created"]}
        status, _, answer = request(HAPROXY, "POST", "/webhookEndpoints", key, body)
        if status != 201:
            raise RuntimeError(f"webhook endpoint not created: {status} {answer}")

    def verify(self, path, load, limit=180):
        """Waits for a delivery of every acknowledged create, then counts duplicates."""
        created = {body["id"] for status, body in load.answers.values() if status == 201}
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            with self.lock:
                delivered = {object_id for _, object_id in self.received.get(path, [])}
            if created <= delivered:
                break
            time.sleep(0.5)
        with self.lock:
            deliveries = list(self.received.get(path, []))
        ids = [webhook_id for webhook_id, _ in deliveries]
        delivered = {object_id for _, object_id in deliveries}
        duplicates = len(ids) - len(set(ids))
        print(f"  webhooks: {len(set(ids))} events delivered, {duplicates} duplicates (same webhook-id)")
        check(
            "every acknowledged create was delivered to the webhook endpoint, and nothing else",
            created == delivered,
            f"{len(created - delivered)} not delivered, {len(delivered - created)} unknown",
        )
        return duplicates


def cluster(action):
    subprocess.run(["bash", os.path.join(ROOT, "deploy", "cluster"), action], check=True)


def environment():
    env = dict(os.environ)
    with open(os.path.join(DIR, "api1.env")) as lines:
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                name, value = line.split("=", 1)
                env[name] = value
    return env


def command(*args):
    output = subprocess.run([BINARY, *args], env=environment(), check=True, capture_output=True, text=True)
    return json.loads(output.stdout)


def as_postgres(*args):
    subprocess.run(
        ["runuser", "-u", "postgres", "--", "env", f"PATH={POSTGRES_PATH}", f"HOME={DIR}", *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def monitor(sql):
    return subprocess.run(["psql", "-qtAc", sql, MONITOR], check=True, capture_output=True, text=True).stdout.strip()


def primary():
    """The node the monitor has made the writable one (primary, or primary without a
    standby yet)."""
    return monitor(
        "SELECT nodename FROM pgautofailover.node WHERE goalstate IN ('primary', 'wait_primary') AND reportedstate = goalstate"
    )


def settled(limit=180):
    """Waits until one node is primary, the other a synchronous secondary, and every API
    node is ready; says what it last saw when that does not happen."""
    deadline = time.monotonic() + limit
    states, ready = "unknown", {}
    while time.monotonic() < deadline:
        try:
            states = monitor("SELECT string_agg(nodename || ' ' || reportedstate || '/' || goalstate, ', ' ORDER BY nodeid) FROM pgautofailover.node")
            ready = {name: request(port, "GET", "/readyz", timeout=2)[0] for name, port in API_PORTS.items()}
        except Exception as error:
            states = f"unreadable: {error}"
        roles = sorted(state.split(" ")[1] for state in states.split(", ") if " " in state)
        if roles == ["primary/primary", "secondary/secondary"] and all(status == 200 for status in ready.values()):
            return True
        time.sleep(0.5)
    print(f"  not settled after {limit} s: nodes {states}; /readyz {ready}", flush=True)
    return False


def pid_of(name):
    with open(os.path.join(DIR, "pids", name)) as file:
        return int(file.read().strip())


def start_api(name):
    port = API_PORTS[name]
    env = environment()
    env["BIND_ADDR"] = f"127.0.0.1:{port}"
    log = open(os.path.join(DIR, "logs", f"{name}.log"), "a")
    process = subprocess.Popen([BINARY, "serve"], env=env, stdout=log, stderr=log)
    with open(os.path.join(DIR, "pids", name), "w") as file:
        file.write(str(process.pid))
    return process


def haproxy_sessions(server):
    """How many sessions HAProxy has sent to `server` in the `api_ready` backend (its
    statistics socket)."""
    with socket.socket(socket.AF_UNIX) as connection:
        connection.connect(os.path.join(DIR, "haproxy.sock"))
        connection.sendall(b"show stat\n")
        text = b""
        while chunk := connection.recv(65536):
            text += chunk
    lines = text.decode().splitlines()
    columns = lines[0].lstrip("# ").split(",")
    for line in lines[1:]:
        row = dict(zip(columns, line.split(",")))
        if row.get("pxname") == "api_ready" and row.get("svname") == server:
            return int(row["stot"])
    raise RuntimeError(f"HAProxy does not know {server}")


def run_scenario(short, title, fault, during=None, recover=None):
    """Creates under load through HAProxy, `fault()` 5 s in, `during()` 5 s after it (the
    load still running), `recover()` once the load has stopped; then checks every promise."""
    print(title, flush=True)
    workspace = f"ws_{short}_{int(time.time())}"
    command("workspaces", "create", "--name", title, "--id", workspace)
    key = command("keys", "create", "--workspace", workspace)["key"]
    RECEIVER.subscribe(key, f"/{short}")
    feed = FeedPoller(key).start()
    load = CreateLoad(HAPROXY, key).start()
    time.sleep(5)
    fault_at = time.monotonic()
    fault()
    time.sleep(5)
    if during:
        during()
    time.sleep(LOAD_SECONDS - 10)
    load.stop()
    if recover:
        recover()
    successes = sorted(load.successes)
    gaps = [b - a for a, b in zip(successes, successes[1:]) if b >= fault_at - 1]
    gap = max(gaps or [0])
    print(f"  longest write gap around the fault: {gap:.2f} s; {load.faults} 5xx or lost connections retried")
    counts = verify_creates(load, HAPROXY, key, "creates")
    feed.finish()
    feed_gaps = verify_feed(feed, load)
    duplicates = RECEIVER.verify(f"/{short}", load)
    check("the cluster settles again (a primary, a synchronous secondary, every node ready)", settled())
    SUMMARY.append(
        (title.split(":")[0], len(load.answers), counts["lost"], counts["duplicated"], counts["replays equal"],
         feed_gaps, duplicates, load.faults, gap)
    )
    return load


def switchover():
    as_postgres("pg_autoctl", "perform", "switchover", "--pgdata", f"{DIR}/monitor")


def descendants(root):
    """`root` and every process below it."""
    children = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as file:
                parent = int(file.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(pid))
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def kill_primary():
    node = primary()
    for pid in descendants(pid_of(node)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    kill_primary.node = node


def restart_killed_node():
    node = kill_primary.node
    time.sleep(2)
    log = open(os.path.join(DIR, "logs", f"{node}.log"), "a")
    keeper = subprocess.Popen(
        ["runuser", "-u", "postgres", "--", "env", f"PATH={POSTGRES_PATH}", f"HOME={DIR}",
         "pg_autoctl", "run", "--pgdata", f"{DIR}/{node}"],
        stdout=log, stderr=log,
    )
    with open(os.path.join(DIR, "pids", node), "w") as file:
        file.write(str(keeper.pid))


def restart_primary_bouncer():
    number = primary()[-1]
    folder = os.path.join(DIR, f"pgbouncer{number}")
    os.kill(pid_of(f"pgbouncer{number}"), signal.SIGTERM)
    for _ in range(50):
        if not os.path.exists(os.path.join(folder, "pgbouncer.pid")):
            break
        time.sleep(0.1)
    as_postgres("pgbouncer", "-d", os.path.join(folder, "pgbouncer.ini"))
    for _ in range(50):
        if os.path.exists(os.path.join(folder, "pgbouncer.pid")):
            break
        time.sleep(0.1)
    with open(os.path.join(folder, "pgbouncer.pid")) as source, open(os.path.join(DIR, "pids", f"pgbouncer{number}"), "w") as target:
        target.write(source.read())


def kill_api():
    os.kill(pid_of("api2"), signal.SIGKILL)


def restart_api_under_load():
    """The killed node comes back while the load runs: once ready, HAProxy sends it work."""
    before = haproxy_sessions("api2")
    start_api("api2")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and haproxy_sessions("api2") == before:
        time.sleep(0.2)
    check("a node started under load takes requests within 10 s", haproxy_sessions("api2") > before)


def drain_api():
    os.kill(pid_of("api3"), signal.SIGTERM)


def main():
    global RECEIVER
    RECEIVER = WebhookReceiver()
    # The receiver is on loopback and speaks plain http; retries come in seconds, not hours.
    os.environ.update(WEBHOOK_ALLOW_HTTP="true", WEBHOOK_ALLOW_PRIVATE="true", WEBHOOK_BACKOFF_SCALE="0.001", WEBHOOK_WORKERS="2")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "server"], cwd=ROOT, check=True)
    cluster("up")
    started = time.monotonic()
    try:
        command("init")
        check("the cluster is up and settled", settled())
        run_scenario("switchover", "Switchover: pg_autoctl perform switchover", switchover)
        run_scenario("failover", "Failover: the primary's keeper and postgres killed", kill_primary, recover=restart_killed_node)
        run_scenario("pgbouncer", "PgBouncer: the primary's PgBouncer restarted", restart_primary_bouncer)
        run_scenario("kill", "Kill and add: an API node killed with SIGKILL, started again under load", kill_api, during=restart_api_under_load)
        drained = run_scenario("drain", "Drain: an API node stopped with SIGTERM", drain_api, recover=lambda: start_api("api3"))
        check("a drain costs clients no error", drained.faults == 0, f"{drained.faults} retried")
    finally:
        cluster("down")
    print("\n| scenario | acknowledged | lost | duplicated | replays equal | feed gaps | webhook duplicates | 5xx or resets retried | longest write gap |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for *cells, gap in SUMMARY:
        print("| " + " | ".join(str(cell) for cell in cells) + f" | {gap:.2f} s |")
    print(f"cluster faults: {len(FAILURES)} broken promises in {time.monotonic() - started:.0f} s")
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
