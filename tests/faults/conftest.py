"""The fault suite's world: a private PostgreSQL cluster and Redis on free ports, with a
gunicorn (2 workers), a Celery worker and beat running the portal against them.

Nothing here touches the machine's shared PostgreSQL (5432) or Redis (6379): every
service is started from a temporary directory and stopped by its process id at the end,
also when a test fails. Without PostgreSQL's server binaries or redis-server the suite
skips saying so; in CI (``CI=true``) it fails instead.

Each scenario adds what clients saw and how long recovery took to ``FIGURES``; the
summary is printed at the end of the run (and by each test as it finishes).
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = "travelportal_faults"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

# (fault, what clients saw, recovery), filled in by the scenarios.
FIGURES: list[tuple[str, str, str]] = []


def record_figures(capsys, fault: str, seen: str, recovery: str) -> None:
    FIGURES.append((fault, seen, recovery))
    with capsys.disabled():
        print(f"\n[faults] {fault}\n  clients saw: {seen}\n  recovery:    {recovery}")


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.section("fault suite: what clients saw and how long recovery took")
    for fault, seen, recovery in FIGURES:
        terminalreporter.write_line(f"{fault}\n    clients saw: {seen}\n    recovery:    {recovery}")


# --- finding the tools -------------------------------------------------------------------


def _postgres_bin() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: [int(x) for x in p.parent.name.split(".")]
    )
    for path in reversed(candidates):
        if (path / "initdb").exists() and (path / "pg_ctl").exists():
            return path
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and (Path(found).parent / "initdb").exists() else None


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the fault suite must run in CI: {reason}", pytrace=False)
    pytest.skip(f"fault suite skipped: {reason}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_until(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached within {timeout} s")
        time.sleep(interval)


# --- HTTP ----------------------------------------------------------------------------------


@dataclass
class Reply:
    method: str
    path: str
    status: int | None
    headers: dict
    body: bytes
    started: float
    elapsed: float
    error: str = ""

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def is_scim_unavailable(self) -> bool:
        if self.status != 503 or not self.content_type.startswith("application/scim+json"):
            return False
        if not self.headers.get("retry-after", "").isdigit():
            return False
        body = self.json
        return body.get("schemas") == [ERROR] and body.get("status") == "503" and bool(body.get("detail"))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def http(base: str, method: str, path: str, *, body=None, headers=None, timeout: float = 10.0) -> Reply:
    """One request; redirects are answers, not followed."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method, headers=dict(headers or {}))
    if data is not None:
        request.add_header("Content-Type", "application/scim+json")
    started = time.monotonic()
    try:
        with _opener.open(request, timeout=timeout) as response:
            status, head, content = response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        status, head, content = exc.code, exc.headers, exc.read()
    except (urllib.error.URLError, OSError) as exc:
        return Reply(method, path, None, {}, b"", started, time.monotonic() - started, error=str(exc))
    headers = {k.lower(): v for k, v in head.items()}
    return Reply(method, path, status, headers, content, started, time.monotonic() - started)


# --- the stack -----------------------------------------------------------------------------


