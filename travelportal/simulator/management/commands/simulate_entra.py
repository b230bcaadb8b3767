"""``simulate_entra``: send an Entra provisioning job to a running portal, over HTTP.

A newcomer runs it against ``make run`` with a company's SCIM token and watches the
people, their managers and the activity arrive in Company Settings."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from travelportal.simulator.entra_cycle import CycleFailed, CycleResult, EntraJob, Population


class Command(BaseCommand):
    help = (
        "Send an Entra-shaped provisioning cycle to a running portal: find and create each user with every "
        "attribute of the TravelPerk mapping, then set their managers; with --incremental, update 20%%, "
        "disable 5%% and delete 1%% of them instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("base_url", help="the SCIM base URL, e.g. http://127.0.0.1:8000/scim/v2")
        parser.add_argument("token", help="a SCIM token of the company (Company Settings > Integrations > SCIM)")
        parser.add_argument("--users", type=int, default=40, help="how many users (default 40)")
        parser.add_argument("--incremental", action="store_true", help="send an incremental cycle instead")
        parser.add_argument("--concurrency", type=int, default=8, help="concurrent requests (default 8)")
        parser.add_argument("--domain", default="contoso.example", help="the users' domain (default contoso.example)")
        parser.add_argument("--travel-policy", default="", help="a travel policy of the company to give everyone")
        parser.add_argument("--invoice-profile", default="", help="an invoice profile of the company to give everyone")

    def handle(self, *args, **options):
        if options["users"] < 1:
            raise CommandError("--users must be at least 1.")
        population = Population(
            options["users"],
            domain=options["domain"],
            prefix="entra.user",
            travel_policy=options["travel_policy"],
            invoice_profile=options["invoice_profile"],
        )
        with _Progress(self.stdout) as progress:
            job = EntraJob(
                options["base_url"].rstrip("/"),
                options["token"],
                population,
                concurrency=options["concurrency"],
                progress=progress.update,
            )
            result = job.incremental_cycle() if options["incremental"] else job.initial_cycle()
        if job.failures:
            for failure in job.failures[:10]:
                self.stderr.write(failure)
            raise CommandError(f"{len(job.failures)} requests failed; the first are above.")
        try:
            verified = job.verify(sample=min(20, population.count))
        except CycleFailed as exc:
            raise CommandError(f"A user read back differs from what was sent: {exc}") from exc
        self._report(result, verified)

    def _report(self, result: CycleResult, verified: int) -> None:
        self.stdout.write(
            f"{result.name.capitalize()} cycle: {result.requests} requests for {result.users} users in "
            f"{result.seconds:.1f} s ({result.requests_per_second:.0f} requests/s); {verified} users read back "
            "field by field and matching."
        )
        for name, operation in result.operations.items():
            p50, p99 = operation["p50_ms"], operation["p99_ms"]
            self.stdout.write(f"  {name:<8} {operation['count']:>6} requests  p50 {p50} ms  p99 {p99} ms")


class _Progress:
    """A tqdm bar per phase on a terminal; nothing when the output is not one."""

    def __init__(self, stdout) -> None:
        self.stdout = stdout
        self.enabled = hasattr(stdout, "isatty") and stdout.isatty()
        self.bar = None
        self.phase = ""

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()

    def update(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if phase != self.phase:
            if self.bar is not None:
                self.bar.close()
            self.bar = tqdm(total=total, desc=phase, unit="user", file=sys.stdout)
            self.phase = phase
        self.bar.n = done
        self.bar.refresh()
