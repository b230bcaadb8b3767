"""Approval processes, trips that need approval, and the outbox that keeps automatic
processes in step with provisioning.

A process has ordered steps, each with one or more approvers; its requesters are the
people whose trips it approves, named one by one or, for a manual process, through the
groups it names (whoever is in one of them now). Automatic processes belong to one
manager (``owner``) and are maintained only by ``approvals.services.automatic_processes``;
manual and default processes are edited by company admins and never touched by
automation. A manual process left with no requesters at all (its last group deleted) is
kept but inactive: it applies to nobody until an admin gives it requesters again.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Func, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from travelportal.companies.models import Company, Group, GroupMembership, TravelPolicy, User


class ApprovalProcessQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> ApprovalProcessQuerySet:
        return self.filter(company=company)

    def automatic(self) -> ApprovalProcessQuerySet:
        return self.filter(kind=ApprovalProcess.Kind.AUTOMATIC)

    def involving(self, people: models.QuerySet) -> ApprovalProcessQuerySet:
        """Processes in which any of ``people`` is a requester (named, or in a requester
        group) or a step approver.

        Filtered through a subquery rather than a join, so annotations added afterwards
        (the requester count) still count every requester, not just the matching ones."""
        matching = self.filter(
            Q(requesters__in=people) | Q(requester_groups__members__in=people) | Q(steps__approvers__in=people)
        ).values("pk")
        return self.filter(pk__in=matching)

    def with_requester_count(self) -> ApprovalProcessQuerySet:
        """Annotate ``requester_count``: the people named as requesters and the members of
        the requester groups, each counted once, in one subquery per process (no join that
        multiplies rows by the size of a group)."""
        named = ApprovalProcess.requesters.through.objects.filter(approvalprocess_id=OuterRef(OuterRef("pk")))
        in_groups = GroupMembership.objects.filter(group__approval_processes=OuterRef(OuterRef("pk")))
        people = (
            User.objects.filter(Q(pk__in=named.values("user_id")) | Q(pk__in=in_groups.values("user_id")))
            .order_by()
            .annotate(n=Func(F("pk"), function="COUNT", output_field=models.IntegerField()))
            .values("n")
        )
        return self.annotate(requester_count=Coalesce(Subquery(people), 0))


class ApprovalProcess(models.Model):
    class Kind(models.TextChoices):
        MANUAL = "manual", "Manual"
        AUTOMATIC = "automatic", "Automatic"
        DEFAULT = "default", "Company default"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.MANUAL)
    name = models.CharField(max_length=200)
    # Automatic processes only: the manager whose direct reports are the requesters.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    requesters = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="approval_processes")
    # Manual processes only: everyone in one of these groups is a requester too.
    requester_groups = models.ManyToManyField(Group, blank=True, related_name="approval_processes")
    # False for a manual process left without requesters (its last group was deleted):
    # kept for the admin to see and fix, but it applies to nobody.
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Numbered by the database at each change, in commit order (companies.changes).
    change_seq = models.BigIntegerField(null=True, editable=False)

    objects = ApprovalProcessQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "approval processes"
        indexes = [models.Index(fields=["company", "change_seq"], name="process_company_change_seq_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "owner"], condition=Q(kind="automatic"), name="approvalprocess_one_auto_per_owner"
            ),
            models.UniqueConstraint(
                fields=["company"], condition=Q(kind="default"), name="approvalprocess_one_default_per_company"
            ),
            models.CheckConstraint(
                condition=(Q(kind="automatic") & Q(owner__isnull=False))
                | (~Q(kind="automatic") & Q(owner__isnull=True)),
                name="approvalprocess_owner_iff_automatic",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["manual", "automatic", "default"]), name="approvalprocess_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(kind="manual"), name="approvalprocess_only_manual_inactive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_automatic(self) -> bool:
        return self.kind == self.Kind.AUTOMATIC


class ApprovalStep(models.Model):
    process = models.ForeignKey(ApprovalProcess, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    # True when no active manager was left for this step, so the company admins approve.
    fallback_to_admins = models.BooleanField(default=False)

    class Meta:
        ordering = ["process", "position"]
        constraints = [
            models.UniqueConstraint(fields=["process", "position"], name="approvalstep_unique_position"),
            models.CheckConstraint(condition=Q(position__gte=1), name="approvalstep_position_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.process} · step {self.position}"


class TripQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> TripQuerySet:
        return self.filter(company=company)

    def pending(self) -> TripQuerySet:
        return self.filter(status=Trip.Status.PENDING)

    def visible_to(self, user) -> TripQuerySet:
        """Trips ``user`` may open: every trip of their company for a company admin; for
        anyone else the trips they travel on, requested, must decide or have decided."""
        trips = self.for_company(user.company)
        if user.is_company_admin:
            return trips
        mine = Q(traveller=user) | Q(requested_by=user) | Q(current_approvers=user) | Q(events__actor=user)
        # A subquery, not a join, so a trip matching several ways is listed once.
        return trips.filter(pk__in=trips.filter(mine).values("pk"))


class Trip(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    # The policy's cabin classes, so a trip's cabin is ranked against the same list.
    Cabin = TravelPolicy.CabinClass

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    traveller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="trips")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    destination = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()
    purpose = models.TextField()
    estimated_cost = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    flight_cabin = models.CharField(max_length=20, choices=Cabin.choices, blank=True)
    hotel_price_per_night = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    in_policy = models.BooleanField(default=True)
    # Why the trip is out of policy, one human-readable reason per rule it breaks.
    policy_notes = models.JSONField(default=list, blank=True)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    process = models.ForeignKey(ApprovalProcess, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # 1-based position in the process while pending; 0 once decided or when none applied.
    current_step = models.PositiveSmallIntegerField(default=0)
    # Who may decide now: the current step's active approvers (materialised so the queue
    # is one indexed join and reassignment is an explicit, notified change).
    current_approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="trips_to_approve")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The time of the trip's latest event (every change to a trip writes one): a trigger
    # on TripEvent moves it (migration 0004). The API's ``modified``.
    modified_at = models.DateTimeField(default=timezone.now, editable=False)
    # Numbered by the database at each change, in commit order (companies.changes).
    change_seq = models.BigIntegerField(null=True, editable=False)

    objects = TripQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["company", "status"], name="trip_company_status_idx"),
            models.Index(fields=["traveller", "-created_at"], name="trip_traveller_created_idx"),
            models.Index(fields=["company", "modified_at"], name="trip_company_modified_idx"),
            models.Index(fields=["company", "change_seq"], name="trip_company_change_seq_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=models.F("start_date")), name="trip_dates_ordered"),
            models.CheckConstraint(condition=Q(estimated_cost__gte=0), name="trip_cost_not_negative"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="trip_currency_iso"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "declined"]), name="trip_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", current_step__gte=1) | (~Q(status="pending") & Q(current_step=0)),
                name="trip_step_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.destination} ({self.start_date:%Y-%m-%d})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    def can_be_decided_by(self, person) -> bool:
        """Whether ``person`` may approve or decline the trip now: while it is pending, an
        active person of its company who is one of the current step's approvers, or a
        company admin, who may decide any trip but their own. Who is a current approver is
        kept up to date by the chain rebuild, so a demoted admin stops being one there."""
        if not self.is_pending or person.company_id != self.company_id or not person.is_active or person.is_deleted:
            return False
        if person.is_company_admin and person.pk != self.traveller_id:
            return True
        if not self.current_approvers.filter(pk=person.pk).exists():
            return False
        # A step that falls to the admins is theirs only while they are admins: someone
        # demoted stays listed until the coalesced rebuild runs, and must not decide
        # meanwhile.
        return not self.current_step_falls_to_admins()

    def current_step_falls_to_admins(self) -> bool:
        """Whether the current step is decided by the company admins: a step with no
        manager left, or a step the trip's process no longer has."""
        if self.process_id is None:
            return True
        step = ApprovalStep.objects.filter(process_id=self.process_id, position=self.current_step).first()
        return step is None or step.fallback_to_admins


