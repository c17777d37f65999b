"""JSON parsing that turns any malformed body, however deeply nested, into a 400."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DRFJSONParser


class JSONParser(DRFJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:  # json's C decoder gives up on deep nesting; that is the client's error
            raise ParseError("JSON nested too deeply.") from None
