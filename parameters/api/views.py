"""REST API for parameters: /api/v1/workspaces/<slug>/parameters/...

Reads (resolved set, one value, render) are open to every member, developer
token and CI token (views with allow_ci_token), answer with an ETag, and 304 to
a matching If-None-Match without decrypting anything. Writes need a member with
manage_parameters; the services check it. Views only translate.
"""

from django.http import Http404
from django.utils.cache import get_conditional_response
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from accounts.api.base import WorkspaceAPIView
from authtokens.api.authentication import CITokenForbidden, request_token
from project.api.inputs import validated_input
from project.api.parsers import JSONParser

from .. import selectors, services
from ..selectors import Reader
from .renderers import DotenvRenderer
from .serializers import (
    ParameterCreateInputSerializer,
    ParameterOutputSerializer,
    ParameterUpdateInputSerializer,
    ParameterValueOutputSerializer,
    ParameterVersionOutputSerializer,
    RenderInputSerializer,
    RenderOutputSerializer,
    StageQuerySerializer,
)

TAGS = ["parameters"]
STAGE = OpenApiParameter("stage", str, description="The stage to read; its values win over `default`.")
FORMAT = OpenApiParameter("format", str, enum=["json", "dotenv"], description="`dotenv`: NAME='value' lines.")
NO_STORE = {"Cache-Control": "no-store"}  # values may be secrets: no shared or disk cache keeps them


class ParameterAPIView(WorkspaceAPIView):
    allow_ci_token = True  # reads; every write asks for `self.actor`, which a CI token is not
    renderer_classes = [JSONRenderer, DotenvRenderer]
    parser_classes = [JSONParser]

    @property
    def reader(self) -> Reader:
        return Reader(membership=self.membership, token=request_token(self.request))

    @property
    def actor(self):
        if self.membership is None:
            raise CITokenForbidden()
        return self.membership

    @property
    def stage(self) -> str:
        return validated_input(StageQuerySerializer, self.request.query_params)["stage"]

    @property
    def wants_dotenv(self) -> bool:
        return getattr(self.request, "accepted_renderer", None).__class__ is DotenvRenderer

    def perform_content_negotiation(self, request, force=False):
        try:
            return super().perform_content_negotiation(request, force)
        except (exceptions.NotFound, Http404):
            raise exceptions.ValidationError({"format": ["Use format=json or format=dotenv."]}) from None

    def handle_exception(self, exc):
        # Errors are JSON {code, message, fields} whatever format was asked for.
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)

    def conditional(self, rows, body):
        """304 when If-None-Match matches the rows' ETag, else 200 with body() and the ETag."""
        etag = selectors.resolved_etag(rows, variant="dotenv" if self.wants_dotenv else "json")
        not_modified = get_conditional_response(self.request._request, etag=etag)
        if not_modified is not None:
            not_modified["ETag"] = etag
            return not_modified
        return Response(body(), headers={"ETag": etag, **NO_STORE})

    def parameter(self):
        return selectors.parameter_get_by_name(
            workspace=self.workspace, stage=self.stage, name=self.kwargs["name"]
        )


class ParameterListView(ParameterAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="workspace_parameters_resolve",
        summary="The resolved parameters of a stage: {NAME: value}, stage values over `default`",
        parameters=[STAGE, FORMAT],
        responses={200: {"type": "object", "additionalProperties": {"type": "string"}}, 304: None},
    )
    def get(self, request, workspace_slug):
        rows = selectors.parameter_resolve_rows(
            workspace=self.workspace, stage=self.stage, reader=self.reader
        )
        return self.conditional(rows, lambda: selectors.resolved_values(rows, self.reader))

    @extend_schema(
        tags=TAGS,
        summary="Create a parameter in a stage (needs manage_parameters)",
        request=ParameterCreateInputSerializer,
        responses={201: ParameterOutputSerializer},
    )
    def post(self, request, workspace_slug):
        data = validated_input(ParameterCreateInputSerializer, request.data)
        parameter = services.parameter_create(
            actor=self.actor,
            stage=data["stage"],
            name=data["name"],
            value=data["value"],
            is_secret=data["secret"],
            description=data["description"],
        )
        return Response(ParameterOutputSerializer(parameter).data, status=status.HTTP_201_CREATED)


