"""Base view for /api/v1/workspaces/<workspace_slug>/... endpoints."""

from functools import cached_property

from rest_framework.views import APIView

from accounts import selectors
from accounts.models import Membership, Workspace


class WorkspaceAPIView(APIView):
    """Resolves the caller's membership in the URL's workspace before anything else.

    Not a member means 404, never 403, so the API does not confirm that a
    workspace exists. Subclasses use `self.membership` and `self.workspace`.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.membership  # noqa: B018 - resolve early so a non-member gets 404 before any other check

    @cached_property
    def membership(self) -> Membership:
        return selectors.membership_get(user=self.request.user, workspace_slug=self.kwargs["workspace_slug"])

    @property
    def workspace(self) -> Workspace:
        return self.membership.workspace
