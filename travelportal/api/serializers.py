"""What the API reads and writes: TravelPerk's shapes for cost centres, invoice profiles,
users and trips; the portal's own for travel policies, approval processes, approvals and
provisioning events. Serializers only shape and validate input; writes that reach
beyond one row are service functions the views call."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from approvals.models import ApprovalProcess, Trip
from travelportal.companies.models import CostCentre, InvoiceProfile, TravelPolicy, User
from travelportal.provisioning.models import ProvisioningLogEntry


class PersonSummarySerializer(serializers.ModelSerializer):
    first_name = serializers.CharField(source="given_name")
    last_name = serializers.CharField(source="family_name")
    email = serializers.CharField(source="work_email")

    class Meta:
        model = User
        fields = ["id", "first_name", "last_name", "email"]


class UserSerializer(serializers.ModelSerializer):
    user_name = serializers.CharField(source="username")
    first_name = serializers.CharField(source="given_name")
    last_name = serializers.CharField(source="family_name")
    email = serializers.CharField(source="work_email")
    active = serializers.BooleanField(source="is_active")
    job_title = serializers.CharField(source="title")
    cost_center_id = serializers.IntegerField(source="cost_centre_id", allow_null=True)
    manager_id = serializers.UUIDField(allow_null=True)
    travel_policy_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = User
        fields = [
            "id",
            "user_name",
            "external_id",
            "first_name",
            "last_name",
            "email",
            "active",
            "role",
            "job_title",
            "department",
            "employee_number",
            "cost_center_id",
            "manager_id",
            "travel_policy_id",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class UserTombstoneSerializer(serializers.ModelSerializer):
    """A deleted person in ``/users``: in a cursor walk, or by offset with
    ``include_deleted=true``. Only who, and when they were deleted."""

    deleted_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "deleted_at"]
        read_only_fields = fields


class UserOrTombstoneSerializer(UserSerializer):
    """A person as ``/users`` lists them: the whole record, or a tombstone once deleted."""

    def to_representation(self, instance: User) -> dict:
        if instance.deleted_at is not None:
            return UserTombstoneSerializer(instance, context=self.context).data
        return super().to_representation(instance)


def _model_validated(instance, attrs: dict, exclude: tuple[str, ...] = ()):
    """Apply ``attrs`` to ``instance`` and run the model's own validation (field
    validators, choices, constraints such as names unique per company)."""
    for name, value in attrs.items():
        setattr(instance, name, value)
    try:
        instance.full_clean(exclude=list(exclude))
    except DjangoValidationError as exc:
        raise serializers.ValidationError(
            {("name" if key == "__all__" else key): messages for key, messages in exc.message_dict.items()}
        ) from None
    return instance


class CostCentreSerializer(serializers.ModelSerializer):
    archived = serializers.BooleanField(source="is_archived", read_only=True)
    count_users = serializers.SerializerMethodField()
    users = serializers.SerializerMethodField()

    class Meta:
        model = CostCentre
        fields = ["id", "name", "archived", "count_users", "users"]

    @extend_schema_field(serializers.IntegerField())
    def get_count_users(self, centre: CostCentre) -> int:
        return len(centre.members)

    @extend_schema_field(PersonSummarySerializer(many=True))
    def get_users(self, centre: CostCentre) -> list[dict]:
        return PersonSummarySerializer(centre.members, many=True).data


class CostCentreCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)

    def validate(self, attrs):
        _model_validated(CostCentre(company=self.context["company"]), {"name": attrs["name"].strip()})
        return attrs


class CostCentreUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    archive = serializers.BooleanField(required=False)

    def validate_name(self, value: str) -> str:
        centre = CostCentre.objects.get(pk=self.instance.pk)
        _model_validated(centre, {"name": value.strip()})
        return value.strip()


# The largest id a database row can have (a signed 64-bit integer); larger numbers would
# overflow the query instead of simply matching nothing.
MAX_ID = 2**63 - 1


class BulkArchiveSerializer(serializers.Serializer):
    id_list = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=MAX_ID), max_length=1000)
    archive = serializers.BooleanField()


class BulkUpdateResultSerializer(serializers.Serializer):
    updated_count = serializers.IntegerField()


class MembersSerializer(serializers.Serializer):
    user_ids = serializers.ListField(child=serializers.UUIDField(), max_length=5000)


class InvoiceProfileSerializer(serializers.ModelSerializer):
    archived = serializers.BooleanField(source="is_archived", read_only=True)
    billing_information = serializers.SerializerMethodField()

    class Meta:
        model = InvoiceProfile
        fields = ["id", "name", "archived", "billing_period", "currency", "billing_information"]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "legal_name": {"type": "string"},
                "vat_number": {"type": "string"},
                "address": {"type": "string"},
            },
            "required": ["legal_name", "vat_number", "address"],
        }
    )
    def get_billing_information(self, profile: InvoiceProfile) -> dict:
        return {"legal_name": profile.legal_name, "vat_number": profile.vat_number, "address": profile.billing_address}


class TravelPolicySerializer(serializers.ModelSerializer):
    archived = serializers.BooleanField(source="is_archived", read_only=True)
    archive = serializers.BooleanField(write_only=True, required=False)

    class Meta:
        model = TravelPolicy
        fields = [
            "id",
            "name",
            "archived",
            "archive",
            "max_flight_cabin",
            "max_hotel_price_per_night",
            "hotel_price_currency",
            "max_trip_cost",
            "allow_out_of_policy",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    def validate(self, attrs):
        values = {k: v for k, v in attrs.items() if k != "archive"}
        if "name" in values:
            values["name"] = values["name"].strip()
        # A copy, so a refused change leaves the instance as it was.
        current = TravelPolicy.objects.get(pk=self.instance.pk) if self.instance else None
        _model_validated(current or TravelPolicy(company=self.context["company"]), values)
        return {**attrs, **values}


class ApprovalStepSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    approver_ids = serializers.SerializerMethodField()
    fallback_to_admins = serializers.BooleanField()

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_approver_ids(self, step) -> list[str]:
        return [str(u.pk) for u in step.approvers.all()]


class ApprovalProcessSerializer(serializers.ModelSerializer):
    owner_id = serializers.UUIDField(allow_null=True)
    requester_ids = serializers.SerializerMethodField()
    steps = ApprovalStepSerializer(many=True)

    class Meta:
        model = ApprovalProcess
        fields = ["id", "name", "kind", "owner_id", "requester_ids", "steps", "created_at", "updated_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_requester_ids(self, process: ApprovalProcess) -> list[str]:
        return [str(u.pk) for u in process.requesters.all()]


class ApprovalStepWriteSerializer(serializers.Serializer):
    approver_ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=100)


class ApprovalProcessWriteSerializer(serializers.Serializer):
    """A manual or default process; on PATCH, what is left out stays as it is."""

    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=[ApprovalProcess.Kind.MANUAL, ApprovalProcess.Kind.DEFAULT])
    requester_ids = serializers.ListField(child=serializers.UUIDField(), max_length=5000, default=list)
    steps = ApprovalStepWriteSerializer(many=True, min_length=1, max_length=10)


class TripSerializer(serializers.ModelSerializer):
    traveler = PersonSummarySerializer(source="traveller")
    # Empty when the trip has no flight, so not the cabin enum alone.
    flight_cabin = serializers.CharField(help_text="economy, premium_economy, business or first; empty: no flight")
    requested_by_id = serializers.UUIDField()
    approval_process_id = serializers.IntegerField(source="process_id", allow_null=True)
    modified = serializers.DateTimeField(source="modified_at")

    class Meta:
        model = Trip
        fields = [
            "id",
            "status",
            "destination",
            "purpose",
            "start_date",
            "end_date",
            "traveler",
            "requested_by_id",
            "estimated_cost",
            "currency",
            "flight_cabin",
            "hotel_price_per_night",
            "in_policy",
            "policy_notes",
            "approval_process_id",
            "current_step",
            "created_at",
            "decided_at",
            "modified",
        ]
        read_only_fields = fields


class ApprovalSerializer(serializers.ModelSerializer):
    """A pending decision: the trip waiting, at which step, and who may decide it."""

    trip_id = serializers.UUIDField(source="id")
    traveler = PersonSummarySerializer(source="traveller")
    approvers = PersonSummarySerializer(source="current_approvers", many=True)
    modified = serializers.DateTimeField(source="modified_at")

    class Meta:
        model = Trip
        fields = [
            "id",
            "trip_id",
            "status",
            "destination",
            "start_date",
            "end_date",
            "traveler",
            "estimated_cost",
            "currency",
            "in_policy",
            "policy_notes",
            "current_step",
            "approvers",
            "created_at",
            "modified",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    step = serializers.IntegerField(required=False, allow_null=True, min_value=1, default=None)
    approver_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The person deciding. Required with an API key or client-credentials token, which act for the "
        "company; with a token a person authorized, it is that person.",
    )


class ProvisioningEventSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = ProvisioningLogEntry
        fields = [
            "id",
            "created_at",
            "operation",
            "method",
            "path",
            "status",
            "user_id",
            "user_name",
            "duration_ms",
            "scim_type",
            "detail",
        ]
        read_only_fields = fields


class ProvisioningFilterSerializer(serializers.Serializer):
    operation = serializers.ChoiceField(choices=ProvisioningLogEntry.Operation.choices, required=False)
    outcome = serializers.ChoiceField(choices=["ok", "error"], required=False)
    person = serializers.CharField(required=False, max_length=254)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class TripFilterSerializer(serializers.Serializer):
    modified_gte = serializers.DateTimeField(required=False)
    modified_lt = serializers.DateTimeField(required=False)
    status = serializers.ChoiceField(choices=Trip.Status.choices, required=False)
    traveler_id = serializers.UUIDField(required=False)


class ProblemFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    pointer = serializers.CharField()
    detail = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False)
    errors = ProblemFieldErrorSerializer(many=True, required=False)
    required_scope = serializers.CharField(required=False)
    supported_versions = serializers.ListField(child=serializers.CharField(), required=False)
