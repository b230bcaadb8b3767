"""An Entra provisioning job against the portal under gunicorn, as a share of the floor.

Creates a PostgreSQL database, migrates it, creates one company with a SCIM token and
automatic approvals at depth 2 (``configure_approvals``), optionally preloads it with many
more people (``--preload``, to measure a large tenant), then, in one run:

1. the **floor**: ``bench/floor_app.py`` (fixed JSON) under the same gunicorn command,
   driven by the same client with the same requests;
2. the **portal** under that command, with one Celery worker: the initial cycle (find,
   create, manager pass), the time until every approval chain of the tree exists, the
   incremental cycle, and a sample read back field by field;
3. the floor again (the machine drifts; the headline divides by the mean of both floors).

Prints per operation count, errors by status, p50/p95/p99; requests/s and users/s per
cycle; portal ÷ floor; chain-building time; provisioning log rows and bytes per 1,000
requests. ``--json FILE`` also writes the figures. See bench/README.md.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tp_entra_bench REDIS_URL=redis://127.0.0.1:6379/7 \\
    PYTHONPATH=. .venv/bin/python bench/entra_cycle_bench.py --users 2000
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from scim_http_bench import HOST, admin_connection, free_port, workers_cpu_seconds  # noqa: E402

from travelportal.simulator.entra_cycle import CycleFailed, CycleResult, EntraJob, Population  # noqa: E402

# The servers' own output (one JSON line per request, in production shape) goes here.
LOG_DIR = Path(tempfile.mkdtemp(prefix="entra-bench-"))

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command('migrate', verbosity=0)
from travelportal.companies.models import Company, InvoiceProfile, TravelPolicy
from travelportal.tokens.models import Credential
from travelportal.tokens.services import issue_credential
c = Company.objects.create(name='Bench', slug='bench', scim_enabled=True)
TravelPolicy.objects.create(company=c, name='Standard')
InvoiceProfile.objects.create(company=c, name='Bench Ltd')
call_command('configure_approvals', 'bench', '--automatic', '--depth', '2', verbosity=0)
print(c.pk, issue_credential(company=c, kind=Credential.Kind.SCIM_TOKEN, name='bench')[1])
"""

# People already in the company before the job starts (a tenant of --preload people), in
# a tree of their own, written in bulk: the job then provisions its users beside them.
PRELOAD = """
import sys, uuid, django; django.setup()
from travelportal.companies.models import Company, User
from travelportal.simulator.entra_cycle import Population
company = Company.objects.get(slug='bench')
count = int(sys.argv[1])
people = Population(count, domain='preloaded.example', prefix='pre')
ids = [uuid.uuid4() for _ in range(count)]
rows = []
for n in range(count):
    manager = people.manager_of(n)
    rows.append(User(
        id=ids[n], company=company, username=people.user_name(n), work_email=people.user_name(n),
        external_id=f'pre-{n}', given_name=f'Given{n}', family_name=f'Family{n}', password='!',
        manager_id=ids[manager] if manager is not None else None, title='Engineer',
    ))
User.objects.bulk_create(rows, batch_size=5000)
# Their approval chains too, as a tenant that size has them: one full rebuild.
import time
from approvals.services.chain_rebuilds import repair_approval_processes
started = time.perf_counter()
result = repair_approval_processes(company=company)
print(f"{count} people; their {len(result.created)} approval processes built in {time.perf_counter() - started:.1f} s")
"""

CHAINS = """
SELECT r.user_id::text, s.position, a.user_id::text
FROM approvals_approvalprocess p
JOIN approvals_approvalprocess_requesters r ON r.approvalprocess_id = p.id
JOIN approvals_approvalstep s ON s.process_id = p.id
LEFT JOIN approvals_approvalstep_approvers a ON a.approvalstep_id = s.id
WHERE p.company_id = %s AND p.kind = 'automatic' AND p.is_active
"""


def start_gunicorn(app: str, port: int, workers: int, env: dict, profile: str | None = None) -> subprocess.Popen:
    """The one gunicorn command both the floor and the portal run under; with ``profile``,
    under py-spy sampling every worker into that file (collapsed stacks, for flame graphs)."""
    spy = [str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "--format", "raw", "-o", profile]
    command = ([*spy, "--"] if profile else []) + [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        # The production settings (the Procfile's): gthread workers with WEB_THREADS threads.
        "--config",
        "python:travelportal.operations.gunicorn_config",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]
    log = open(LOG_DIR / f"{app.split(':')[0].replace('.', '_')}.log", "ab")  # noqa: SIM115 (the server's)
    return subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)


def timed_cycle(server: subprocess.Popen, cycle) -> CycleResult:
    """Run ``cycle`` and note the CPU the server's workers spent on it (not under py-spy)."""
    master = None if "py-spy" in str(server.args[0]) else server.pid
    before = workers_cpu_seconds(master)
    result = cycle()
    if master is not None:
        result.server_cpu_seconds = workers_cpu_seconds(master) - before
    return result


