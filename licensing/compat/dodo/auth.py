"""Who may call Dodo's merchant endpoints: a vendor API key (`kw_api_…`, Dodo's API key belongs to the
business), or a staff user by the Bearer developer token of any of their memberships."""

from rest_framework.permissions import BasePermission

from authtokens.api.authentication import BearerTokenAuthentication, IsStaffOrVendorKey

__all__ = ["StaffBearerAuthentication", "StaffOnly", "StaffOrVendorKey"]

StaffBearerAuthentication = BearerTokenAuthentication


class StaffOnly(BasePermission):
    message = "Only the vendor's staff can manage license keys; use a staff member's developer auth token."

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.is_staff)


class StaffOrVendorKey(IsStaffOrVendorKey):
    message = StaffOnly.message
