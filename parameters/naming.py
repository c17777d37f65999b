"""What a parameter name and a stage name may look like: one home for the rule, used by every door
(and by CI tokens limited to stages)."""

from __future__ import annotations

import re

from project.errors import DomainError

NAME_MAX = 128
STAGE_MAX = 32
VALUE_MAX_BYTES = 8192
DESCRIPTION_MAX = 500

NAME_RE = re.compile(r"[A-Za-z0-9_./-]{1,128}")
STAGE_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
# A name whose path would read as another route, or that clients normalise away (`a/../b`).
_AMBIGUOUS_SEGMENTS = {"", ".", ".."}


def clean_name(name, field: str = "name") -> str:
    name = name if isinstance(name, str) else ""
    if not NAME_RE.fullmatch(name) or "\x00" in name:
        raise DomainError(
            "PARAMETER_NAME_INVALID",
            f"Use 1 to {NAME_MAX} letters, digits and _ . / - for the name, e.g. DATABASE_URL.",
            field=field,
        )
    segments = name.split("/")
    if len(segments) > 1 and (_AMBIGUOUS_SEGMENTS & set(segments) or segments[-1] == "versions"):
        raise DomainError(
            "PARAMETER_NAME_INVALID",
            "Slashes must separate non-empty parts other than . and .., and the name may not end in "
            "/versions; rename it, e.g. app/db/url.",
            field=field,
        )
    return name


def clean_stage(stage, field: str = "stage") -> str:
    stage = stage if isinstance(stage, str) else ""
    if not STAGE_RE.fullmatch(stage):
        raise DomainError(
            "STAGE_INVALID",
            f"A stage is 1 to {STAGE_MAX} lower-case letters, digits, _ or -, starting with a letter "
            "or digit, e.g. prod.",
            field=field,
        )
    return stage


def clean_stage_list(stages, field: str = "parameter_stages") -> list[str]:
    """A CI token's stages: unique, valid stage names, in the order given. Empty means every stage."""
    if isinstance(stages, str):
        stages = [part.strip() for part in stages.replace(",", " ").split()]
    cleaned = []
    for stage in stages or []:
        stage = clean_stage(stage, field=field)
        if stage not in cleaned:
            cleaned.append(stage)
    if len(cleaned) > 20:
        raise DomainError("TOO_MANY_STAGES", "Limit a token to at most 20 stages.", field=field)
    return cleaned
