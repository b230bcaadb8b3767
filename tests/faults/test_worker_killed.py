"""A Celery worker killed with SIGKILL in the middle of a chain rebuild: the change is
rebuilt within 30 s with no manual step.

The rebuild is held mid-way by a lock the test takes on the approval process table: the
task has started (its schedule marker is gone, its transaction open) and waits on its
INSERT when the kill comes. Two kills: of the pool process running the task (the message
is put back at once, task_reject_on_worker_lost) and of the whole worker, main process
and pool (the message stays unacknowledged in Redis; the sweep takes the outbox)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from .conftest import record_figures, wait_until

pytestmark = pytest.mark.faults

REBUILT_BOUND = 30.0


def _id(reply) -> str:
    assert reply.status == 201, (reply.status, reply.body[:300])
    return reply.json["id"]


def _rebuild_held_by_lock(stack, tag: str):
    """Create a manager and a report, and hold the rebuild their change enqueued on a lock
    until it is blocked mid-way; returns (manager id, report id, the lock's connection)."""
    import psycopg

    boss = _id(stack.create_user(f"boss-{tag}@faults.example"))
    report = _id(stack.create_user(f"report-{tag}@faults.example", manager=boss))
    # Taken right after the write, inside the 1 s coalescing delay before the task runs.
    lock = psycopg.connect(stack.dsn, connect_timeout=3)
    lock.execute("LOCK TABLE approvals_approvalprocess IN EXCLUSIVE MODE")
    assert stack.requesters_of(boss) is None, "the rebuild ran before the lock was taken"

    def blocked():
        return stack.sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' "
            "AND pid <> %s",
            (lock.info.backend_pid,),
        )

    wait_until(blocked, timeout=15, interval=0.1, what="the rebuild blocked mid-way")
    return boss, report, lock


def test_a_pool_process_killed_mid_rebuild_has_its_task_run_again(healthy, capsys):
    stack = healthy
    worker = stack.procs["worker"]
    boss, report, lock = _rebuild_held_by_lock(stack, f"pool-{time.monotonic_ns()}")
    pool = stack.pool_processes(worker)
    assert pool, "no pool processes found"
    for pid in pool:
        os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    lock.rollback()
    lock.close()

    wait_until(lambda: stack.requesters_of(boss) == {report}, timeout=REBUILT_BOUND + 15, interval=0.2,
               what="the chain after the kill")  # fmt: skip
    rebuilt = time.monotonic() - killed_at
    assert rebuilt < REBUILT_BOUND
    assert worker.poll() is None, "the worker's main process should have survived"
    record_figures(
        capsys,
        "Celery pool process SIGKILLed mid-rebuild (main process alive)",
        "nothing (the SCIM write had answered 201); the task's message was put back at once",
        f"chain rebuilt {rebuilt:.1f} s after the kill (task_reject_on_worker_lost redelivery)",
    )


def test_a_whole_worker_killed_mid_rebuild_has_the_change_rebuilt_by_the_sweep(healthy, capsys):
    stack = healthy
    worker = stack.procs["worker"]
    boss, report, lock = _rebuild_held_by_lock(stack, f"whole-{time.monotonic_ns()}")
    stack.kill_group(worker)
    killed_at = time.monotonic()
    lock.rollback()
    lock.close()
    assert stack.outbox_size() >= 1, "the killed rebuild's change must still wait in the outbox"
    stack.start_worker()
    started = time.monotonic() - killed_at

    wait_until(lambda: stack.requesters_of(boss) == {report}, timeout=REBUILT_BOUND + 15, interval=0.2,
               what="the chain after the kill")  # fmt: skip
    rebuilt = time.monotonic() - killed_at
    assert rebuilt < REBUILT_BOUND
    record_figures(
        capsys,
        "Celery worker SIGKILLed mid-rebuild (main process and pool), a new worker started",
        "nothing (the SCIM write had answered 201); the change stayed in the outbox",
        f"chain rebuilt {rebuilt:.1f} s after the kill (new worker ready after {started:.1f} s; the 10 s sweep "
        "took the outbox)",
    )
