"""Approval workflows, one module per job; callers import the module they need.

- ``automatic_processes``: rebuilding automatic processes from the manager hierarchy.
- ``outbox``: noting people changes in the writing transaction and scheduling one
  coalesced rebuild after the commit.
- ``chain_rebuilds``: running that coalesced rebuild, the sweep and the periodic repair.
- ``outbox_retention``: clearing outbox changes and schedule markers left a day behind.
- ``approval_settings``: the company's approval settings.
- ``manual_processes``: manual and default processes edited by company admins.
- ``routing``: which process applies to a trip, who approves each step, pending trips
  following their approvers.
- ``trips``: requesting trips and deciding them.

Views, the signal receiver, Celery tasks, the admin and the management command all call
these functions; they are keyword-only and atomic. The modules import each other in one
direction only (``tests/approvals/test_imports.py``).
"""
