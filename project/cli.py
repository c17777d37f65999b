"""`keyward <command>`: manage.py, installed as a console script so it works from any directory.

Keyward runs from its checkout (templates/ and static/ live there), which an editable install
(`pip install -e .`) keeps importable from anywhere; see README, Running in production.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
