"""``python -m tests.standin --port 8080 --exapp http://127.0.0.1:9035 --demo``: the stand-in on its own."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time

from tests.standin.demo import seed_demo
from tests.standin.server import StandIn, StandInError


def main() -> None:
    parser = argparse.ArgumentParser(description="Nextcloud stand-in for the Governance ExApp")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--exapp", default=None, help="ExApp URL: register it (heartbeat, init, enable)")
    parser.add_argument("--app-id", default="governance")
    parser.add_argument(
        "--secret", default=os.environ.get("APP_SECRET", ""), help="the ExApp's secret (default: $APP_SECRET)"
    )
    parser.add_argument("--demo", action="store_true", help="seed the demo people of La Coop des Communs")
    args = parser.parse_args()
    if not args.secret:  # the ExApp refuses a missing or short secret: no shared default either
        parser.error("give the ExApp's secret: --secret or APP_SECRET")
    logging.basicConfig(level=logging.INFO)
    standin = StandIn(app_id=args.app_id, app_secret=args.secret, exapp_url=args.exapp)
    if args.demo:
        seed_demo(standin)
    url = standin.start(port=args.port, host=args.host)
    print(f"Nextcloud stand-in on {url} (log in: {url}/standin/login?user=admin)")
    try:
        if args.exapp:
            asyncio.run(register(standin))
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        standin.stop()


async def register(standin: StandIn) -> None:
    """Wait for the ExApp's heartbeat, then register it as AppAPI does."""
    for _ in range(600):
        try:
            await standin.register_exapp()
            print(f"ExApp {standin.app_id} registered and enabled")
            return
        except (StandInError, OSError) as err:
            last = err
        except Exception as err:  # noqa: BLE001 - httpx connection errors while the ExApp starts
            last = err
        await asyncio.sleep(1)
    raise SystemExit(f"could not register the ExApp: {last}")


if __name__ == "__main__":
    main()
