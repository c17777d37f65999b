"""OPTIONS answers for every API view."""

from rest_framework.metadata import SimpleMetadata


class Metadata(SimpleMetadata):
    """Name, description, renderers and parsers, without the `actions` block: DRF builds that from
    `get_serializer()`, which views with a serializer per method do not define (it was a 500).
    The OpenAPI schema at /api/schema/ describes every operation's input instead."""

    def determine_metadata(self, request, view):
        metadata = super().determine_metadata(request, view)
        metadata.pop("actions", None)
        return metadata

    def determine_actions(self, request, view):
        return {}
