"""An Entra provisioning job against a running portal, over HTTP: the requests Microsoft
Entra ID's provisioning service sends, in its order and shapes (``shared/docs/entra-scim.md``).

- **Initial cycle**: for every user, ``GET /Users?filter=userName eq "…"``, then ``POST``
  with every attribute of the TravelPerk tutorial's mapping (enterprise and TravelPerk
  extensions included) when nothing was found; then a second pass setting each manager
  with ``{"op": "Add", "path": "urn:…:enterprise:2.0:User:manager", "value": "<id>"}``,
  a bare id string as the provisioning engine sends it today.
- **Incremental cycle**: 20% of the users updated (title and department), 5% disabled
  (``active`` false), 1% deleted, each after the lookup Entra makes first.

The users form a manager tree of 5 to 8 direct reports per manager. Every answer's status
is checked, and a sample of users is read back afterwards and compared field by field,
so a server that fails cannot look fast. With ``check=False`` the same requests go to a
server that answers anything (the benchmark's floor) and only the transport is timed.

Standard library only: the benchmark (``bench/entra_cycle_bench.py``) and the
``simulate_entra`` command both drive it, and neither should measure a client library.
"""

from __future__ import annotations

import http.client
import json
import random
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
TRAVELPERK = "urn:ietf:params:scim:schemas:extension:travelperk:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_TYPE = "application/scim+json"

# Shares of the users an incremental cycle touches (the Entra-shaped workload).
UPDATED_SHARE, DISABLED_SHARE, DELETED_SHARE = 0.20, 0.05, 0.01


class CycleFailed(Exception):
    """An answer was not what Entra needs; the message says which and why."""


@dataclass(frozen=True)
class Population:
    """The users a job provisions: ``count`` people under one domain, in a manager tree."""

    count: int
    domain: str = "bench.example"
    prefix: str = "person"
    travel_policy: str = "Standard"
    invoice_profile: str = "Bench Ltd"
    cost_centres: int = 20
    seed: int = 7

    def user_name(self, n: int) -> str:
        return f"{self.prefix}{n}@{self.domain}"

    def manager_of(self, n: int) -> int | None:
        """Person 0 leads; each manager in turn takes the next 5 to 8 people as reports."""
        return _managers(self.count)[n]

    def document(self, n: int) -> dict:
        """Everything the tutorial's attribute mapping sends for user ``n`` in a POST."""
        return {
            "schemas": [CORE, ENTERPRISE, TRAVELPERK],
            "userName": self.user_name(n),
            "externalId": f"{self.prefix}-E{n}",
            "active": True,
            "name": {
                "honorificPrefix": "Ms" if n % 2 else "Mr",
                "givenName": f"Given{n}",
                "middleName": "M",
                "familyName": f"Family{n}",
            },
            "preferredLanguage": "en-GB",
            "locale": "en-GB",
            "title": "Engineer" if self.manager_of(n) is not None else "Chief Executive",
            "phoneNumbers": [{"type": "work", "value": f"+44 20 7946 {n % 10000:04d}"}],
            "emails": [{"primary": True, "type": "work", "value": self.user_name(n)}],
            ENTERPRISE: {"costCenter": f"CC{n % self.cost_centres}", "department": f"Department {n % 7}"},
            TRAVELPERK: {
                "gender": "F" if n % 2 else "M",
                "dateOfBirth": f"19{60 + n % 40}-04-12",
                # Catalogue entries must exist in the company: named only when given.
                **({"travelPolicy": self.travel_policy} if self.travel_policy else {}),
                **({"invoiceProfiles": [{"value": self.invoice_profile}]} if self.invoice_profile else {}),
                "emergencyContact": {"name": f"Contact {n}", "phone": "+34 600 000 000"},
            },
        }


_MANAGER_TREES: dict[int, list[int | None]] = {}


def _managers(count: int) -> list[int | None]:
    if count not in _MANAGER_TREES:
        managers: list[int | None] = [None] * count
        manager, taken = 0, 0
        for n in range(1, count):
            if taken == 5 + manager % 4:
                manager, taken = manager + 1, 0
            managers[n] = manager
            taken += 1
        _MANAGER_TREES[count] = managers
    return _MANAGER_TREES[count]


