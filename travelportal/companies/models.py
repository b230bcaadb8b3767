"""The tenant and everything that belongs to it: companies, people, cost centres,
invoice profiles and travel policies.

Every row below the company carries its ``company`` and every named lookup lives on a
manager or queryset that takes the company, so no query reaches across tenants.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import NamedTuple

import pycountry
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone


def validate_currency(value: str) -> None:
    """ISO 4217 alphabetic code, upper case."""
    if not value or pycountry.currencies.get(alpha_3=value) is None or value != value.upper():
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code.", code="invalid_currency")


class Company(models.Model):
    class TripsRequiringApproval(models.TextChoices):
        ALL = "all", "All trips"
        OUT_OF_POLICY = "out_of_policy", "Out-of-policy trips only"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    scim_enabled = models.BooleanField("SCIM API enabled", default=False)
    approvals_through_idp = models.BooleanField("approvals through an identity provider", default=False)
    auto_approval_processes = models.BooleanField("automatic approval process creation", default=False)
    approval_chain_depth = models.PositiveSmallIntegerField(default=1)
    auto_process_trips = models.CharField(
        "trips of automatic processes that need approval",
        max_length=20,
        choices=TripsRequiringApproval.choices,
        default=TripsRequiringApproval.ALL,
    )
    # Raised by support staff for one company; empty: the default (SCIM_RATE_LIMIT_*).
    rate_limit_per_second = models.PositiveIntegerField("rate limit (requests per second)", null=True, blank=True)
    rate_limit_burst = models.PositiveIntegerField("rate limit burst", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "companies"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_chain_depth__gte=1) & Q(approval_chain_depth__lte=3),
                name="company_chain_depth_1_to_3",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def approvals_automated(self) -> bool:
        """Whether the company's automatic approval processes are built from its manager
        hierarchy: approvals come through the identity provider and automatic process
        creation is on. Manual and default processes apply either way."""
        return self.approvals_through_idp and self.auto_approval_processes


class CompanyScopedQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> CompanyScopedQuerySet:
        return self.filter(company=company)


class CatalogueQuerySet(CompanyScopedQuerySet):
    def live(self) -> CatalogueQuerySet:
        return self.filter(archived_at__isnull=True)


class CatalogueEntry(models.Model):
    """A named thing a company keeps a list of; names are unique within the company."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Numbered by the database at each change, in commit order (companies.changes).
    change_seq = models.BigIntegerField(null=True, editable=False)

    objects = CatalogueQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["name"]
        indexes = [models.Index(fields=["company", "change_seq"], name="%(class)s_change_seq_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class CostCentre(CatalogueEntry):
    class Meta(CatalogueEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="costcentre_unique_name_per_company"),
        ]


class InvoiceProfile(CatalogueEntry):
    class BillingPeriod(models.TextChoices):
        PER_BOOKING = "per_booking", "Per booking"
        WEEKLY = "weekly", "Weekly"
        BIWEEKLY = "biweekly", "Every two weeks"
        MONTHLY = "monthly", "Monthly"

    legal_name = models.CharField(max_length=200, blank=True)
    vat_number = models.CharField("VAT number", max_length=50, blank=True)
    billing_address = models.TextField(blank=True)
    currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    billing_period = models.CharField(max_length=20, choices=BillingPeriod.choices, default=BillingPeriod.MONTHLY)

    class Meta(CatalogueEntry.Meta):
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="invoiceprofile_unique_name_per_company"),
            models.CheckConstraint(condition=Q(currency__regex=r"^[A-Z]{3}$"), name="invoiceprofile_currency_iso"),
            models.CheckConstraint(
                condition=Q(billing_period__in=["per_booking", "weekly", "biweekly", "monthly"]),
                name="invoiceprofile_billing_period_valid",
            ),
        ]


