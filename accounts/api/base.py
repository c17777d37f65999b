"""Base view for /api/v1/workspaces/<workspace_slug>/... endpoints."""

from functools import cached_property

from rest_framework.views import APIView

from accounts.models import Membership, Workspace
from authtokens.api.authentication import workspace_principal


class WorkspaceAPIView(APIView):
    """Resolves the caller's membership in the URL's workspace before anything else.

    Not a member means 404, never 403, so the API does not confirm that a
    workspace exists. Subclasses use `self.membership` and `self.workspace`.

    Auth tokens (authtokens.api.authentication): a developer token acts as its
    member in that member's workspace only (another workspace: 404). A CI token
    reaches a view only if it sets `allow_ci_token = True` (else 403
    CI_TOKEN_NOT_ALLOWED); there `self.membership` is None and `self.workspace`
    is the token's workspace.
    """

    allow_ci_token = False

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.workspace  # noqa: B018 - resolve early so a non-member gets 404 before any other check

    @cached_property
    def _principal(self) -> tuple[Membership | None, Workspace]:
        slug = self.kwargs["workspace_slug"]
        return workspace_principal(request=self.request, view=self, workspace_slug=slug)

    @property
    def membership(self) -> Membership | None:
        return self._principal[0]

    @property
    def workspace(self) -> Workspace:
        return self._principal[1]
