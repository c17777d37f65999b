"""Django admin for support staff: users, workspaces, memberships and invitations.

Admin shows everything but changes little, because the membership rules live
in accounts.services and need an acting member:

- Roles are read-only here. Owner changes go through the dashboard or API, where
  "a workspace always has an owner" and "only owners make owners" are enforced.
- Memberships are never added here (they come from sign-up, workspace creation
  and accepted invitations, which also issue the member's developer token) and
  never removed one by one here (removal ends the member's token and checks the
  last-owner rule). Staff may toggle a member's advanced permissions.
- A workspace created here is for a customer: it starts with no member and an
  owner invitation to the address staff give (accounts.services.
  workspace_create_for_customer). A user who is the last owner of a workspace
  cannot be deleted: the workspace would be orphaned.
- Invitations are read-only (staff may resend pending ones); the link key is never shown.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import Count
from django.shortcuts import redirect
from django.utils import timezone

from licensing.models import Activation, License
from project.errors import DomainError

from . import selectors, services
from .models import CAPABILITIES, Capability, Invitation, Membership, User, Workspace

# ---------------------------------------------------------------- users


def _clean_unique_email(form) -> str:
    email = form.cleaned_data["email"].strip().lower()
    taken = User.objects.filter(email__iexact=email).exclude(pk=form.instance.pk)
    if taken.exists():
        raise forms.ValidationError("A user with this e-mail address already exists.")
    return email


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")

    clean_email = _clean_unique_email


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    clean_email = _clean_unique_email


class UserMembershipInline(admin.TabularInline):
    model = Membership
    verbose_name = "workspace membership"
    fields = ("workspace", "role", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("workspace")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "date_joined")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    inlines = [UserMembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
                "description": "A user created here has no workspace; invite them to one, "
                "or let them sign up themselves to get a personal workspace.",
            },
        ),
    )

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def delete_model(self, request, obj):
        services.user_delete(user=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            services.user_delete(user=user, actor=request.user)

    def get_deleted_objects(self, objs, request):
        """Lists each workspace the users solely own as protected, so Django refuses the deletion.
        Their seats and machines are not in the way: user_delete releases them first."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Django lists restricted rows as "<Verbose name>: <row>" strings.
        released = tuple(f"{model._meta.verbose_name.capitalize()}: " for model in (License, Activation))
        protected = [line for line in protected if not str(line).startswith(released)]
        # Nor does deleting a license need permission: none is deleted (admin never deletes licenses).
        perms_needed = perms_needed - {model._meta.verbose_name for model in (License, Activation)}
        orphaned = [
            f"Workspace “{workspace}” ({workspace.slug}): this user is its only owner; "
            "make someone else an owner first."
            for workspace in selectors.workspaces_solely_owned_by(users=list(objs))
        ]
        return deleted, counts, perms_needed, [*protected, *orphaned]


# ---------------------------------------------------------------- workspaces


class WorkspaceMembershipInline(admin.TabularInline):
    model = Membership
    fields = ("user", "role", "permissions", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")

    @admin.display(description="Advanced permissions")
    def permissions(self, membership):
        return _permissions_label(membership)


class WorkspaceAddForm(forms.ModelForm):
    """Onboarding a customer: the workspace and the address its owner is invited at."""

    slug = forms.CharField(
        max_length=60, required=False, help_text="Optional; left empty, it comes from the name."
    )
    owner_email = forms.EmailField(
        label="Owner's e-mail", help_text="They get an invitation to become the workspace's owner."
    )

    class Meta:
        model = Workspace
        fields = ("name",)

    def clean(self):
        cleaned = super().clean()
        try:
            cleaned["name"], cleaned["slug"] = services.workspace_clean_new(
                name=cleaned.get("name", ""), slug=cleaned.get("slug", "")
            )
        except DomainError as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
        return cleaned


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "member_count", "created_at")
    search_fields = ("name", "slug")
    list_filter = ("created_at",)
    date_hierarchy = "created_at"
    fields = ("name", "slug", "created_at")
    readonly_fields = ("slug", "created_at")
    inlines = [WorkspaceMembershipInline]
    actions = None  # no bulk delete: a workspace is deleted one at a time, after reading what goes with it

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, workspace):
        return workspace.member_count

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = WorkspaceAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("name", "slug", "owner_email") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        invitation = services.workspace_create_for_customer(
            staff=request.user,
            name=form.cleaned_data["name"],
            slug=form.cleaned_data["slug"],
            owner_email=form.cleaned_data["owner_email"],
        )
        obj.pk = invitation.workspace.pk  # the admin's redirect and log entry point at the new workspace
        obj.slug = invitation.workspace.slug
        messages.info(request, f"Owner invitation sent to {invitation.email}.")


