"""Importing existing license keys (staff API: a JSON array; Django admin: a CSV upload).

A row: `key`, `product`, `customer_email` (optional), `activation_limit` (optional), `expires_at`
(optional: without one the key never expires), `metadata` (optional JSON object). `product` is a
billing product id (Commerce › Billing products) or the code of a Keyward product with a single
policy. All or nothing: every row is checked first, and one bad row imports none, reported by line
number and field. Imported keys get source `import` and nobody is e-mailed.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils.dateparse import parse_datetime

from licensing.keys import hash_key
from licensing.models import License, LicenseSource, Policy, Product
from licensing.services import licenses as license_services
from project.errors import DomainError

from .models import BillingProduct
from .services import _customer_for

MAX_ROWS = 5000
CSV_MAX_BYTES = 5 * 1024 * 1024
COLUMNS = ("key", "product", "customer_email", "activation_limit", "expires_at", "metadata")


class ImportRejected(DomainError):
    """Every bad row, by line and field; the API shows them all under `fields` ("line 3.key")."""

    def __init__(self, errors: list[tuple[int, str, str]]):
        first_line, first_field, first_message = errors[0]
        super().__init__(
            "IMPORT_INVALID",
            f"Line {first_line}, {first_field}: {first_message} Fix the {len(errors)} bad row(s) and import "
            "again; nothing was imported.",
            field="rows",
        )
        self.errors = errors

    def as_dict(self) -> dict:
        fields = {}
        for line, name, message in self.errors:
            fields.setdefault(f"line {line}.{name}", []).append(message)
        return {"code": self.code, "message": self.message, "fields": fields}


@dataclass
class ImportRow:
    line: int
    key: str = ""
    policy: Policy | None = None
    customer_email: str = ""
    activation_limit: int | None = None
    expires_at: datetime | None = None
    metadata: dict = field(default_factory=dict)


def _policy(product) -> Policy:
    if not isinstance(product, str) or not product.strip():
        raise DomainError("PRODUCT_REQUIRED", "Name the product (a billing product id or a product code).")
    mapping = BillingProduct.objects.select_related("policy").filter(product_id=product.strip()).first()
    if mapping is not None:
        return mapping.policy
    policies = list(Policy.objects.filter(product__code=product.strip())[:2])
    if len(policies) != 1:
        exists = Product.objects.filter(code=product.strip()).exists()
        raise DomainError(
            "PRODUCT_UNKNOWN",
            "This product has several policies; map a billing product id to the one you mean."
            if exists
            else "No billing product or product code matches; check it.",
        )
    return policies[0]


def _limit(value) -> int | None:
    if value in (None, ""):
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
        raise DomainError("ACTIVATION_LIMIT_INVALID", "Use a whole number of at least 1, or leave it empty.")
    return value


def _expiry(value) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) and len(value) <= 64 else None
    if parsed is None or parsed.tzinfo is None:
        raise DomainError(
            "EXPIRY_INVALID", "Use an ISO 8601 date and time with a time zone, or leave it empty."
        )
    return parsed


def _metadata(value) -> dict:
    if value in (None, ""):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise DomainError("METADATA_INVALID", "Metadata must be a JSON object.") from None
    return license_services.clean_metadata(value)


def _email(value) -> str:
    if value in (None, ""):
        return ""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    if not isinstance(value, str) or len(value) > 254:
        raise DomainError("INVALID_EMAIL", "Enter a valid e-mail address, or leave it empty.")
    try:
        validate_email(value.strip())
    except ValidationError:
        raise DomainError("INVALID_EMAIL", "Enter a valid e-mail address, or leave it empty.") from None
    return value.strip().lower()


CHECKS = {
    "key": lambda value: license_services.clean_key(value) if value not in (None, "") else _missing_key(),
    "policy": _policy,
    "customer_email": _email,
    "activation_limit": _limit,
    "expires_at": _expiry,
    "metadata": _metadata,
}
SOURCE_FIELD = {"policy": "product"}


def _missing_key():
    raise DomainError("KEY_REQUIRED", "Every row needs its key.")


def _check(raw_rows: list, first_line: int) -> list[ImportRow]:
    if not isinstance(raw_rows, list) or not raw_rows:
        raise DomainError("IMPORT_EMPTY", "Send a JSON array of at least one row.", field="rows")
    if len(raw_rows) > MAX_ROWS:
        raise DomainError("IMPORT_TOO_LARGE", f"Import at most {MAX_ROWS} rows at a time.", field="rows")
    rows, errors, seen = [], [], {}
    for offset, raw in enumerate(raw_rows):
        line = first_line + offset
        if not isinstance(raw, dict):
            errors.append((line, "row", "Each row must be an object."))
            continue
        row = ImportRow(line=line)
        for name, check in CHECKS.items():
            source = SOURCE_FIELD.get(name, name)
            try:
                setattr(row, name, check(raw.get(source)))
            except DomainError as error:
                errors.append((line, source, error.message))
        if row.key:
            digest = hash_key(row.key)
            if digest in seen:
                errors.append((line, "key", f"The same key is on line {seen[digest]}."))
            seen.setdefault(digest, line)
        rows.append(row)
    taken = set(License.objects.filter(key_hash__in=list(seen)).values_list("key_hash", flat=True))
    for row in rows:
        if row.key and hash_key(row.key) in taken:
            errors.append((row.line, "key", "A license with this key already exists."))
    if errors:
        raise ImportRejected(sorted(errors))
    return rows


@transaction.atomic
def license_import(*, rows: list, created_by=None, first_line: int = 1) -> list[License]:
    """Imports every row or none. `first_line`: the first row's line number (2 in a CSV with a header)."""
    checked = _check(rows, first_line)
    imported = []
    for row in checked:
        workspace = (
            _customer_for(row.customer_email, "", send_invitation=False).workspace
            if row.customer_email
            else None
        )
        try:
            license, _ = license_services.license_create(
                policy=row.policy,
                workspace=workspace,
                key=row.key,
                metadata=row.metadata,
                source=LicenseSource.IMPORT,
                created_by=created_by,
                expires_at=row.expires_at,
                policy_expiry=False,
                activation_limit=row.activation_limit,
            )
        except DomainError as error:  # a concurrent create took a key between the check and now
            raise ImportRejected([(row.line, error.field or "key", error.message)]) from None
        imported.append(license)
    return imported


def rows_from_csv(data: bytes) -> list[dict]:
    """The rows of an uploaded CSV (UTF-8, header line first, the COLUMNS in any order)."""
    if len(data) > CSV_MAX_BYTES:
        raise DomainError("IMPORT_TOO_LARGE", "Keep the CSV file under 5 MB.", field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("CSV_INVALID", "Save the CSV file as UTF-8.", field="file") from None
    if "\x00" in text:
        raise DomainError("CSV_INVALID", "The file is not a CSV file.", field="file")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [name for name in ("key", "product") if name not in header]
    if missing:
        raise DomainError(
            "CSV_INVALID",
            f"The header line must name the columns; {', '.join(missing)} is missing.",
            field="file",
        )
    try:
        return [dict(row) for row in reader]
    except csv.Error as error:
        raise DomainError("CSV_INVALID", f"The CSV file cannot be read: {error}.", field="file") from None