@dataclass
class Stack:
    tmp: Path
    pg_bin: Path
    pg_port: int
    redis_port: int
    web_port: int
    env: dict = field(default_factory=dict)
    tokens: dict = field(default_factory=dict)
    procs: dict = field(default_factory=dict)
    _worker_count: int = 0

    # paths
    @property
    def pg_data(self) -> Path:
        return self.tmp / "pgdata"

    @property
    def pg_socket_dir(self) -> Path:
        return self.tmp / "pgsock"

    @property
    def redis_pidfile(self) -> Path:
        return self.tmp / "redis.pid"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def log(self, name: str) -> Path:
        return self.tmp / f"{name}.log"

    # PostgreSQL
    def _as_postgres(self, cmd: list[str]) -> list[str]:
        if os.geteuid() == 0:
            # initdb and postgres refuse to run as root.
            return ["su", "postgres", "-s", "/bin/sh", "-c", shlex.join(cmd)]
        return cmd

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        cmd = [str(self.pg_bin / "pg_ctl"), "-D", str(self.pg_data), *args]
        subprocess.run(self._as_postgres(cmd), check=True, timeout=timeout, capture_output=True)

    def start_postgres(self) -> None:
        options = (
            f"-p {self.pg_port} -k {self.pg_socket_dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c max_connections=60"
        )
        self.pg_ctl("-w", "-t", "30", "-l", str(self.log("postgres")), "-o", options, "start")

    def stop_postgres(self) -> None:
        # fast: what a restart does; open sessions are ended, committed work is kept.
        self.pg_ctl("-w", "-t", "30", "-m", "fast", "stop")

    def postgres_pid(self) -> int | None:
        try:
            return int((self.pg_data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def sql(self, query: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=3) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.pg_port} user=postgres dbname={DB_NAME}"

    # Redis
    def start_redis(self) -> None:
        subprocess.run(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--daemonize", "yes", "--pidfile", str(self.redis_pidfile), "--logfile", str(self.log("redis")),
             "--dir", str(self.tmp)],
            check=True, timeout=30,
        )  # fmt: skip
        wait_until(lambda: port_open(self.redis_port), timeout=10, what="Redis accepting connections")

    def stop_redis(self) -> None:
        pid = self.redis_pid()
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        wait_until(lambda: not port_open(self.redis_port), timeout=10, what="Redis stopped")
        # The pidfile goes when Redis has exited.
        wait_until(lambda: not self.redis_pidfile.exists(), timeout=10, what="Redis exited")

    def redis_pid(self) -> int | None:
        try:
            return int(self.redis_pidfile.read_text().strip())
        except (OSError, ValueError):
            return None

    # the portal's processes
    def manage(self, *args: str, timeout: float = 120) -> str:
        began = time.monotonic()
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        print(f"[faults] manage.py {args[0]}: {time.monotonic() - began:.1f} s")
        return result.stdout

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.log(name), "ab")  # noqa: SIM115 (closed with the process)
        # A session of its own: the process and its children form one group, so a
        # SIGKILL can take a whole worker (main process and pool) as a crash would.
        proc = subprocess.Popen(
            [sys.executable, "-m", *args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        proc.log_file = log
        self.procs[name] = proc
        return proc

    def start_web(self) -> None:
        self._spawn(
            "gunicorn",
            ["gunicorn", "travelportal.wsgi:application", "--bind", f"127.0.0.1:{self.web_port}", "--workers", "2",
             "--timeout", "30", "--graceful-timeout", "5", "--access-logfile", "-"],
        )  # fmt: skip
        wait_until(
            lambda: self.scim("GET", "ServiceProviderConfig").status == 200, timeout=60, interval=0.3,
            what="gunicorn answering",
        )  # fmt: skip

    def start_worker(self, *, wait: bool = True) -> subprocess.Popen:
        self._worker_count += 1
        name = f"worker{self._worker_count}"
        proc = self._spawn(
            name,
            ["celery", "-A", "travelportal", "worker", "--loglevel", "INFO", "--pool", "prefork", "--concurrency",
             "2", "--hostname", f"faults-{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        )  # fmt: skip
        # One "worker" at a time; a dead predecessor (killed by a scenario) is reaped.
        self.procs.pop(name)
        self.stop("worker")
        self.procs["worker"] = proc
        if wait:
            self.wait_for_worker()
        return proc

    def wait_for_worker(self) -> None:
        name = f"worker{self._worker_count}"
        wait_until(lambda: b" ready." in self.log(name).read_bytes(), timeout=60, interval=0.2, what=f"{name} ready")

    def start_beat(self) -> None:
        self._spawn(
            "beat",
            ["celery", "-A", "travelportal", "beat", "--loglevel", "INFO", "--schedule",
             str(self.tmp / "celerybeat-schedule"), "--pidfile", str(self.tmp / "beat.pid")],
        )  # fmt: skip

    def pool_processes(self, proc: subprocess.Popen) -> list[int]:
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == proc.pid:
                children.append(int(stat.parent.name))
        return children

    def kill_group(self, proc: subprocess.Popen) -> None:
        """SIGKILL the process and everything in its group, as a crash or OOM kill would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill_group(proc)
        # Pool processes left behind by a killed main process, by their group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.log_file.close()

    # SCIM
    def scim(self, method: str, path: str, body=None, *, company: str = "faults", timeout: float = 10.0) -> Reply:
        headers = {"Authorization": f"Bearer {self.tokens[company]}", "Accept": "application/scim+json"}
        return http(self.base, method, f"/scim/v2/{path}", body=body, headers=headers, timeout=timeout)

    def create_user(self, user_name: str, *, manager: str | None = None, company: str = "faults") -> Reply:
        body = {"schemas": [CORE], "userName": user_name, "active": True,
                "name": {"givenName": user_name.split("@")[0], "familyName": "Fault"}}  # fmt: skip
        if manager:
            body["schemas"].append(ENTERPRISE)
            body[ENTERPRISE] = {"manager": {"value": manager}}
        return self.scim("POST", "Users", body, company=company)

    def tail(self, name: str, lines: int = 40) -> str:
        try:
            return "\n".join(self.log(name).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def company_id(self, slug: str) -> int:
        return self.sql("SELECT id FROM companies_company WHERE slug = %s", (slug,))[0][0]

    def outbox_size(self) -> int:
        return self.sql("SELECT count(*) FROM approvals_pendingchainchange")[0][0]

    def requesters_of(self, owner_id: str) -> set[str] | None:
        """The requesters of the automatic process owned by ``owner_id``, or None if none."""
        rows = self.sql(
            "SELECT p.id FROM approvals_approvalprocess p WHERE p.kind = 'automatic' AND p.owner_id = %s", (owner_id,)
        )
        if not rows:
            return None
        return {
            str(r[0])
            for r in self.sql(
                "SELECT user_id FROM approvals_approvalprocess_requesters WHERE approvalprocess_id = %s", (rows[0][0],)
            )
        }


# One Django start-up for the whole seed: the portal's own commands, run in one process.
SEED = """
import io, json
from django.core.management import call_command
from travelportal.companies.models import Company
call_command("migrate", interactive=False, verbosity=0)
tokens = {}
for slug, name in (("faults", "Faults"), ("other", "Other"), ("burst", "Burst")):
    call_command("create_company", slug, name=name, enable_scim=True)
    out = io.StringIO()
    call_command("issue_scim_token", slug, name="fault suite", stdout=out)
    tokens[slug] = out.getvalue().strip()
# Chains are built for this company (automatic approval processes through the IdP).
Company.objects.filter(slug="faults").update(approvals_through_idp=True, auto_approval_processes=True)
print("TOKENS" + json.dumps(tokens))
"""


# Package scope: the stack goes as soon as the last scenario is done, not at the end of
# the whole test run.
@pytest.fixture(scope="package")
def stack():
    pg_bin = _postgres_bin()
    if pg_bin is None:
        _unavailable("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    if shutil.which("redis-server") is None:
        _unavailable("redis-server is not installed")
    if os.geteuid() == 0 and subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
        _unavailable("running as root and there is no postgres OS user to run initdb as")

    began = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="tp-faults-"))
    tmp.chmod(0o755)
    s = Stack(tmp=tmp, pg_bin=pg_bin, pg_port=free_port(), redis_port=free_port(), web_port=free_port())
    failed = True
    try:
        for path in (s.pg_data, s.pg_socket_dir):
            path.mkdir()
            if os.geteuid() == 0:
                shutil.chown(path, "postgres", "postgres")
        s.log("postgres").touch()
        if os.geteuid() == 0:
            shutil.chown(s.log("postgres"), "postgres", "postgres")
        subprocess.run(
            s._as_postgres([str(pg_bin / "initdb"), "-D", str(s.pg_data), "-U", "postgres", "--auth=trust",
                            "--no-sync", "-E", "UTF8", "--locale=C"]),
            check=True, timeout=120, capture_output=True,
        )  # fmt: skip
        s.start_postgres()
        subprocess.run(
            [str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(s.pg_port), "-U", "postgres", DB_NAME],
            check=True, timeout=30, capture_output=True,
        )  # fmt: skip
        s.start_redis()
        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")}
        s.env = {
            **keep,
            "DJANGO_SETTINGS_MODULE": "travelportal.settings",
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{s.pg_port}/{DB_NAME}",
            "REDIS_URL": f"redis://127.0.0.1:{s.redis_port}/0",
            "SECRET_KEY": "fault-suite-only-secret-key-not-for-any-deployment",
            "FIELD_ENCRYPTION_KEYS": "vHkdjbmr2hdq32fITgWVeV-_DUUL1zCKSKYCgMZd_Mo=",
            "DEBUG": "0",
            # Served over plain http on loopback: no redirect to https.
            "SECURE_SSL_REDIRECT": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "APPROVALS_COALESCE_MS": "1000",
            # The load of the outage scenarios must not meet the rate limit; the burst
            # scenario gives one company a low limit of its own.
            "SCIM_RATE_LIMIT_PER_SECOND": "1000",
            "SCIM_RATE_LIMIT_BURST": "2000",
            "LOG_LEVEL": "INFO",
            "PYTHONUNBUFFERED": "1",
        }
        seeded = s.manage("shell", "-c", SEED, timeout=300)
        s.tokens = json.loads(seeded.split("TOKENS", 1)[1])
        s.start_beat()
        s.start_worker(wait=False)
        s.start_web()
        s.wait_for_worker()
        print(f"\n[faults] private stack up in {time.monotonic() - began:.1f} s: PostgreSQL :{s.pg_port}, "
              f"Redis :{s.redis_port}, gunicorn :{s.web_port}, in {tmp}")  # fmt: skip
        failed = False
        yield s
    finally:
        if failed:
            for name in ("postgres", "redis", "gunicorn", "worker1", "beat"):
                print(f"--- {name} log ---\n{s.tail(name)}")
        for name in list(s.procs):
            s.stop(name)
        with contextlib.suppress(Exception):
            s.stop_redis()
        pid = s.postgres_pid()
        if pid:
            # Stopped by its process id, as started: no other cluster is touched.
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGQUIT)
            with contextlib.suppress(AssertionError):
                wait_until(lambda: not (s.pg_data / "postmaster.pid").exists(), timeout=20)
        if failed or _failures:
            print(f"[faults] logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


_failures: list[str] = []


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.fault_failed = report.failed
        if report.failed:
            _failures.append(item.name)
    return report


@pytest.fixture
def healthy(stack, request):
    """Every service of the stack up before a scenario (a previous one may have failed);
    the services' logs printed after a scenario that failed."""
    if stack.postgres_pid() is None or not port_open(stack.pg_port):
        stack.start_postgres()
    if not port_open(stack.redis_port):
        stack.start_redis()
    worker = stack.procs.get("worker")
    if worker is None or worker.poll() is not None:
        stack.start_worker()
    yield stack
    for name in ("gunicorn", "worker", "beat"):
        proc = stack.procs.get(name)
        if proc is not None and proc.poll() is not None:
            print(f"--- {name} exited with {proc.returncode} ---")
    if getattr(request.node, "fault_failed", False):
        for name in ("gunicorn", *(f"worker{n}" for n in range(1, stack._worker_count + 1)), "beat"):
            errors = [line for line in stack.tail(name, 100_000).splitlines() if "ERROR" in line or "WARNING" in line]
            print(f"--- {name}: its errors and warnings ---\n" + "\n".join(errors[-40:]))
        for name in ("gunicorn", f"worker{stack._worker_count}", "beat", "postgres", "redis"):
            print(f"--- {name} log ---\n{stack.tail(name, 80)}")


class Load:
    """Client threads sending SCIM requests in bounded loops, recording every reply."""

    def __init__(self, stack: Stack, *, threads: int, pause: float = 0.05, max_requests: int = 3000) -> None:
        self.stack = stack
        self.replies: list[Reply] = []
        self.stop_event = threading.Event()
        self.pause = pause
        self.max_requests = max_requests
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)]
        self.created: dict[str, str] = {}  # userName -> id, of every 201
        # Each thread patches a person of its own: the titles it sent, in order, and the
        # last one answered 200.
        self.owners: list[str] = []
        self.titles_sent: dict[str, list[str]] = {}
        self.last_patched: dict[str, str] = {}

    def __enter__(self) -> Load:
        for n in range(len(self.threads)):
            own = self.stack.create_user(f"load-owner-{n}-{time.monotonic_ns()}@faults.example")
            assert own.status == 201, own.body
            self.owners.append(own.json["id"])
            self.titles_sent[own.json["id"]] = []
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)

    def _run(self, n: int) -> None:
        own_id = self.owners[n]
        for i in range(self.max_requests):
            if self.stop_event.is_set():
                return
            kind = i % 3
            if kind == 0:
                reply = self.stack.scim("GET", "Users?count=5")
            elif kind == 1:
                name = f"load-{n}-{i}-{time.monotonic_ns()}@faults.example"
                reply = self.stack.create_user(name)
                if reply.status == 201:
                    with self.lock:
                        self.created[name] = reply.json["id"]
            else:
                title = f"title {n}-{i}"
                self.titles_sent[own_id].append(title)
                reply = self.stack.scim(
                    "PATCH", f"Users/{own_id}",
                    {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": title}]},
                )  # fmt: skip
                if reply.status == 200:
                    self.last_patched[own_id] = title
            with self.lock:
                self.replies.append(reply)
            time.sleep(self.pause)