# ---------------------------------------------------------------- memberships


def _permissions_label(membership) -> str:
    if membership.is_admin_or_owner:
        return "all (by role)"
    held = [Capability(capability).label for capability in CAPABILITIES if getattr(membership, capability)]
    return ", ".join(held) or "—"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "workspace", "role", "permissions", "created_at")
    list_filter = ("role", *CAPABILITIES)
    search_fields = ("user__email", "user__full_name", "workspace__name", "workspace__slug")
    list_select_related = ("user", "workspace")
    readonly_fields = ("user", "workspace", "role", "created_at")
    fieldsets = (
        (
            None,
            {
                "fields": ("user", "workspace", "role", "created_at"),
                "description": "Roles change in the dashboard or API, where the owner rules are enforced "
                "(a workspace always keeps an owner; only owners make owners).",
            },
        ),
        (
            "Advanced permissions",
            {
                "fields": CAPABILITIES,
                "description": "Owners and admins hold every permission whatever these say; "
                "for members, each toggle grants one.",
            },
        ),
    )
    actions = None

    @admin.display(description="Advanced permissions")
    def permissions(self, membership):
        return _permissions_label(membership)

    def has_add_permission(self, request):
        return False

    # Deleting a membership here would skip the last-owner rule and leave the member's token
    # behind, so there is no delete button or page. The delete permission itself stays, because
    # deleting a user or workspace deletes its memberships and Django checks it for them.
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self.message_user(
            request,
            "Members are removed from the workspace's members page or the API, "
            "where the last-owner rule is checked.",
            messages.ERROR,
        )
        return redirect("admin:accounts_membership_change", object_id)


# ---------------------------------------------------------------- invitations


class ExpiredFilter(admin.SimpleListFilter):
    title = "expired"
    parameter_name = "expired"

    def lookups(self, request, model_admin):
        return [("yes", "Expired"), ("no", "Not expired")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(expires_at__lte=now)
        if self.value() == "no":
            return queryset.filter(expires_at__gt=now)
        return queryset


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "workspace", "role", "status", "expires_at", "invited_by", "created_at")
    list_filter = ("status", "role", ExpiredFilter, "created_at")
    search_fields = ("email", "workspace__name", "workspace__slug", "invited_by__email")
    list_select_related = ("workspace", "invited_by")
    date_hierarchy = "created_at"
    # `key` is left out on purpose: it is the invitation link.
    fields = (
        "email",
        "workspace",
        "role",
        "status",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "responded_at",
    )
    readonly_fields = fields
    actions = ("resend",)

    def has_add_permission(self, request):
        return False  # invitations are sent by members (they need an inviter and an e-mail)

    @admin.action(description="Resend selected invitations (restarts their 7 days)")
    def resend(self, request, queryset):
        sent, refused = 0, []
        for invitation in queryset:
            try:
                services.invitation_resend_by_staff(staff=request.user, invitation=invitation)
                sent += 1
            except DomainError as error:
                refused.append(f"{invitation.email}: {error.message}")
        if sent:
            messages.success(request, f"{sent} invitation{'s' if sent != 1 else ''} sent again.")
        for line in refused:
            messages.error(request, line)

    def has_change_permission(self, request, obj=None):
        return False