@dataclass
class Stats:
    """What one kind of request did: latencies and statuses."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    def summary(self) -> dict:
        return {
            "count": len(self.latencies),
            "errors": dict(self.errors),
            "p50_ms": round(statistics.median(self.latencies) * 1000, 1) if self.latencies else 0.0,
            "p95_ms": round(self.percentile(0.95) * 1000, 1),
            "p99_ms": round(self.percentile(0.99) * 1000, 1),
        }


@dataclass
class CycleResult:
    name: str
    users: int
    requests: int
    seconds: float
    operations: dict[str, dict]
    # CPU the server's processes spent on the cycle, when the caller can measure it
    # (bench/entra_cycle_bench.py reads it from /proc): steady when the machine is not.
    server_cpu_seconds: float | None = None

    @property
    def requests_per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def users_per_second(self) -> float:
        return self.users / self.seconds if self.seconds else 0.0


class Connection:
    """One client's HTTP connection; reopened by http.client whenever the server closes it
    (gunicorn's sync workers close after every answer, as many proxies do not)."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        parts = urlsplit(base_url)
        self.path = parts.path.rstrip("/")
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        self.http = kind(parts.hostname, parts.port, timeout=timeout)
        self.headers = {"Authorization": f"Bearer {token}", "Accept": SCIM_TYPE, "Content-Type": SCIM_TYPE}

    def send(self, method: str, path: str, document: dict | None = None) -> tuple[int, bytes, float]:
        body = json.dumps(document) if document is not None else None
        started = time.perf_counter()
        try:
            self.http.request(method, self.path + path, body, self.headers)
            response = self.http.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.http.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.http.close()
        return response.status, content, time.perf_counter() - started


class EntraJob:
    """Sends the cycles for one population to ``base_url`` (the SCIM base, ending /scim/v2)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        population: Population,
        *,
        concurrency: int = 8,
        check: bool = True,
        timeout: float = 30.0,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> None:
        self.base_url, self.token, self.population = base_url, token, population
        self.concurrency, self.check, self.timeout = concurrency, check, timeout
        self.progress = progress or (lambda phase, done, total: None)
        self.ids: dict[int, str] = {}
        self.stats: dict[str, Stats] = {}
        self.failures: list[str] = []
        self.changes = self._choose_changes()
        self._incremental_done = False
        self._lock = threading.Lock()
        self._local = threading.local()

    # --- the cycles --------------------------------------------------------------------

    def initial_cycle(self) -> CycleResult:
        """Find-then-create every user, then the manager pass."""
        count = self.population.count
        started = self._start()
        self._run("create", range(count), self._find_or_create)
        self._run("managers", [n for n in range(count) if self.population.manager_of(n) is not None], self._set_manager)
        return self._finish("initial", started, count)

    def incremental_cycle(self) -> CycleResult:
        """Update, disable and delete the chosen shares of the users (ids looked up first
        when this job did not create them, as Entra does without a cache)."""
        if len(self.ids) < self.population.count:
            self._run("lookup", [n for n in range(self.population.count) if n not in self.ids], self._look_up)
        started = self._start()
        touched = sorted(set().union(*self.changes.values()))
        self._run("incremental", touched, self._change)
        return self._finish("incremental", started, len(touched))

    def verify(self, sample: int = 50) -> int:
        """Read back a sample of users, field by field, against what was sent (the last
        cycle's changes included); returns how many were compared. Raises CycleFailed."""
        rng = random.Random(self.population.seed + 1)
        chosen = sorted(rng.sample(range(self.population.count), min(sample, self.population.count)))
        chosen += sorted(self.changes["deleted"] | self.changes["disabled"])[:10]
        connection = self._connection()
        for n in chosen:
            if n not in self.ids:
                if n in self.changes["deleted"] and self._incremental_done:
                    continue  # deleted before this job: its lookup found nobody, as it should
                raise CycleFailed(f"{self.population.user_name(n)} was never given an id")
            status, content, _ = connection.send("GET", f"/Users/{self.ids[n]}")
            if n in self.changes["deleted"] and self._incremental_done:
                if status != 404:
                    raise CycleFailed(f"deleted {self.population.user_name(n)} answered {status}, not 404")
                continue
            if status != 200:
                raise CycleFailed(f"GET {self.population.user_name(n)} answered {status}: {content[:300]!r}")
            mismatches = list(self._differences(n, json.loads(content)))
            if mismatches:
                raise CycleFailed(f"{self.population.user_name(n)} read back differs: " + "; ".join(mismatches))
        return len(chosen)

    # --- one user's requests ----------------------------------------------------------

    def _find_or_create(self, n: int) -> None:
        user_name = self.population.user_name(n)
        found = self._request("find", "GET", _filter_path(user_name), expect=(200,))
        if found is not None and found.get("totalResults"):
            self.ids[n] = found["Resources"][0]["id"]
            return
        created = self._request("create", "POST", "/Users", self.population.document(n), expect=(201,))
        if created is not None:
            self.ids[n] = created.get("id", "")

    def _set_manager(self, n: int) -> None:
        manager = self.population.manager_of(n)
        if n not in self.ids or manager not in self.ids:
            self._fail(f"manager pass: {self.population.user_name(n)} or its manager has no id")
            return
        operations = [{"op": "Add", "path": f"{ENTERPRISE}:manager", "value": self.ids[manager]}]
        self._request("manager", "PATCH", f"/Users/{self.ids[n]}", _patch(operations), expect=(200, 204))

    def _look_up(self, n: int) -> None:
        found = self._request("find", "GET", _filter_path(self.population.user_name(n)), expect=(200,))
        if found is not None and found.get("totalResults"):
            self.ids[n] = found["Resources"][0]["id"]
        elif self.check and n not in self.changes["deleted"]:
            # One this cycle deletes may be gone already (a second incremental cycle).
            self._fail(f"{self.population.user_name(n)} is not on the server; run the initial cycle first")

    def _change(self, n: int) -> None:
        self._request("find", "GET", _filter_path(self.population.user_name(n)), expect=(200,))
        if n not in self.ids:
            return  # deleted by an earlier cycle: Entra sends nothing more for them
        path = f"/Users/{self.ids[n]}"
        if n in self.changes["deleted"]:
            self._request("delete", "DELETE", path, expect=(204,))
        elif n in self.changes["disabled"]:
            operations = [{"op": "Replace", "path": "active", "value": False}]
            self._request("disable", "PATCH", path, _patch(operations), expect=(200, 204))
        else:
            operations = [
                {"op": "Replace", "path": "title", "value": _updated_title(n)},
                {"op": "Replace", "path": f"{ENTERPRISE}:department", "value": f"Department {n % 5} (new)"},
            ]
            self._request("update", "PATCH", path, _patch(operations), expect=(200, 204))

    # --- checking ---------------------------------------------------------------------

    def _differences(self, n: int, resource: dict) -> Iterable[str]:
        sent = self.population.document(n)
        changed = self._incremental_done
        expected_title = _updated_title(n) if changed and n in self.changes["updated"] else sent["title"]
        expected_active = not (changed and n in self.changes["disabled"])
        simple = {
            "id": self.ids[n],
            "userName": sent["userName"],
            "externalId": sent["externalId"],
            "active": expected_active,
            "title": expected_title,
            "preferredLanguage": sent["preferredLanguage"],
            "locale": sent["locale"],
        }
        for key, value in simple.items():
            if resource.get(key) != value:
                yield f"{key} is {resource.get(key)!r}, sent {value!r}"
        for key, value in sent["name"].items():
            if resource.get("name", {}).get(key) != value:
                yield f"name.{key} is {resource.get('name', {}).get(key)!r}, sent {value!r}"
        for attribute in ("emails", "phoneNumbers"):
            got = {(item.get("type"), item.get("value")) for item in resource.get(attribute, [])}
            want = {(item["type"], item["value"]) for item in sent[attribute]}
            if got != want:
                yield f"{attribute} is {sorted(got)}, sent {sorted(want)}"
        enterprise = resource.get(ENTERPRISE, {})
        if enterprise.get("costCenter") != sent[ENTERPRISE]["costCenter"]:
            yield f"costCenter is {enterprise.get('costCenter')!r}, sent {sent[ENTERPRISE]['costCenter']!r}"
        department = (
            f"Department {n % 5} (new)" if changed and n in self.changes["updated"] else sent[ENTERPRISE]["department"]
        )
        if enterprise.get("department") != department:
            yield f"department is {enterprise.get('department')!r}, sent {department!r}"
        manager = self.population.manager_of(n)
        want_manager = self.ids.get(manager) if manager is not None else None
        got_manager = (enterprise.get("manager") or {}).get("value")
        if got_manager != want_manager:
            yield f"manager is {got_manager!r}, sent {want_manager!r}"
        travelperk = resource.get(TRAVELPERK, {})
        # What this job does not send (no travel policy named) is not compared: a user
        # may hold one from an earlier job, as with Entra.
        for key in ("gender", "dateOfBirth", "travelPolicy", "emergencyContact"):
            if key in sent[TRAVELPERK] and travelperk.get(key) != sent[TRAVELPERK][key]:
                yield f"{key} is {travelperk.get(key)!r}, sent {sent[TRAVELPERK][key]!r}"
        if "invoiceProfiles" in sent[TRAVELPERK]:
            profiles = [item.get("value") for item in travelperk.get("invoiceProfiles", [])]
            sent_profiles = [item["value"] for item in sent[TRAVELPERK]["invoiceProfiles"]]
            if profiles != sent_profiles:
                yield f"invoiceProfiles is {profiles!r}, sent {sent_profiles!r}"

    # --- machinery --------------------------------------------------------------------

    def _choose_changes(self) -> dict[str, set[int]]:
        rng = random.Random(self.population.seed)
        everyone = list(range(1, self.population.count))  # the chief executive stays
        rng.shuffle(everyone)
        deleted = int(self.population.count * DELETED_SHARE)
        disabled = int(self.population.count * DISABLED_SHARE)
        updated = int(self.population.count * UPDATED_SHARE)
        return {
            "deleted": set(everyone[:deleted]),
            "disabled": set(everyone[deleted : deleted + disabled]),
            "updated": set(everyone[deleted + disabled : deleted + disabled + updated]),
        }

    def _connection(self) -> Connection:
        if not hasattr(self._local, "connection"):
            self._local.connection = Connection(self.base_url, self.token, self.timeout)
        return self._local.connection

    def _request(self, operation: str, method: str, path: str, document: dict | None = None, *, expect) -> dict | None:
        try:
            status, content, elapsed = self._connection().send(method, path, document)
        except (OSError, http.client.HTTPException) as exc:
            with self._lock:
                self.stats.setdefault(operation, Stats()).errors[type(exc).__name__] += 1
            self._fail(f"{method} {path}: {exc}")
            return None
        with self._lock:
            stats = self.stats.setdefault(operation, Stats())
            stats.latencies.append(elapsed)
            stats.statuses[status] += 1
            if self.check and status not in expect:
                stats.errors[status] += 1
        if not self.check:
            return json.loads(content) if content else {}
        if status not in expect:
            self._fail(f"{method} {path} answered {status}, expected {expect}: {content[:300]!r}")
            return None
        try:
            return json.loads(content) if content else {}
        except ValueError:
            self._fail(f"{method} {path} answered {status} with a body that is not JSON: {content[:200]!r}")
            return None

    def _fail(self, message: str) -> None:
        with self._lock:
            self.failures.append(message)

    def _run(self, phase: str, users: list[int] | range, task: Callable[[int], None]) -> None:
        users = list(users)
        done = 0
        self.progress(phase, 0, len(users))
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix=f"entra-{phase}") as pool:
            for _ in pool.map(task, users):
                done += 1
                if done % 50 == 0 or done == len(users):
                    self.progress(phase, done, len(users))

    def _start(self) -> float:
        """A cycle's figures start empty (a lookup pass before it is not part of it)."""
        with self._lock:
            self.stats = {}
        return time.perf_counter()

    def _finish(self, name: str, started: float, users: int) -> CycleResult:
        seconds = time.perf_counter() - started
        if name == "incremental":
            self._incremental_done = True
        operations = {op: stats.summary() for op, stats in self.stats.items()}
        return CycleResult(name, users, self._request_count(), seconds, operations)

    def _request_count(self) -> int:
        with self._lock:
            # Answers, plus requests that got none (transport errors are counted by name).
            return sum(
                len(stats.latencies) + sum(v for k, v in stats.errors.items() if isinstance(k, str))
                for stats in self.stats.values()
            )


def _filter_path(user_name: str) -> str:
    return "/Users?filter=" + quote(f'userName eq "{user_name}"', safe="")


def _patch(operations: list[dict]) -> dict:
    return {"schemas": [PATCH_OP], "Operations": operations}


def _updated_title(n: int) -> str:
    return f"Senior Engineer {n % 3}"
