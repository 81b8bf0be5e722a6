"""`pyengine run` and `pyengine status`: the engine's two commands.

`pyengine.cli` registers them (`add_run_parser`, `add_status_parser`, and the hidden
`child` command the engine uses to start its other process groups); each sets `func` on
its parser, called with the parsed `argparse.Namespace` and returning the exit code. The
process itself is `pyengine.runtime.engine.Engine`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

import msgspec
import uvloop

from pyengine.actors.hedger import Hedger, journal_path
from pyengine.bus import BindError, CurveKeyError, check_endpoint
from pyengine.chain.node_process import NodeError
from pyengine.config import EngineConfig, load_config
from pyengine.errors import ConfigError
from pyengine.messages import StatusReport
from pyengine.messages.portfolio import PortfolioView
from pyengine.runtime.control import ControlError, status
from pyengine.runtime.embedded import embedded_config
from pyengine.runtime.engine import Engine, default_child_argv
from pyengine.runtime.lock import LockError, acquire
from pyengine.runtime.plan import make_plan
from pyengine.runtime.preflight import bad_seconds, client_keys, store_urls
from pyengine.store import StoreError
from pyengine.store.check import check_store
from pyengine.store.hedges import HedgeJournal

log = logging.getLogger("pyengine")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _load(path: str | None) -> EngineConfig:
    if path is None:
        return embedded_config()
    cfg = load_config(path)
    return embedded_config(cfg) if cfg.embedded else cfg


def run_command(args: argparse.Namespace) -> int:
    """`pyengine run [config.toml] [--strategy FILE]... [--duration S]`."""
    _setup_logging(getattr(args, "verbose", False))
    group = getattr(args, "child_group", None) or "main"
    strategies: list[str] = list(args.strategy or [])
    if getattr(args, "service", False):
        # from the first instant, not only once the engine's loop handles signals
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    bad = bad_seconds("--duration", args.duration)
    if bad:
        print(f"pyengine: {bad}", file=sys.stderr)
        return 2
    try:
        cfg = _load(args.config)
    except ConfigError as exc:
        print(f"pyengine: config error: {exc}", file=sys.stderr)
        return 2
    try:
        # before anything else: the store, the sockets and the actors belong to the holder
        lock = acquire(cfg.var_dir) if group == "main" else None
    except LockError as exc:
        print(f"pyengine: {exc}", file=sys.stderr)
        return 2
    try:
        return _run_locked(args, cfg, group, strategies)
    finally:
        if lock is not None:
            lock.release()


def _run_locked(
    args: argparse.Namespace, cfg: EngineConfig, group: str, strategies: list[str]
) -> int:
    try:
        plan = make_plan(cfg, strategies)
        if len(cfg.processes()) > 1 and args.config is None:
            raise ConfigError("several processes need a config file")
    except ConfigError as exc:
        print(f"pyengine: config error: {exc}", file=sys.stderr)
        return 2
    for url in store_urls(plan) if group == "main" else []:
        try:
            check_store(url, cfg.store.synchronous)
        except (StoreError, ValueError) as exc:
            print(f"pyengine: store {url} cannot be used: {exc}", file=sys.stderr)
            return 2
    service = bool(getattr(args, "service", False))
    child_argv = default_child_argv(args.config, strategies, service) if args.config else None

    async def main() -> int:
        engine = Engine(
            plan,
            group,
            config_path=args.config,
            strategies=strategies,
            child_argv=child_argv,
            service=service,
        )
        return await engine.run(duration=args.duration)

    try:
        return uvloop.run(main())
    except ConfigError as exc:
        print(f"pyengine: config error: {exc}", file=sys.stderr)
        return 2
    except (BindError, CurveKeyError, NodeError) as exc:
        print(f"pyengine: {exc}", file=sys.stderr)
        return 2


def add_run_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add `run` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "run",
        help="start the engine (no config: everything in one process, SQLite under ./var/)",
        description="Start the engine. Without a config file every actor runs in this process over "
        "inproc://, with the SQLite store under ./var/. Stops cleanly on SIGINT/SIGTERM/SIGHUP.",
    )
    p.add_argument("config", nargs="?", help="TOML config file")
    p.add_argument(
        "--strategy", action="append", metavar="FILE", help="load a strategy script (repeatable)"
    )
    p.add_argument(
        "--duration", type=float, metavar="SECONDS", help="run this long, then shut down cleanly"
    )
    p.add_argument(
        "--service",
        action="store_true",
        help="running under a service manager: ignore SIGHUP (default: SIGHUP stops cleanly)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.set_defaults(func=run_command)
    return p


def _table(report: StatusReport) -> str:
    now = time.time_ns()
    lines = [
        f"engine {report.engine} pid {report.pid} up {(now - report.started_ns) / 1e9:.0f}s"
        f" minting {'PAUSED' if report.minting_paused else 'on'}"
        + (" RECOVERING (replaying the journal; no actor runs yet)" if report.recovering else ""),
        f"{'actor':<18}{'process':<10}{'state':<10}{'hb age':>8}{'handled':>10}{'msg/s':>9}"
        f"{'gaps':>6}{'dropped':>8}{'rejected':>9}{'outbox':>7}{'restarts':>9}",
    ]
    for a in report.actors:
        age = f"{(now - a.last_heartbeat_ns) / 1e9:.1f}s" if a.last_heartbeat_ns else "-"
        lines.append(
            f"{a.name:<18}{a.process:<10}{a.state:<10}{age:>8}{a.handled:>10}{a.rate_per_s:>9.1f}"
            f"{a.gaps:>6}{a.dropped:>8}{a.rejected:>9}{a.outbox:>7}{a.restarts:>9}"
        )
    if report.recovered:
        lines.append(f"recovered at start in {report.recovery_ms} ms:")
    for r in report.recovered:
        state = ", ".join(f"{k} {v}" for k, v in r.state) or "-"
        lines.append(f"  {r.name:<16}{r.source} + {r.journal_rows} journal messages: {state}")
    lines += _market_lines(report)
    if report.portfolio is not None:
        lines += _portfolio_lines(report.portfolio)
    if report.hedging.requests:
        lines.append(f"{'hedge':<28}{'asset':<7}{'target':>16}{'filled':>16}  state")
        for h in report.hedging.requests:
            lines.append(f"{h.id:<28}{h.asset:<7}{h.target:>16.6f}{h.filled:>16.6f}  {h.state}")
    return "\n".join(lines)


def _portfolio_lines(view: PortfolioView) -> list[str]:
    """Per asset custody, hedge, net delta and tolerance; per position qty, entry, PnL."""
    lines = [
        f"{'asset':<8}{'custody':>14}{'hedge':>14}{'delta':>14}{'delta usd':>14}"
        f"{'tolerance':>12}{'pending':>12}"
    ]
    for asset, a in sorted(view.assets.items()):
        lines.append(
            f"{asset:<8}{a.custody:>14.4f}{a.hedge:>14.4f}{a.delta:>14.4f}{a.delta_usd:>14.0f}"
            f"{a.tolerance_usd:>12.0f}{a.pending:>12.4f}"
        )
    if view.positions:
        lines.append(f"{'venue':<16}{'symbol':<22}{'qty':>14}{'entry':>14}{'upl':>14}{'share':>8}")
    for p in view.positions:
        flag = f"  venue says {p.venue_qty}" if p.venue_qty is not None else ""
        lines.append(
            f"{p.venue:<16}{p.symbol:<22}{p.qty:>14}{p.entry:>14.2f}{p.upl:>14.6f}"
            f"{p.share:>8.1%}{flag}"
        )
    if view.venues_down:
        lines.append(f"venues down: {', '.join(view.venues_down)}")
    return lines


def _age(age_s: float | None) -> str:
    return "-" if age_s is None else f"{age_s:.3f}s"


def _market_lines(report: StatusReport) -> list[str]:
    """Per venue connected, books valid of total, last message age, state; per book its
    verdict, best bid and ask (exact, as the venue sent them) and age."""
    if not report.venues:
        return []
    lines = [f"{'venue':<16}{'connected':<11}{'books':>7}{'last msg':>10}  state"]
    for v in report.venues:
        books = f"{v.books_valid}/{v.books_total}"
        lines.append(
            f"{v.name:<16}{'yes' if v.connected else 'NO':<11}{books:>7}"
            f"{_age(v.last_msg_age_s):>10}  {v.state}"
        )
    lines.append(f"{'venue':<16}{'book':<22}{'valid':<7}{'bid':>14}{'ask':>14}{'age':>8}")
    for b in report.books:
        bid = "-" if b.best_bid is None else str(b.best_bid)
        ask = "-" if b.best_ask is None else str(b.best_ask)
        lines.append(
            f"{b.venue:<16}{b.symbol:<22}{'yes' if b.valid else 'NO':<7}{bid:>14}{ask:>14}"
            f"{_age(b.age_s):>8}"
        )
    return lines


def _status_failed(args: argparse.Namespace, endpoint: str, error: str, code: int) -> int:
    if args.json:
        print(msgspec.json.encode({"error": error, "endpoint": endpoint}).decode())
    print(f"pyengine: {error}", file=sys.stderr)
    return code


def status_command(args: argparse.Namespace) -> int:
    """`pyengine status [config.toml] [--json]`: 0 with a report, 1 when no engine answers,
    2 for a wrong command line, config or key file."""
    try:
        cfg = _load(args.config)
    except ConfigError as exc:
        return _status_failed(args, args.endpoint or "", f"config error: {exc}", 2)
    endpoint = args.endpoint or cfg.control_endpoint
    bad = bad_seconds("--timeout", args.timeout)
    if bad:
        return _status_failed(args, endpoint, bad, 2)
    try:
        check_endpoint(endpoint)
        keys = client_keys(cfg, endpoint)
    except ValueError as exc:
        return _status_failed(args, endpoint, str(exc), 2)
    try:
        report = status(endpoint, args.timeout, curve=keys)
    except ControlError as exc:
        return _status_failed(args, endpoint, str(exc), 1)
    if args.json:
        sys.stdout.write(msgspec.json.format(msgspec.json.encode(report).decode(), indent=2) + "\n")
    else:
        print(_table(report))
    return 0


def add_status_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """Add `status` to an argparse subparsers object."""
    p = subparsers.add_parser(
        "status",
        help="actors, heartbeats, message rates, gap/drop counts of a running engine",
    )
    p.add_argument("config", nargs="?", help="the running engine's TOML config (default: embedded)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--endpoint", help="control endpoint (default: from the config)")
    p.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for an answer")
    p.set_defaults(func=status_command)
    return p


def explain_command(args: argparse.Namespace) -> int:
    """`pyengine explain HEDGE_ID [config.toml] [--json]`: the hedge's request, every
    round's planner inputs and legs, its children and result, from the hedger's journal.
    0 found, 1 not found, 2 for a wrong config or journal."""
    try:
        cfg = _load(args.config)
        plan = make_plan(cfg)
    except ConfigError as exc:
        print(f"pyengine: config error: {exc}", file=sys.stderr)
        return 2
    paths = [
        journal_path(plan.store_url, a.name, str(a.options.get("journal", "")))
        for a in plan.actors
        if a.cls is Hedger
    ]
    if args.journal:
        paths = [Path(args.journal)]
    for path in paths:
        if not path.exists():
            continue
        try:
            journal = HedgeJournal(path)
        except StoreError as exc:
            print(f"pyengine: {exc}", file=sys.stderr)
            return 2
        try:
            found = [
                h
                for h in journal.load(include_finished=True)
                if h.request.hedge_id == args.hedge_id
            ]
            if not found:
                continue
            (h,) = found
            report = {
                "request": h.request,
                "state": h.state,
                "rounds": [
                    {"round": r, "ts_ns": ts, **body}
                    for r, ts, body in journal.plans(args.hedge_id)
                ],
                "children": [c.submit for c in h.children],
                "fills": [
                    {"client_order_id": c, "fill_id": f, "qty": q, "price": p, "fee": fee}
                    for c, f, q, p, fee in h.fills
                ],
                "result": h.result,
            }
        finally:
            journal.close()
        text = msgspec.json.encode(report).decode()
        if args.json:
            print(text)
        else:
            print(_explain_text(report))
        return 0
    print(
        f"pyengine: no hedge {args.hedge_id!r} in {', '.join(map(str, paths)) or 'no journal'}",
        file=sys.stderr,
    )
    return 1


def _explain_text(report: dict[str, Any]) -> str:
    req, res = report["request"], report["result"]
    lines = [
        f"hedge {req.hedge_id}: {req.asset} {req.delta} ({req.reason}, policy {req.policy}),"
        f" state {report['state']}"
    ]
    for r in report["rounds"]:
        lines.append(
            f"round {r['round']}: need {r.get('need_coins')} coins"
            + (
                f", ref {r['ref_price']}, {len(r['candidates'])} candidates"
                if "legs" in r
                else f": {r.get('why')}"
            )
        )
        for c in r.get("candidates", []):
            lines.append(
                f"  candidate {c['venue']}:{c['symbol']} {c['payoff']} fee {c['taker_fee']}"
                f" levels {len(c['depth'][2])} held {c['position_coins']}"
            )
        for leg in r.get("legs", []):
            lines.append(
                f"  leg {leg['venue']}:{leg['symbol']} {leg['side']} {leg['qty']}"
                f" ({leg['coins']} coins) vwap {leg['vwap']} worst {leg['worst_px']}"
                f" fee {leg['fee']}"
            )
        if "legs" in r:
            lines.append(
                f"  shortfall {r['shortfall']}, cost {r['cost']},"
                f" children {', '.join(r['children'])}"
            )
    if res is not None:
        lines.append(
            f"result {res.state}: filled {res.filled} of {res.target}, residual {res.residual},"
            f" vwap {res.vwap} (planned {res.planned_vwap}),"
            f" cost vs plan {res.cost_vs_plan_usd} USD"
        )
    return "\n".join(lines)


def add_explain_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `explain` to an argparse subparsers object."""
    p = subparsers.add_parser("explain", help="why a hedge was split as it was (from the journal)")
    p.add_argument("hedge_id")
    p.add_argument("config", nargs="?", help="the engine's TOML config (default: embedded)")
    p.add_argument("--journal", help="the hedger's journal file (default: from the config)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=explain_command)


def add_child_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the hidden `child` command (`runtime.engine.default_child_argv` starts it)."""
    # No `help`: argparse then leaves it out of the command list.
    p = subparsers.add_parser("child")
    p.add_argument("child_group")
    p.add_argument("config")
    p.add_argument("--strategy", action="append")
    p.add_argument("--duration", type=float)
    p.add_argument("--service", action="store_true")
    p.add_argument("-v", "--verbose", action="store_true")
    p.set_defaults(func=run_command)
