"""The project's URLs plus one endpoint that opts in to CI tokens, as license status will."""

from django.urls import include, path
from rest_framework.response import Response

from accounts.api.base import WorkspaceAPIView


class PipelineView(WorkspaceAPIView):
    allow_ci_token = True

    def get(self, request, workspace_slug):
        membership = self.membership
        return Response(
            {"workspace": self.workspace.slug, "membership": membership.pk if membership else None}
        )


urlpatterns = [
    path("test/workspaces/<slug:workspace_slug>/pipeline/", PipelineView.as_view()),
    path("", include("project.urls")),
]
