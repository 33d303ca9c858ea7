"""`make register`: the AppAPI registration for a manual-install daemon (NEXTCLOUD.md §8).

Prints the occ commands, or runs them when ``--occ "<command prefix>"`` is given
(e.g. ``--occ "sudo -u www-data php /var/www/nextcloud/occ"``). The routes sent are appinfo/info.xml's,
route by route, so a manual install and a Docker install (which reads info.xml) behave the same.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

from defusedxml import ElementTree
from pydantic import ValidationError

from lib.settings import Settings

LEVELS = {"PUBLIC": 0, "USER": 1, "ADMIN": 2}
INFO = Path(__file__).resolve().parent.parent / "appinfo" / "info.xml"
MIN_SECRET = 32  # characters; the secret is all that authenticates AppAPI and the app to each other


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


def secret_problem(secret: str) -> str:
    """Why ``secret`` cannot be registered, or "" when it can."""
    if not secret:
        return (
            "APP_SECRET is empty: set it to a random value of at least 32 characters (for example the output"
            " of `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`) and start the app with the"
            " same value; nothing was registered."
        )
    if len(secret) < MIN_SECRET:
        return (
            f"APP_SECRET has {len(secret)} characters: use a random value of at least {MIN_SECRET}"
            " (for example the output of `python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            " and start the app with the same value; nothing was registered."
        )
    return ""


def commands(settings: Settings, occ: str) -> list[list[str]]:
    info = {
        "id": settings.app_id,
        "name": settings.app_display_name,
        "daemon_config_name": "manual_install",
        "version": settings.app_version,
        "secret": settings.app_secret,
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
    try:
        settings = Settings()
    except ValidationError as exc:  # lib/settings.py's sentences; never the values (a secret may be one)
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            sys.stderr.write(f"{name}: " + str(error["msg"]).removeprefix("Value error, ") + "\n")
        sys.stderr.write("Nothing was registered.\n")
        return 2
    problem = secret_problem(settings.app_secret)
    if problem:
        sys.stderr.write(problem + "\n")
        return 2
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
