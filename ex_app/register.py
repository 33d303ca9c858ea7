"""`make register`: the AppAPI registration for a manual-install daemon (NEXTCLOUD.md §8).

Prints the occ commands, or runs them when ``--occ "<command prefix>"`` is given
(e.g. ``--occ "sudo -u www-data php /var/www/nextcloud/occ"``).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

from defusedxml import ElementTree

from lib.settings import Settings

LEVELS = {"PUBLIC": 0, "USER": 1, "ADMIN": 2}
INFO = Path(__file__).resolve().parent.parent / "appinfo" / "info.xml"


def routes_from_info(path: Path = INFO) -> list[dict[str, object]]:
    """info.xml routes as --json-info wants them: numeric access levels (stable34 maps names only in XML)."""
    root = ElementTree.parse(path).getroot()
    return [
        {
            "url": r.findtext("url"),
            "verb": r.findtext("verb"),
            "access_level": LEVELS[(r.findtext("access_level") or "USER").strip()],
            "headers_to_exclude": json.loads(r.findtext("headers_to_exclude") or "[]"),
            "bruteforce_protection": json.loads(r.findtext("bruteforce_protection") or "[]"),
        }
        for r in root.iter("route")
    ]


def commands(settings: Settings, occ: str) -> list[list[str]]:
    info = {
        "id": settings.app_id,
        "name": settings.app_display_name,
        "daemon_config_name": "manual_install",
        "version": settings.app_version,
        "secret": settings.app_secret or "change-me",
        "port": settings.app_port,
        "routes": routes_from_info(),
    }
    base = shlex.split(occ)
    return [
        base + ["app_api:daemon:register", "manual_install", "Manual Install", "manual-install", "http",
                settings.app_host, settings.nextcloud_url or "http://localhost"],
        base + ["app_api:app:register", settings.app_id, "manual_install", "--json-info",
                json.dumps(info), "--wait-finish"],
    ]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--occ", help="occ command prefix; when given, the commands are run")
    args = parser.parse_args(argv)
    settings = Settings()
    cmds = commands(settings, args.occ or "occ")
    if not args.occ:
        sys.stdout.write("# Register the daemon once (ignore 'already exists'), then the app:\n")
        for c in cmds:
            sys.stdout.write(shlex.join(c) + "\n")
        sys.stdout.write(
            "# Then start the app with the same APP_ID, APP_SECRET, APP_VERSION, APP_PORT, NEXTCLOUD_URL.\n"
        )
        return 0
    daemon, app = cmds
    subprocess.run(daemon, check=False)  # fails harmlessly when the daemon is already registered
    return subprocess.run(app, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())
