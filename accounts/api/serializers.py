"""Input and output serializers for the accounts API.

Input serializers only parse and validate the shape of a request; the rules
(who may do what) live in accounts.services. Output serializers only read.
"""

from collections.abc import Mapping

from rest_framework import serializers

from accounts.models import CAPABILITIES, Role

# ---------------------------------------------------------------- shared output


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.EmailField()
    full_name = serializers.CharField()


class WorkspaceRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class PermissionsSerializer(serializers.Serializer):
    """One boolean per advanced permission (capability)."""

    manage_members = serializers.BooleanField()
    manage_licenses = serializers.BooleanField()
    manage_ci_tokens = serializers.BooleanField()
    manage_parameters = serializers.BooleanField()
    view_usage = serializers.BooleanField()


def stored_permissions(membership) -> dict[str, bool]:
    return {capability: getattr(membership, capability) for capability in CAPABILITIES}


class MemberOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = UserOutputSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    permissions = serializers.SerializerMethodField(help_text="The toggles stored for this member.")
    effective_permissions = serializers.SerializerMethodField(
        help_text="What the member may do: owners and admins hold every permission."
    )
    created_at = serializers.DateTimeField(help_text="When the member joined.")

    def get_permissions(self, membership) -> PermissionsSerializer:
        return stored_permissions(membership)

    def get_effective_permissions(self, membership) -> PermissionsSerializer:
        return membership.capabilities()


class MyWorkspaceOutputSerializer(serializers.Serializer):
    """A workspace as seen by the caller: the workspace plus the caller's own role in it."""

    slug = serializers.SlugField(source="workspace.slug")
    name = serializers.CharField(source="workspace.name")
    created_at = serializers.DateTimeField(source="workspace.created_at")
    role = serializers.ChoiceField(choices=Role.choices, help_text="Your role in this workspace.")
    effective_permissions = serializers.SerializerMethodField(help_text="What you may do in this workspace.")

    def get_effective_permissions(self, membership) -> PermissionsSerializer:
        return membership.capabilities()


class InvitationOutputSerializer(serializers.Serializer):
    """An invitation as a workspace manager sees it. The link key is left out: only the invitee gets it."""

    id = serializers.IntegerField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.CharField(help_text="pending, accepted, declined or revoked.")
    is_expired = serializers.BooleanField()
    invited_by = UserOutputSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    sent_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    responded_at = serializers.DateTimeField(allow_null=True)


class MyInvitationOutputSerializer(serializers.Serializer):
    """An invitation addressed to the caller, with the key to accept or decline it."""

    key = serializers.UUIDField()
    workspace = WorkspaceRefSerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.CharField()
    invited_by = UserOutputSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class MeUserOutputSerializer(UserOutputSerializer):
    is_staff = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


class MeOutputSerializer(serializers.Serializer):
    user = MeUserOutputSerializer()
    memberships = MyWorkspaceOutputSerializer(many=True)


# ---------------------------------------------------------------- input


class WorkspaceCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text="Optional; derived from the name when left out.",
    )


class WorkspaceUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class WorkspaceDeleteInputSerializer(serializers.Serializer):
    confirm_name = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="The workspace name, typed exactly, to confirm."
    )


class PermissionsInputSerializer(serializers.Serializer):
    """Capabilities to turn on (true) or off (false). Capabilities left out stay as they are."""

    manage_members = serializers.BooleanField(required=False)
    manage_licenses = serializers.BooleanField(required=False)
    manage_ci_tokens = serializers.BooleanField(required=False)
    manage_parameters = serializers.BooleanField(required=False)
    view_usage = serializers.BooleanField(required=False)

    def to_internal_value(self, data):
        if not isinstance(data, Mapping):
            # A list-shaped error, so the message is reported on `permissions` itself.
            raise serializers.ValidationError('Send an object such as {"view_usage": true}.')
        unknown = sorted(set(data) - set(CAPABILITIES))
        if unknown:
            raise serializers.ValidationError(
                {name: f"Unknown permission; use one of {', '.join(CAPABILITIES)}." for name in unknown}
            )
        return super().to_internal_value(data)


class MemberUpdateInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    permissions = PermissionsInputSerializer(required=False)

    def validate(self, attrs):
        if "role" not in attrs and "permissions" not in attrs:
            raise serializers.ValidationError("Send a role, permissions, or both.")
        return attrs


class InvitationCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