def wait_for_http(port: int, deadline: float) -> None:
    import http.client

    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/scim/v2/ServiceProviderConfig")
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"nothing answered on port {port} in time")


def stop(process: subprocess.Popen | None) -> None:
    """Stop a server and whatever it started. Under py-spy the server is py-spy's child:
    stopping that child lets py-spy write its profile (a signal to py-spy loses it)."""
    if process is None or process.poll() is not None:
        return
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    targets = [int(pid) for pid in children.read_text().split()] if "py-spy" in str(process.args[0]) else []
    for pid in targets or [process.pid]:
        os.kill(pid, signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def run_floor(args, env: dict, population: Population) -> tuple[CycleResult, CycleResult]:
    port = free_port()
    server = start_gunicorn(
        "floor_app:application", port, args.workers, {**env, "PYTHONPATH": f"{ROOT / 'bench'}:{ROOT}"}
    )
    try:
        wait_for_http(port, time.monotonic() + 30)
        job = EntraJob(f"http://{HOST}:{port}/scim/v2", "floor", population, concurrency=args.concurrency, check=False)
        # The floor answers the same fixed id for everyone; give each user its own, so the
        # requests are the same bytes the portal gets.
        initial = timed_cycle(server, job.initial_cycle)
        job.ids = {n: f"{n:08d}-0000-4000-8000-000000000000" for n in range(population.count)}
        return initial, timed_cycle(server, job.incremental_cycle)
    finally:
        stop(server)


def expected_chains(job: EntraJob) -> dict[str, list[str]]:
    """Each provisioned person's approvers at depth 2: their manager, then the manager's."""
    chains = {}
    for n, person_id in job.ids.items():
        chain, manager = [], job.population.manager_of(n)
        while manager is not None and len(chain) < 2:
            chain.append(job.ids[manager])
            manager = job.population.manager_of(manager)
        if chain:
            chains[person_id] = chain
    return chains


def wait_for_chains(url: str, company_id: int, expected: dict[str, list[str]], timeout: float) -> float | None:
    """Seconds until every expected chain is stored (None if not within ``timeout``)."""
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        while time.perf_counter() - started < timeout:
            stored: dict[str, dict[int, set[str]]] = {}
            for requester, position, approver in conn.execute(CHAINS, (company_id,)):
                stored.setdefault(requester, {}).setdefault(position, set()).add(approver)
            if all(
                [stored.get(person, {}).get(position + 1) == {approver} for position, approver in enumerate(chain)]
                == [True] * len(chain)
                for person, chain in expected.items()
            ):
                return time.perf_counter() - started
            time.sleep(0.25)
    return None


def log_usage(url: str, company_id: int) -> tuple[int, int]:
    """Rows of the company's provisioning log, and the bytes of the log table with its indexes."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT count(*) FROM provisioning_provisioninglogentry WHERE company_id = %s", (company_id,)
        ).fetchone()[0]
        conn.execute("VACUUM provisioning_provisioninglogentry")
        size = conn.execute("SELECT pg_total_relation_size('provisioning_provisioninglogentry')").fetchone()[0]
    return rows, size


def run_portal(args, env: dict, url: str, population: Population, company_id: int, token: str) -> dict:
    port = free_port()
    server = start_gunicorn("travelportal.wsgi:application", port, args.workers, env, profile=args.profile)
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "celery"), "-A", "travelportal", "worker", "-c", "1", "-l", "warning"],
        env=env,
        cwd=ROOT,
        stdout=open(LOG_DIR / "celery.log", "ab"),  # noqa: SIM115 (the worker's)
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_http(port, time.monotonic() + 60)
        job = EntraJob(f"http://{HOST}:{port}/scim/v2", token, population, concurrency=args.concurrency)
        rows_before, bytes_before = log_usage(url, company_id)
        initial = timed_cycle(server, job.initial_cycle)
        chain_seconds = wait_for_chains(url, company_id, expected_chains(job), timeout=args.chain_timeout)
        rows_mid, _ = log_usage(url, company_id)
        incremental = timed_cycle(server, job.incremental_cycle)
        rows_after, bytes_after = log_usage(url, company_id)
        failures = list(job.failures)
        try:
            verified = job.verify(sample=args.sample)
        except CycleFailed as exc:
            failures.append(f"read back: {exc}")
            verified = 0
        requests = initial.requests + incremental.requests
        return {
            "initial": initial,
            "incremental": incremental,
            "chain_seconds": chain_seconds,
            "failures": failures,
            "verified": verified,
            "log_rows_per_1000": round((rows_after - rows_before) / requests * 1000, 1),
            "log_bytes_per_1000": round((bytes_after - bytes_before) / requests * 1000),
            "log_rows_initial": rows_mid - rows_before,
        }
    finally:
        stop(worker)
        stop(server)


def cpu_ms(result: CycleResult) -> float | None:
    if result.server_cpu_seconds is None or not result.requests:
        return None
    return result.server_cpu_seconds / result.requests * 1000


def print_cycle(label: str, result: CycleResult, floor: float, floor_cpu_ms: float | None) -> None:
    ratio = result.requests_per_second / floor if floor else 0.0
    print(
        f"\n{label}: {result.requests} requests for {result.users} users in {result.seconds:.1f} s:"
        f" {result.requests_per_second:.1f} req/s, {result.users_per_second:.1f} users/s;"
        f" floor {floor:.1f} req/s; portal ÷ floor = {ratio:.2f}"
    )
    portal_cpu = cpu_ms(result)
    if portal_cpu is not None and floor_cpu_ms:
        print(
            f"  web workers' CPU per request: portal {portal_cpu:.2f} ms, floor {floor_cpu_ms:.2f} ms"
            " (PostgreSQL's and the client's CPU not included)"
        )
    print(f"  {'operation':<10} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  errors")
    for name, op in result.operations.items():
        errors = op["errors"] or "-"
        print(f"  {name:<10} {op['count']:>6} {op['p50_ms']:>8} {op['p95_ms']:>8} {op['p99_ms']:>8}  {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000, help="users the job provisions (default 2000)")
    parser.add_argument("--preload", type=int, default=0, help="people already in the company (default 0)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers, portal and floor (default 2)")
    parser.add_argument("--sample", type=int, default=50, help="users read back and compared (default 50)")
    parser.add_argument("--chain-timeout", type=float, default=120.0, help="seconds to wait for chains")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--profile", help="sample the portal's workers with py-spy into this file")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look afterwards")
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres") or not os.environ.get("REDIS_URL"):
        raise SystemExit("set DATABASE_URL=postgres://…/<a database of your own> (created and dropped) and REDIS_URL")
    name = urlsplit(url).path.lstrip("/")
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
    import psycopg
    import redis

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    try:
        out = subprocess.run(
            [sys.executable, "-c", SETUP], env=env, cwd=ROOT, check=True, capture_output=True, text=True, timeout=600
        )
        company_id, token = out.stdout.split()[-2:]
        if args.preload:
            started = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", PRELOAD, str(args.preload)], env=env, cwd=ROOT, check=True, capture_output=True
            )
            print(out.stdout.decode().strip().splitlines()[-1], flush=True)
            print(f"preloaded in {time.perf_counter() - started:.0f} s", flush=True)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("VACUUM ANALYZE")
        population = Population(args.users)
        print(
            f"{args.users} users (+{args.preload} preloaded), {args.concurrency} clients,"
            f" {args.workers} gunicorn workers, load average {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        floor_before = run_floor(args, env, population)
        portal = run_portal(args, env, url, population, int(company_id), token)
        floor_after = run_floor(args, env, population)
    finally:
        if not args.keep_db:
            with admin_connection(url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        redis.Redis.from_url(env["REDIS_URL"]).flushdb()

    floors = {
        cycle: (floor_before[i].requests_per_second + floor_after[i].requests_per_second) / 2
        for i, cycle in enumerate(("initial", "incremental"))
    }
    for i, cycle in enumerate(("initial", "incremental")):
        print(
            f"floor {cycle}: {floor_before[i].requests_per_second:.1f} req/s before,"
            f" {floor_after[i].requests_per_second:.1f} after"
        )
    floor_cpu = {
        cycle: statistics.mean([v for v in (cpu_ms(floor_before[i]), cpu_ms(floor_after[i])) if v is not None] or [0])
        for i, cycle in enumerate(("initial", "incremental"))
    }
    print_cycle("Initial cycle", portal["initial"], floors["initial"], floor_cpu["initial"])
    print_cycle("Incremental cycle", portal["incremental"], floors["incremental"], floor_cpu["incremental"])
    print(f"(server logs: {LOG_DIR})")
    chain = portal["chain_seconds"]
    print(f"\nEvery approval chain built {chain:.1f} s after the last manager PATCH" if chain is not None else "")
    if chain is None:
        print(f"\nApproval chains NOT all built within {args.chain_timeout:.0f} s")
    print(
        f"Provisioning log: {portal['log_rows_per_1000']} rows and {portal['log_bytes_per_1000']} bytes"
        " per 1,000 requests"
    )
    print(f"Read back {portal['verified']} users field by field; {len(portal['failures'])} failures")
    for failure in portal["failures"][:10]:
        print("   ", failure)
    if args.json:
        figures = {
            "users": args.users,
            "preload": args.preload,
            "floors": floors,
            "floor_cpu_ms_per_request": floor_cpu,
            "ratios": {
                cycle: portal[cycle].requests_per_second / floors[cycle] for cycle in ("initial", "incremental")
            },
            "cycles": {cycle: vars(portal[cycle]) for cycle in ("initial", "incremental")},
            **{key: portal[key] for key in ("chain_seconds", "log_rows_per_1000", "log_bytes_per_1000", "verified")},
            "failures": portal["failures"],
        }
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    if portal["failures"] or chain is None:
        sys.exit(1)


if __name__ == "__main__":
    main()
