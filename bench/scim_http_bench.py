"""Throughput of the SCIM Users API as Entra sees it: over HTTP, under gunicorn.

Creates a PostgreSQL database, migrates it, creates one company (one customer) with a
SCIM token, starts gunicorn on 127.0.0.1 with several workers, then drives it from this
process with a few concurrent clients (threads, ``http.client``, one connection per
request as gunicorn's sync workers close them). For POST, GET by id, filtered GET
(Entra's ``userName eq``) and PATCH it reports requests per second and p50/p95 latency.
Every phase is bounded by a request count and a time limit; nothing leaves 127.0.0.1.
The database is dropped at the end; ``--flush-redis`` empties the REDIS_URL database
(the queued approval tasks no Celery worker took). See bench/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tp_p1bench \\
    REDIS_URL=redis://127.0.0.1:6379/7 \\
    PYTHONPATH=. .venv/bin/python bench/scim_http_bench.py --requests 400 --clients 4 --workers 4 --flush-redis
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SCIM_TYPE = "application/scim+json"

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scim_bench import ENTERPRISE, body  # noqa: E402


def admin_connection(url: str):
    """A connection to the server's ``postgres`` database, to create and drop ours."""
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or HOST,
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def setup_database(env: dict[str, str]) -> str:
    """Migrate the new database and create the customer; returns the raw SCIM token."""
    script = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "call_command('migrate', verbosity=0)\n"
        "from travelportal.companies.models import Company, InvoiceProfile, TravelPolicy\n"
        "from travelportal.tokens.models import Credential\n"
        "from travelportal.tokens.services import issue_credential\n"
        "c = Company.objects.create(name='Bench', slug='bench', scim_enabled=True)\n"
        "TravelPolicy.objects.create(company=c, name='Standard')\n"
        "InvoiceProfile.objects.create(company=c, name='Bench Ltd')\n"
        "print(issue_credential(company=c, kind=Credential.Kind.SCIM_TOKEN, name='bench')[1])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=300
    )
    return out.stdout.strip().splitlines()[-1]


def wait_until_up(port: int, token: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/scim/v2/ServiceProviderConfig", headers={"Authorization": f"Bearer {token}"})
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def workers_cpu_seconds(master: int | None) -> float:
    """User + system CPU time of gunicorn's workers so far (Linux /proc), or 0 without it:
    what the portal itself costs per request, whatever else competes for the CPU."""
    if master is None:
        return 0.0
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        total = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


class Driver:
    """A few clients sending one phase's requests concurrently, bounded in count and time."""

    def __init__(self, port: int, token: str, clients: int, time_limit: float, master: int | None = None) -> None:
        self.port, self.clients, self.time_limit, self.master = port, clients, time_limit, master
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_TYPE, "Accept": SCIM_TYPE}

    def send(self, method: str, path: str, payload: dict | None = None) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        conn = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            conn.request(method, path, json.dumps(payload) if payload is not None else None, self.headers)
            response = conn.getresponse()
            content = response.read()
        finally:
            conn.close()
        return response.status, content, time.perf_counter() - started

    def phase(self, label: str, count: int, request: Callable[[int], tuple[str, str, dict | None, int]]) -> list:
        """Send ``count`` requests (``request(n)`` gives method, path, body, expected status)."""
        latencies: list[float] = []
        results: list[bytes | None] = [None] * count
        failures: list[str] = []
        lock = threading.Lock()
        next_index = iter(range(count))
        stop_at = time.monotonic() + self.time_limit

        def client() -> None:
            while time.monotonic() < stop_at:
                with lock:
                    n = next(next_index, None)
                if n is None:
                    return
                method, path, payload, expected = request(n)
                try:
                    status, content, elapsed = self.send(method, path, payload)
                except OSError as exc:
                    with lock:
                        failures.append(f"{method} {path}: {exc}")
                    continue
                with lock:
                    latencies.append(elapsed)
                    results[n] = content
                    if status != expected:
                        failures.append(f"{method} {path}: {status} {content[:200]!r}")

        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        cpu_started = workers_cpu_seconds(self.master)
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        cpu = workers_cpu_seconds(self.master) - cpu_started
        done = len(latencies)
        ms = sorted(x * 1000 for x in latencies) or [0.0]
        p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
        print(
            f"{label:<28} {done:>5} requests {elapsed:6.2f} s {done / elapsed:7.1f} req/s"
            f"  p50 {statistics.median(ms):6.1f} ms  p95 {p95:6.1f} ms  errors {len(failures)}"
            f"  workers' CPU {cpu / max(done, 1) * 1000:5.1f} ms/request",
            flush=True,
        )
        for failure in failures[:3]:
            print("   ", failure)
        return results


def run(args, port: int, token: str, master: int | None) -> None:
    driver = Driver(port, token, args.clients, args.time_limit, master)
    n = args.requests
    created = driver.phase("POST /Users", n, lambda i: ("POST", "/scim/v2/Users", body(i), 201))
    ids = [json.loads(c)["id"] for c in created if c]
    if not ids:
        raise SystemExit("no person was created")
    driver.phase("GET /Users/{id}", n, lambda i: ("GET", f"/scim/v2/Users/{ids[i % len(ids)]}", None, 200))

    def find(i: int):
        query = urlencode({"filter": f'userName eq "PERSON{i % len(ids)}@bench.example"'}, quote_via=quote)
        return "GET", f"/scim/v2/Users?{query}", None, 200

    driver.phase("GET /Users?filter=userName", n, find)

    def patch(i: int):
        operations = [
            {"op": "Replace", "path": "title", "value": f"Title {i}"},
            {"op": "Add", "path": f"{ENTERPRISE}:manager", "value": ids[(i + 1) % len(ids)]},
        ]
        return "PATCH", f"/scim/v2/Users/{ids[i % len(ids)]}", {"Operations": operations}, 200

    driver.phase("PATCH /Users/{id}", n, patch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="requests per phase (default 400)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per phase at most (default 60)")
    parser.add_argument("--flush-redis", action="store_true", help="empty the REDIS_URL database at the end")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://…/<a database name of your own>; it is created and dropped")
    name = urlsplit(url).path.lstrip("/")
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "travelportal.settings",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-secret-key"),
        "FIELD_ENCRYPTION_KEYS": os.environ.get(
            "FIELD_ENCRYPTION_KEYS", "vHkdjbmr2hdq32fITgWVeV-_DUUL1zCKSKYCgMZd_Mo="
        ),
        "DEBUG": "0",
        # Served over plain http on loopback: no redirect to https.
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": HOST,
        "PYTHONPATH": str(ROOT),
        # The benchmark measures the portal, not the per-company rate limit it would hit.
        "SCIM_RATE_LIMIT_PER_SECOND": os.environ.get("SCIM_RATE_LIMIT_PER_SECOND", "0"),
    }
    with admin_connection(url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    server = None
    try:
        token = setup_database(env)
        server = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "travelportal.wsgi:application",
                "--bind",
                f"{HOST}:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        wait_until_up(port, token, time.monotonic() + 60)
        print(
            f"gunicorn: {args.workers} workers, {args.clients} clients, {args.requests} requests per phase,"
            f" load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        run(args, port, token, server.pid)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        with admin_connection(url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis_url = os.environ.get("REDIS_URL")
        if args.flush_redis and redis_url:
            import redis

            redis.Redis.from_url(redis_url).flushdb()


if __name__ == "__main__":
    main()
