"""Extract, update and compile the dashboard's message catalogs (Babel).

    python scripts/dashboard_messages.py          # extract + update every .po, compile .mo
    python scripts/dashboard_messages.py compile  # only compile the .po files to .mo

The compiled ``.mo`` files are committed, so installing needs no build step; a unit
test checks they match their ``.po``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "nimbostack" / "dashboard"
I18N = PACKAGE / "i18n"
POT = I18N / "dashboard.pot"
MAPPING = I18N / "babel.cfg"


def run(*args: str) -> None:
    CommandLineInterface().run(["pybabel", "-q", *args])


def main(argv: list[str]) -> int:
    if not argv or argv[0] != "compile":
        run("extract", "-F", str(MAPPING), "-k", "_", "-k", "N_", "--no-location",
            "--sort-output", "-o", str(POT), str(PACKAGE))  # fmt: skip
        for po in sorted(I18N.glob("*/LC_MESSAGES/dashboard.po")):
            run("update", "-D", "dashboard", "-i", str(POT), "-d", str(I18N),
                "-l", po.parents[1].name, "--no-fuzzy-matching")  # fmt: skip
    run("compile", "-D", "dashboard", "-d", str(I18N), "--statistics")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
