"""Every error code raised anywhere is declared once in project/error_codes.py, with its HTTP
status and a one-sentence fix; and the OpenAPI schema lists each operation's codes."""

import ast
import re
from pathlib import Path

import pytest

from licensing.selectors.entitlement import STATUS_REFUSALS
from project.api.errors import DRF_CODES
from project.error_codes import ERROR_CODES
from project.errors import HTTP_STATUS

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "authtokens", "commerce", "licensing", "parameters", "project", "webhooks")
KIND_STATUS = {
    name: HTTP_STATUS[value]
    for name, value in vars(__import__("project.errors").errors.ErrorKind).items()
    if not name.startswith("_")
}  # noqa: E501


def _literal(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls(tree):
    """The calls in a module, leaving out the mutated copies `make mutate` (mutmut) adds beside each
    function (`x_name__mutmut_3`): those are the mutants, not code that raises anything."""
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef) and re.search(r"__mutmut_\d+$", node.name):
            continue
        if isinstance(node, ast.Call):
            yield node
        pending.extend(ast.iter_child_nodes(node))


def raised_codes() -> dict[str, set]:
    """{code: {(path, status or None), ...}} for every DomainError, _refusal and forbidden call."""
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in _calls(ast.parse(path.read_text())):
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                code, kind = None, None
                keywords = {kw.arg: kw.value for kw in node.keywords}
                if name in ("DomainError", "_refusal") and node.args:
                    code = _literal(node.args[0])
                    kind_node = keywords.get("kind") or (node.args[2] if len(node.args) > 2 else None)
                    kind = "INVALID" if kind_node is None and name == "DomainError" else None
                    if kind_node is not None:
                        kind = ast.unparse(kind_node).rsplit(".", 1)[-1]
                elif name == "Entitlement" and node.args:  # raised by Entitlement.refusal() as a 422
                    code, kind = _literal(node.args[0]), "UNPROCESSABLE"
                elif name == "forbidden":
                    code_node = keywords.get("code") or (node.args[1] if len(node.args) > 1 else None)
                    code = "PERMISSION_DENIED" if code_node is None else _literal(code_node)
                    kind = "FORBIDDEN"
                if code:
                    status = KIND_STATUS.get(kind) if kind else None
                    found.setdefault(code, set()).add((str(path.relative_to(ROOT)), status))
    for code, _ in STATUS_REFUSALS.values():
        found.setdefault(code, set()).add(("licensing/selectors/entitlement.py", 422))
    for code in DRF_CODES.values():
        found.setdefault(code, set()).add(("project/api/errors.py", None))
    return found


def test_the_scan_finds_codes_it_must():
    found = raised_codes()
    assert {"LICENSE_NOT_ASSIGNED", "PERMISSION_DENIED", "OWNER_REQUIRED", "LICENSE_SUSPENDED"} <= set(found)
    assert ("licensing/services/licenses.py", 409) in found["LICENSE_CI_ONLY"]


def test_every_raised_code_is_declared_with_its_status():
    undeclared, wrong_status = [], []
    for code, sites in sorted(raised_codes().items()):
        entry = ERROR_CODES.get(code)
        if entry is None:
            undeclared.append(f"{code} ({sorted(sites)[0][0]})")
            continue
        wrong_status += [
            f"{code} {status} in {path}" for path, status in sites if status and status not in entry.statuses
        ]
    assert undeclared == [], "declare these in project/error_codes.py"
    assert wrong_status == [], "a code answers with the status(es) declared for it"


@pytest.mark.parametrize("entry", ERROR_CODES.values(), ids=lambda entry: entry.code)
def test_every_code_is_documented_with_one_sentence_that_says_how_to_fix_it(entry):
    assert entry.code.isupper() and entry.code.replace("_", "").isalpha()
    assert entry.fix[0].isupper() and entry.fix.endswith(".") and entry.fix.count(". ") == 0
    assert all(status in (*HTTP_STATUS.values(), 405, 406, 413, 415, 429, 500) for status in entry.statuses)


def test_the_schema_lists_each_operations_codes_with_their_fix():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    activate = schema["paths"]["/api/v1/client/activate"]["post"]["responses"]
    assert "LICENSE_NOT_ASSIGNED" in activate["422"]["x-error-codes"]
    assert "ACTIVATION_LIMIT_REACHED" in activate["422"]["x-error-codes"]
    assert "- `TOKEN_MISSING`: Send your auth token" in activate["401"]["description"]
    assign = schema["paths"]["/api/v1/workspaces/{workspace_slug}/licenses/{public_id}/assign/"]["post"]
    assert "LICENSE_CI_ONLY" in assign["responses"]["409"]["x-error-codes"]
    assert assign["responses"]["403"]["x-error-codes"] == ["PERMISSION_DENIED", "VENDOR_KEY_NOT_ALLOWED"]
    assert "TOKEN_MISSING" not in assign["responses"]["401"]["x-error-codes"]  # a client-API code