class ParameterDetailView(ParameterAPIView):
    @extend_schema(
        tags=TAGS,
        operation_id="workspace_parameter_value",
        summary="One resolved value (the stage's own, else `default`'s)",
        parameters=[STAGE, FORMAT],
        responses={200: ParameterValueOutputSerializer, 304: None},
    )
    def get(self, request, workspace_slug, name):
        row = selectors.parameter_resolve_one(
            workspace=self.workspace, stage=self.stage, name=name, reader=self.reader
        )

        def body():
            values = selectors.resolved_values([row], self.reader)
            if self.wants_dotenv:
                return values
            row.value = values[row.name]
            return ParameterValueOutputSerializer(row).data

        return self.conditional([row], body)

    @extend_schema(
        tags=TAGS,
        summary="Change the value, secrecy or description of the stage's parameter (needs manage_parameters)",
        parameters=[STAGE],
        request=ParameterUpdateInputSerializer,
        responses={200: ParameterOutputSerializer},
    )
    def patch(self, request, workspace_slug, name):
        actor = self.actor
        data = validated_input(ParameterUpdateInputSerializer, request.data)
        parameter = services.parameter_update(
            actor=actor,
            parameter=self.parameter(),
            value=data.get("value"),
            is_secret=data.get("secret"),
            description=data.get("description"),
        )
        return Response(ParameterOutputSerializer(parameter).data)

    @extend_schema(
        tags=TAGS,
        summary="Delete the stage's parameter and its versions (needs manage_parameters)",
        parameters=[STAGE],
        responses={204: OpenApiResponse(description="Deleted.")},
    )
    def delete(self, request, workspace_slug, name):
        services.parameter_delete(actor=self.actor, parameter=self.parameter())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ParameterRenderView(ParameterDetailView):
    """POST renders a template; GET, PATCH and DELETE act on a parameter that is named `render`."""

    def initial(self, request, *args, **kwargs):
        self.kwargs.setdefault("name", "render")
        super().initial(request, *args, **kwargs)

    @extend_schema(exclude=True)  # documented on parameters/{name}/
    def get(self, request, workspace_slug, name="render"):
        return super().get(request, workspace_slug, name)

    @extend_schema(exclude=True)
    def patch(self, request, workspace_slug, name="render"):
        return super().patch(request, workspace_slug, name)

    @extend_schema(exclude=True)
    def delete(self, request, workspace_slug, name="render"):
        return super().delete(request, workspace_slug, name)

    @extend_schema(
        tags=TAGS,
        summary="Replace every ${param:NAME} in a template; 422 lists unknown names, nothing half-rendered",
        request=RenderInputSerializer,
        responses={200: RenderOutputSerializer},
    )
    def post(self, request, workspace_slug, name="render"):
        data = validated_input(RenderInputSerializer, request.data)
        rendered = selectors.parameter_render(
            workspace=self.workspace, stage=data["stage"], template=data["template"], reader=self.reader
        )
        return Response({"rendered": rendered}, headers=NO_STORE)


class ParameterVersionListView(ParameterAPIView):
    @extend_schema(
        tags=TAGS,
        summary="The versions of the stage's parameter, newest first (secret values never shown)",
        parameters=[STAGE],
        responses={200: ParameterVersionOutputSerializer(many=True)},
    )
    def get(self, request, workspace_slug, name):
        self.actor  # noqa: B018 - members only: version history is not for pipelines
        versions = list(selectors.parameter_version_list(parameter=self.parameter()))
        for version in versions:
            version.value = None if version.is_secret else version.stored_value
        return Response(ParameterVersionOutputSerializer(versions, many=True).data)


class ParameterRestoreView(ParameterAPIView):
    @extend_schema(
        tags=TAGS,
        summary="Make an old version current again, as a new version (needs manage_parameters)",
        parameters=[STAGE],
        request=None,
        responses={200: ParameterOutputSerializer},
    )
    def post(self, request, workspace_slug, name, version):
        parameter = services.parameter_restore(
            actor=self.actor, parameter=self.parameter(), version=int(version)
        )
        return Response(ParameterOutputSerializer(parameter).data)
