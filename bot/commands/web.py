"""`ke-intake web`: the citizen web chat (Starlette on uvicorn)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "web",
        help="run the citizen web chat (http://HOST:PORT/?kommune=4601&lang=nn&role=provider)",
        description="Serve the referral chat for browsers. It works without JavaScript; "
        "GET /embed?kommune=NNNN gives the snippet a kommune pastes into its page. Several "
        "workers share drafts through KE_REDIS_URL; serve it over HTTPS (its cookie is Secure).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="demo mode: demo KE keys under the data directory, synthetic ids allowed",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from bot.bootstrap import LazyApp
    from bot.settings import Settings
    from bot.web.build import asgi_app, build_web

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The inbox is opened now if it can be, else at the first filing: a database that is down
    # at start does not stop the web chat; people are told at filing, and it recovers by itself.
    settings = Settings().with_synthetic_ids(args.demo)
    app = LazyApp(settings, demo=args.demo)
    app.try_open("web")
    try:
        web = build_web(settings, app)
        # Access logs are off: a URL may carry a kommune number, and no request line is needed.
        uvicorn.run(
            asgi_app(web),
            host=args.host,
            port=args.port,
            access_log=False,
            proxy_headers=True,
            server_header=False,
        )
    finally:
        app.close()
    return 0
