"""The `nimbostack` command: up, serve, status, config sample, and tools."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Awaitable, Coroutine
from pathlib import Path
from typing import Any

import uvloop

from nimbostack.clients import tls
from nimbostack.cmd import services as registry
from nimbostack.core import config
from nimbostack.core.errors import ConfigError
from nimbostack.core.loopwatch import LoopWatch, watched_loop
from nimbostack.core.service import Runtime, default_data_dir

# A server allocates many short-lived objects per request (rows, dicts, coroutines);
# with the default thresholds the collector runs every few requests and rescans
# everything the process built at start-up. Collect far less often.
_GC_THRESHOLDS = (50_000, 20, 100)


def _run(main: Coroutine[Any, Any, None], watch: LoopWatch | None = None) -> None:
    """Run on uvloop: the stock loop serves HTTP an order of magnitude slower here."""
    gc.set_threshold(*_GC_THRESHOLDS)
    tls.context()  # built now, not by the first request that needs a client
    if watch is None:
        uvloop.run(main)
        return
    with watch.gc_accounting():
        uvloop.run(main, loop_factory=watched_loop(uvloop.Loop, watch))


def _watch(runtime: Runtime) -> LoopWatch | None:
    """The loop watch ``[DEFAULT] loop_watch_ms`` asks for, armed once started."""
    limit = int(runtime.conf.DEFAULT.loop_watch_ms)
    return LoopWatch(limit, armed=False) if limit > 0 else None


async def _armed(start: Awaitable[None], watch: LoopWatch | None) -> None:
    # Start-up imports modules and migrates databases in one go; requests come after.
    await start
    if watch is not None:
        watch.armed = True


def _runtime(args: argparse.Namespace) -> Runtime:
    registry.import_all_options()
    path = Path(args.config) if args.config else None
    if path is None and Path("/etc/nimbostack/nimbostack.ini").exists():
        path = Path("/etc/nimbostack/nimbostack.ini")
    conf = config.load(path)
    data_dir = Path(args.data_dir or conf.DEFAULT.data_dir or default_data_dir())
    if args.bind:
        conf.override("DEFAULT", bind_host=args.bind)
    data_dir.mkdir(parents=True, exist_ok=True)
    level = logging.DEBUG if conf.DEFAULT.debug else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return Runtime(conf=conf, data_dir=data_dir)


async def _run_until_signal(start: object, stop: object) -> None:
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, done.set)
    await start  # type: ignore[misc]
    await done.wait()
    await stop()  # type: ignore[operator]


def cmd_up(args: argparse.Namespace) -> int:
    from nimbostack.cmd.cloud import Cloud

    runtime = _runtime(args)
    try:
        cloud = Cloud(runtime, apart=set(args.apart))
    except KeyError as exc:
        print(f"nimbostack up: {exc.args[0]}", file=sys.stderr)
        return 2

    watch = _watch(runtime)

    async def main() -> None:
        await _run_until_signal(_armed(_start_and_report(cloud, runtime), watch), cloud.stop)

    _run(main(), watch)
    print("nimbostack: stopped")
    return 0


async def _start_and_report(cloud: object, runtime: Runtime) -> None:
    from nimbostack.cmd.cloud import Cloud

    assert isinstance(cloud, Cloud)
    await cloud.start()
    clouds = runtime.data_dir / "clouds.yaml"
    print(
        f"nimbostack: cloud is up (data dir {runtime.data_dir}).\n"
        f"  identity: {runtime.url('identity', '/v3')}\n"
        f"  admin password: {runtime.data_dir / 'admin-password'}\n"
        f"  try: openstack --os-cloud nimbostack catalog list\n"
        f"       (clouds 'nimbostack' and 'nimbostack-demo' are in {clouds}\n"
        f"        and in ~/.config/openstack/clouds.yaml)\n"
        f"  Ctrl-C stops it.",
        flush=True,
    )


def cmd_serve(args: argparse.Namespace) -> int:
    runtime = _runtime(args)
    if args.fake_hosts:
        runtime.conf.override("compute_agent", driver="fake", fake_hosts=args.fake_hosts)
    service = registry.by_name(args.role).load(runtime)

    watch = _watch(runtime)

    async def stop() -> None:
        await service.stop()
        await runtime.close()

    async def main() -> None:
        await _run_until_signal(_armed(service.start(), watch), stop)

    _run(main(), watch)
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from nimbostack.cmd.status import report

    return report(_runtime(args))


def cmd_trace(args: argparse.Namespace) -> int:
    from nimbostack.cmd.trace import report

    return report(_runtime(args), args.key, every=args.all, fmt=args.format)


def cmd_cleanup(args: argparse.Namespace) -> int:
    from nimbostack.network.agents.cleanup import remove_agents_work

    if not args.network:
        print("nimbostack cleanup: say what to remove (--network)", file=sys.stderr)
        return 2
    runtime = _runtime(args)
    work = remove_agents_work(runtime.conf, runtime.data_dir, str(runtime.host))
    for name in asyncio.run(work):
        print(f"removed {name}")
    return 0


def cmd_config_sample(_args: argparse.Namespace) -> int:
    registry.import_all_options()
    print(config.sample())
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from nimbostack.identity.tokens.keys import KeyRepository

    runtime = _runtime(args)
    conf = runtime.conf.identity
    repo = KeyRepository(
        Path(conf.key_repository or runtime.data_dir / "identity" / "fernet-keys"),
        conf.max_active_keys,
    )
    repo.ensure()
    repo.rotate()
    print(f"rotated token keys in {repo.path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nimbostack", description=__doc__)
    parser.add_argument("--config", help="INI configuration file")
    parser.add_argument("--data-dir", help="data directory (env NIMBOSTACK_DATA_DIR)")
    parser.add_argument("--bind", help="address the APIs listen on (default 127.0.0.1)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="run the whole cloud in one process")
    up.add_argument(
        "--apart",
        action="append",
        default=[],
        metavar="SERVICE",
        help="leave SERVICE to its own `nimbostack serve SERVICE` process (still in the "
        "catalog); repeatable",
    )
    up.set_defaults(func=cmd_up)
    serve = sub.add_parser("serve", help="run one service on its own")
    serve.add_argument(
        "role", help="service to run: " + ", ".join(s.name for s in registry.SERVICES)
    )
    serve.add_argument(
        "--fake-hosts", type=int, default=0, help="compute-agent: simulate N fake hosts"
    )
    serve.set_defaults(func=cmd_serve)
    trace = sub.add_parser("trace", help="the hops of a server's boot or of a request")
    trace.add_argument("key", help="server name or uuid, or request id (req-...)")
    trace.add_argument("--all", action="store_true", help="every request on the server")
    trace.add_argument(
        "-f",
        "--format",
        choices=("text", "json"),
        default="text",
        help="json: the document of GET /servers/{id}/os-trace",
    )
    trace.set_defaults(func=cmd_trace)
    sub.add_parser("status", help="what is running and healthy").set_defaults(func=cmd_status)
    cleanup = sub.add_parser(
        "cleanup", help="remove what this data directory's cloud left on the host (stopped)"
    )
    cleanup.add_argument(
        "--network",
        action="store_true",
        help="the networking agents' namespaces, devices, daemons and nft tables",
    )
    cleanup.set_defaults(func=cmd_cleanup)
    cfg = sub.add_parser("config", help="configuration tools")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    cfg_sub.add_parser("sample", help="print a commented sample").set_defaults(
        func=cmd_config_sample
    )
    ident = sub.add_parser("identity", help="identity tools")
    ident_sub = ident.add_subparsers(dest="identity_command", required=True)
    ident_sub.add_parser("rotate-keys", help="rotate the token keys").set_defaults(
        func=cmd_rotate_keys
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"nimbostack: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"nimbostack: {exc.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