class TripEvent(models.Model):
    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        AUTO_APPROVED = "auto_approved", "Approved without approval"
        STEP_APPROVED = "step_approved", "Step approved"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"
        REASSIGNED = "reassigned", "Moved to new approvers"

    trip = models.ForeignKey(Trip, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    step = models.PositiveSmallIntegerField(default=0)
    comment = models.TextField(blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.trip_id}"


class PendingChainChange(models.Model):
    """Outbox: a person whose change may alter automatic processes, written in the same
    transaction as the change, so a change is never lost even if the broker is down.
    ``user_id`` NULL asks for a full rebuild of the company (settings changed)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    # Not a foreign key: the outbox must accept any id the sender names, even of a row
    # that is gone by the time the rebuild runs.
    user_id = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["company", "id"], name="chainchange_company_idx")]

    def __str__(self) -> str:
        return f"{self.company_id}: {self.user_id or 'everyone'}"


class ScheduledRebuild(models.Model):
    """At most one queued rebuild task per company: the row exists from the moment a task is
    enqueued until that task starts, and while it exists nobody enqueues another one. This
    is what coalesces an initial sync of thousands of people into a handful of rebuilds."""

    company = models.OneToOneField(Company, on_delete=models.CASCADE, related_name="+")
    scheduled_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.company_id} at {self.scheduled_at:%H:%M:%S}"