class TravelPolicy(CatalogueEntry):
    class CabinClass(models.TextChoices):
        ECONOMY = "economy", "Economy"
        PREMIUM_ECONOMY = "premium_economy", "Premium economy"
        BUSINESS = "business", "Business"
        FIRST = "first", "First"

    max_flight_cabin = models.CharField(
        "highest flight cabin class", max_length=20, choices=CabinClass.choices, default=CabinClass.ECONOMY
    )
    max_hotel_price_per_night = models.DecimalField(
        "highest hotel price per night", max_digits=10, decimal_places=2, null=True, blank=True
    )
    hotel_price_currency = models.CharField(max_length=3, default="EUR", validators=[validate_currency])
    max_trip_cost = models.DecimalField(
        "highest estimated cost of a trip", max_digits=12, decimal_places=2, null=True, blank=True
    )
    allow_out_of_policy = models.BooleanField("travellers may book out of policy", default=True)

    class Meta(CatalogueEntry.Meta):
        verbose_name_plural = "travel policies"
        constraints = [
            models.UniqueConstraint(fields=["company", "name"], name="travelpolicy_unique_name_per_company"),
            models.CheckConstraint(
                condition=Q(hotel_price_currency__regex=r"^[A-Z]{3}$"), name="travelpolicy_currency_iso"
            ),
            models.CheckConstraint(
                condition=Q(max_hotel_price_per_night__isnull=True) | Q(max_hotel_price_per_night__gte=0),
                name="travelpolicy_hotel_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(max_trip_cost__isnull=True) | Q(max_trip_cost__gte=0),
                name="travelpolicy_trip_cost_not_negative",
            ),
        ]

    def violations_for(
        self,
        *,
        estimated_cost: Decimal,
        currency: str,
        flight_cabin: str = "",
        hotel_price_per_night: Decimal | None = None,
    ) -> list[str]:
        """Why a trip is out of this policy, one reason per rule it breaks; empty when in policy.

        The policy's prices are in its currency (``hotel_price_currency``). A price in another
        currency can't be compared (we hold no exchange rates), so it counts as out of policy
        whenever the policy sets a limit for it. No limit means in policy, and an archived
        policy binds nobody."""
        if self.is_archived:
            return []
        reasons = []
        limit_currency = self.hotel_price_currency
        if self.max_trip_cost is not None:
            if currency != limit_currency:
                reasons.append(f"The cost is in {currency}; the policy's limit is in {limit_currency}.")
            elif estimated_cost > self.max_trip_cost:
                reasons.append(f"The estimated cost is over the policy's {self.max_trip_cost:.2f} {limit_currency}.")
        if hotel_price_per_night is not None and self.max_hotel_price_per_night is not None:
            if currency != limit_currency:
                reasons.append(f"The hotel price is in {currency}; the policy's limit is in {limit_currency}.")
            elif hotel_price_per_night > self.max_hotel_price_per_night:
                limit = f"{self.max_hotel_price_per_night:.2f} {limit_currency}"
                reasons.append(f"The hotel price per night is over the policy's {limit}.")
        # Cabins rank in the order CabinClass lists them, economy lowest.
        rank = {cabin: position for position, cabin in enumerate(self.CabinClass.values)}
        if flight_cabin and rank.get(flight_cabin, 0) > rank.get(self.max_flight_cabin, 0):
            reasons.append(f"The flight cabin is above the policy's {self.get_max_flight_cabin_display().lower()}.")
        return reasons


class UserQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> UserQuerySet:
        """Live (not deleted) people of one company."""
        return self.filter(company=company, deleted_at__isnull=True)

    def live(self) -> UserQuerySet:
        return self.filter(deleted_at__isnull=True)

    def with_username(self, username: str) -> UserQuerySet:
        """Live users whose userName equals ``username`` compared case-insensitively."""
        return self.live().annotate(username_lower=Lower("username")).filter(username_lower=username.lower())


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username: str) -> User:
        return self.with_username(username).get()

    def create_user(self, username: str, password: str | None = None, **fields) -> User:
        if not username:
            raise ValueError("A user needs a userName.")
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(username, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: signs in with their userName, and is provisioned over SCIM.

    The primary key is the SCIM ``id``: a random UUID, so ids reveal nothing about how
    many people a company or the platform has. A SCIM DELETE soft-deletes (``deleted_at``)
    so trips and approval history stay readable, and frees the userName.
    """

    class Role(models.TextChoices):
        ADMIN = "admin", "Company admin"
        TRAVEL_MANAGER = "travel_manager", "Travel manager"
        TRAVELLER = "traveller", "Traveller"

    class Gender(models.TextChoices):
        MALE = "M", "Male"
        FEMALE = "F", "Female"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="SCIM id")
    # Support staff have no company; everyone else belongs to exactly one.
    company = models.ForeignKey(Company, on_delete=models.PROTECT, null=True, blank=True, related_name="people")
    username = models.CharField("userName", max_length=254)
    external_id = models.CharField("externalId", max_length=254, blank=True)
    is_active = models.BooleanField("active", default=True)
    is_staff = models.BooleanField("support staff", default=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TRAVELLER)
    scim_managed = models.BooleanField("managed by SCIM", default=False)

    display_name = models.CharField("displayName", max_length=254, blank=True)
    honorific_prefix = models.CharField(max_length=50, blank=True)
    given_name = models.CharField(max_length=150, blank=True)
    middle_name = models.CharField(max_length=150, blank=True)
    family_name = models.CharField(max_length=150, blank=True)
    title = models.CharField(max_length=200, blank=True)
    preferred_language = models.CharField(max_length=35, blank=True)
    locale = models.CharField(max_length=35, blank=True)
    work_phone = models.CharField(max_length=50, blank=True)
    work_email = models.CharField(max_length=254, blank=True)
    # ``primary`` of the stored work email and phone, as the identity provider sent it;
    # None when it sent none.
    work_email_primary = models.BooleanField(null=True, blank=True)
    work_phone_primary = models.BooleanField(null=True, blank=True)

    employee_number = models.CharField("employee number", max_length=100, blank=True)
    department = models.CharField(max_length=200, blank=True)

    cost_centre = models.ForeignKey(CostCentre, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    manager = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="direct_reports")
    # A manager given by userName, externalId or employee number who is not provisioned
    # yet; resolved when that person arrives.
    pending_manager_ref = models.CharField(max_length=254, blank=True)

    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_phone = models.CharField(max_length=50, blank=True)
    travel_policy = models.ForeignKey(TravelPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    invoice_profiles = models.ManyToManyField(InvoiceProfile, blank=True, related_name="+")

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Numbered by the database at each change, in commit order (companies.changes).
    change_seq = models.BigIntegerField(null=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "username"
    EMAIL_FIELD = "work_email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["family_name", "given_name", "username"]
        indexes = [
            models.Index(fields=["company", "created_at"], name="user_company_created_idx"),
            models.Index(fields=["company", "updated_at"], name="user_company_updated_idx"),
            models.Index(fields=["company", "change_seq"], name="user_company_change_seq_idx"),
            models.Index(fields=["company", "manager"], name="user_company_manager_idx"),
            # People waiting for a manager not provisioned yet, found when that manager
            # arrives (people._resolve_pending_references_to): few rows, so a partial index.
            models.Index(
                "company",
                Upper("pending_manager_ref"),
                name="user_pending_manager_ref_idx",
                condition=~Q(pending_manager_ref=""),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("username"),
                condition=Q(deleted_at__isnull=True),
                name="user_username_unique_ci",
                violation_error_message="This userName is already taken.",
            ),
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=Q(deleted_at__isnull=True) & ~Q(external_id=""),
                name="user_external_id_unique_per_company",
                violation_error_message="This externalId is already used in the company.",
            ),
            models.UniqueConstraint(
                fields=["company", "employee_number"],
                condition=Q(deleted_at__isnull=True) & ~Q(employee_number=""),
                name="user_employee_number_unique_per_company",
                violation_error_message="This employee number is already used in the company.",
            ),
            models.CheckConstraint(condition=Q(company__isnull=False) | Q(is_staff=True), name="user_has_company"),
            models.CheckConstraint(condition=~Q(manager=models.F("id")), name="user_not_own_manager"),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "travel_manager", "traveller"]), name="user_role_valid"
            ),
            models.CheckConstraint(condition=Q(gender__in=["", "M", "F"]), name="user_gender_valid"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def full_name(self) -> str:
        parts = [self.given_name, self.middle_name, self.family_name]
        return " ".join(p for p in parts if p) or self.display_name

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_company_admin(self) -> bool:
        return self.role == self.Role.ADMIN and self.company_id is not None and self.is_active and not self.is_deleted

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.given_name or self.username

    def effective_travel_policy(self) -> EffectiveTravelPolicy:
        """The travel policy that binds this person's trips, and where it comes from.

        Their own policy wins; otherwise the policy of the first of their groups that
        carries one, in the order the admin sets (lowest ``policy_rank`` first, then the
        group's name). An archived policy binds nobody, so it is passed over, the person's
        own as well as a group's. One query at most, none when their own policy applies."""
        own = self.travel_policy
        if own is not None and not own.is_archived:
            return EffectiveTravelPolicy(own)
        group = (
            Group.objects.filter(
                memberships__user=self, travel_policy__isnull=False, travel_policy__archived_at__isnull=True
            )
            .select_related("travel_policy")
            .order_by("policy_rank", "display_name", "id")
            .first()
        )
        return EffectiveTravelPolicy(group.travel_policy, group) if group is not None else EffectiveTravelPolicy(None)

    def clean(self) -> None:
        super().clean()
        if self.manager_id is not None:
            if self.manager_id == self.id:
                raise ValidationError({"manager": "A person can't be their own manager."})
            manager_company = User.objects.filter(pk=self.manager_id).values_list("company_id", flat=True).first()
            if manager_company != self.company_id:
                raise ValidationError({"manager": "The manager must belong to the same company."})
        for field in ("cost_centre", "travel_policy"):
            related = getattr(self, field)
            if related is not None and related.company_id != self.company_id:
                raise ValidationError({field: "It must belong to the same company."})


class EffectiveTravelPolicy(NamedTuple):
    """A person's travel policy for their trips (``User.effective_travel_policy``)."""

    policy: TravelPolicy | None
    # The group the policy comes from; None when it is the person's own, or there is none.
    group: Group | None = None

    @property
    def is_own(self) -> bool:
        return self.policy is not None and self.group is None


class GroupQuerySet(models.QuerySet):
    def for_company(self, company: Company) -> GroupQuerySet:
        return self.filter(company=company)

    def named(self, display_name: str) -> GroupQuerySet:
        """Groups whose displayName equals ``display_name`` compared case-insensitively."""
        return self.annotate(display_name_lower=Lower("display_name")).filter(display_name_lower=display_name.lower())


class Group(models.Model):
    """A group of a company's people, provisioned over SCIM (RFC 7643 §4.2) or made in
    the portal. Groups can be the requesters of approval processes and carry a travel
    policy for their members; ``policy_rank`` orders groups when a person's groups carry
    several policies (lowest first).

    The primary key is the SCIM ``id``, a random UUID like a person's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name="SCIM id")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="groups")
    display_name = models.CharField("displayName", max_length=256)
    external_id = models.CharField("externalId", max_length=254, blank=True)
    scim_managed = models.BooleanField("managed by SCIM", default=False)
    members = models.ManyToManyField(User, through="GroupMembership", related_name="scim_groups", blank=True)
    travel_policy = models.ForeignKey(TravelPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    policy_rank = models.PositiveIntegerField("policy order", default=100)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "id"]
        indexes = [models.Index(fields=["company", "created_at"], name="group_company_created_idx")]
        constraints = [
            models.UniqueConstraint(
                "company",
                Lower("display_name"),
                name="group_display_name_unique_ci",
                violation_error_message="A group of this company already has this displayName.",
            ),
            models.UniqueConstraint(
                fields=["company", "external_id"],
                condition=~Q(external_id=""),
                name="group_external_id_unique_per_company",
                violation_error_message="A group of this company already has this externalId.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class GroupMembershipQuerySet(models.QuerySet):
    def for_members_list(self) -> GroupMembershipQuerySet:
        """Memberships with just what a member list shows of each person (their id and
        names): a group may have 10,000 members, and whole rows cost five times more."""
        return self.select_related("user").only(
            "group_id",
            "user_id",
            "user__id",
            "user__username",
            "user__display_name",
            "user__given_name",
            "user__middle_name",
            "user__family_name",
        )


class GroupMembership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="group_memberships")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = GroupMembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="groupmembership_unique")]
        indexes = [models.Index(fields=["user"], name="groupmembership_user_idx")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"
