"""Run the robot's main job on the bundled demo data, end to end.

1. writes the demo export (``devdata/generate_export.py``, fixed seed, payout
   dates relative to today) to ``state/demo/decisions-demo.xlsx``;
2. starts the stand-in payout system on a free port with its database in ``state/demo/``;
3. runs the ``Split payouts`` task (real mode unless ``--dry-run``) with the
   ledger in ``state/demo/`` and the artifacts in ``output/``;
4. prints a short summary and stops the stand-in.

Run it again to see a re-run: every decision comes back ``already_paid``.
``--fresh`` forgets the demo's payout system and ledger first.

``--workers N`` registers with N browser workers at once (``WORKERS``).

``--work-items`` runs the Control Room process instead, with the file adapter: the
producer turns the export (attached sealed) into one work item per decision,
``--consumers N`` consumers (each with a state directory of its own, as on separate
machines) register them, and the reporter writes the reports, in ``output/work-items/``.
The work items' personal part is sealed with the demo's work-item key
(``state/demo/work-item.key``, made on first use); every work-item file is owner-only.

``--console`` instead starts the stand-in and the console (http://127.0.0.1:8090,
users ``anna`` and ``olle``) on the demo's state, writes the demo export for
uploading, and runs until Ctrl+C.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "libraries"), str(ROOT / "devdata")]

from generate_export import generate  # noqa: E402

from swedish_rules import format_amount  # noqa: E402

DEMO_USER = "robot"
DEMO_PASSWORD = "robot-demo-password"  # the stand-in's development-mode demo account  # noqa: S105


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"demo: the payout system stopped at start-up (exit {process.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/api/health", timeout=1) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"demo: the payout system did not answer at {url} within {seconds:.0f} s")


def print_summary(artifacts: Path) -> None:
    summary_path = artifacts / "summary.json"
    if not summary_path.exists():
        print(f"demo: no summary was written; see {artifacts / 'log.html'}")
        return
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    totals = summary["totals"]
    print()
    print(f"Run {summary['run_id']} ({summary['mode']}) of {summary['source']['file_name']}")
    if summary.get("error"):
        print(f"  The file could not be processed: {summary['error']['message']}")
    print(f"  Decisions: {totals['decisions']}")
    for outcome, count in totals["outcomes"].items():
        if count:
            print(f"    {outcome:<13} {count:>6}")
    print("  Amounts (kr):")
    for name, ore in totals["amounts_ore"].items():
        print(f"    {name:<13} {format_amount(ore):>16}")
    print(f"  Summary for operators:       {summary_path}")
    print(f"  Robot Framework log:          {artifacts / 'log.html'}")
    print(f"  Structured log:               {artifacts / 'run.jsonl'}")
    workbook = artifacts / "manuell-hantering.xlsx"
    if workbook.exists():
        print(f"  Case workers' manual list:    {workbook}")


def write_private(path: Path, data: object) -> None:
    """Write ``data`` as JSON to ``path``, owner-only: work-item files are never for others."""
    from webcommon.files import open_private

    with open_private(path, "wb") as handle:
        handle.write(json.dumps(data).encode("utf-8"))


def demo_key_file(demo_dir: Path) -> Path:
    """The demo's work-item key file (owner-only), made with a new key the first time."""
    from cryptography.fernet import Fernet

    from webcommon.files import open_private

    path = demo_dir / "work-item.key"
    if not path.exists():
        with open_private(path, "xb") as handle:
            handle.write(Fernet.generate_key() + b"\n")
    return path


def sealed_producer_input(env: dict[str, str], export: Path, items: Path) -> Path:
    """The producer's input work item: the export attached sealed with the demo's key, as the
    case-management system's side would attach it."""
    from splitpayout.adapters.sealing import SEALED_SUFFIX, seal_file, work_item_sealer
    from splitpayout.config import Credentials

    sealed = seal_file(
        work_item_sealer(Credentials.from_env(env)), export, items / f"{export.name}{SEALED_SUFFIX}"
    )
    path = items / "producer-input.json"
    write_private(path, [{"payload": {}, "files": {sealed.name: str(sealed.resolve())}}])
    return path


def stop(process: subprocess.Popen[bytes]) -> None:
    """End ``process``: asked first, killed after ten seconds."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def run_step(task: str, env: dict[str, str], extra: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "splitpayout.runner", task], cwd=ROOT, env={**env, **extra}
    )


def run_consumers(
    env: dict[str, str], demo_dir: Path, items: Path, out: Path, decisions: list[object], consumers: int
) -> tuple[list[int], list[object]]:
    """``consumers`` consumers at once, each on its share of the work items and with a state folder
    of its own; their exit statuses and the results they wrote."""
    from splitpayout.adapters.workitems import file_adapter_env

    print(f"demo: {consumers} consumers at once, each with a state folder of its own")
    started = []
    for number in range(1, consumers + 1):
        share = items / f"consumer-{number}-input.json"
        write_private(share, decisions[number - 1 :: consumers])
        started.append(
            run_step(
                "consume_work_items",
                env,
                {
                    **file_adapter_env(share, items / f"consumer-{number}-output.json"),
                    "ROBOT_ARTIFACTS": str(out / f"consume-{number}"),
                    "STATE_DIR": str(demo_dir / f"consumer-{number}"),
                    "LOOK_UP_EACH_PAYMENT": "true",
                },
            )
        )
    statuses = [process.wait() for process in started]
    results: list[object] = []
    for number in range(1, consumers + 1):
        output = items / f"consumer-{number}-output.json"
        if output.exists():
            results.extend(json.loads(output.read_text(encoding="utf-8")))
    return statuses, results


def run_work_items(env: dict[str, str], demo_dir: Path, export: Path, artifacts: Path, consumers: int) -> int:
    """Producer, ``consumers`` consumers at once, reporter: Control Room's process with local files.

    The work items carry their personal part sealed; their files stay, owner-only, in the demo's
    state folder.
    """
    from splitpayout.adapters.workitems import file_adapter_env

    from webcommon.files import private_dir

    items = private_dir(private_dir(demo_dir / "work-items") / dt.datetime.now().strftime("%Y%m%dT%H%M%S"))
    out = artifacts / "work-items"
    shutil.rmtree(out, ignore_errors=True)
    env = {**env, "WORK_ITEM_KEY_FILE": str(demo_key_file(demo_dir))}
    producer_input = sealed_producer_input(env, export, items)
    print("demo: producer: one work item per decision")
    produced = run_step(
        "produce_work_items",
        env,
        {
            **file_adapter_env(producer_input, items / "decisions.json"),
            "ROBOT_ARTIFACTS": str(out / "produce"),
        },
    ).wait()
    if produced != 0:
        print(f"demo: the producer exited with status {produced}")
        return produced
    decisions = json.loads((items / "decisions.json").read_text(encoding="utf-8"))
    statuses, results = run_consumers(env, demo_dir, items, out, decisions, consumers)
    write_private(items / "results.json", results)
    print(f"demo: consumers exited with {statuses}; reporter: the reports of the whole export")
    reported = run_step(
        "report_work_items",
        env,
        {
            **file_adapter_env(items / "results.json", items / "reported.json"),
            "ROBOT_ARTIFACTS": str(out / "report"),
        },
    ).wait()
    print_summary(out / "report")
    print(f"demo: work items in {items} (sealed, owner-only: the demo's state folder)")
    print(f"demo: the reporter exited with status {reported}")
    return reported or max(statuses)


def run_console(payout_url: str, demo_dir: Path, export: Path, port: int) -> int:
    """The console on the demo's state and runs folder, until Ctrl+C."""
    env = dict(os.environ)
    env.update(
        CONSOLE_PAYOUT_SYSTEM_URL=payout_url,
        CONSOLE_DATA_DIR=str(demo_dir / "console"),
        CONSOLE_STATE_DIR=str(demo_dir),
        CONSOLE_RUNS_DIR=str(demo_dir / "runs"),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
    )
    console = subprocess.Popen(
        [sys.executable, "-m", "console", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env
    )
    print(f"demo: the console runs at http://127.0.0.1:{port}/")
    print("      case worker: anna / anna-demo-password    operator: olle / olle-demo-password")
    print("      follow-up (uppfoljning): ulla / ulla-demo-password")
    print(f"      an export to upload: {export}")
    print("      Ctrl+C stops the console and the stand-in")
    try:
        return console.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(console)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true", help="plan only; touch no payout system")
    parser.add_argument("--fresh", action="store_true", help="start from an empty payout system and ledger")
    parser.add_argument("--count", type=int, default=300, help="decisions in the demo export (default 300)")
    parser.add_argument(
        "--console", action="store_true", help="start the stand-in and the console, and wait for Ctrl+C"
    )
    parser.add_argument("--console-port", type=int, default=8090, help="the console's port (default 8090)")
    parser.add_argument("--workers", type=int, default=1, help="browser workers at once (default 1)")
    parser.add_argument(
        "--work-items",
        action="store_true",
        help="run Control Room's producer, consumers and reporter locally",
    )
    parser.add_argument("--consumers", type=int, default=2, help="consumers at once with --work-items (2)")
    return parser


def start_stand_in(demo_dir: Path, port: int) -> subprocess.Popen[bytes]:
    """The stand-in payout system on ``port``, its database and log in the demo's state folder."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "payout_system",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--db",
            str(demo_dir / "payout-system.sqlite3"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(demo_dir / "payout-system.log").open("ab"),
    )


def robot_env(
    url: str, export: Path, demo_dir: Path, artifacts: Path, *, dry_run: bool, workers: int
) -> dict[str, str]:
    """The robot's environment for the demo: its export, the stand-in, its state and artifacts."""
    env = dict(os.environ)
    env.setdefault("ROBOT_ENV", "development")  # the demo makes its own ledger key, and says where
    env.update(
        DECISIONS_FILE=str(export),
        DRY_RUN="true" if dry_run else "false",
        PAYOUT_SYSTEM_URL=url,
        PAYOUT_SYSTEM_USERNAME=DEMO_USER,
        PAYOUT_SYSTEM_PASSWORD=DEMO_PASSWORD,
        STATE_DIR=str(demo_dir),
        ROBOT_ARTIFACTS=str(artifacts),
        WORKERS=str(workers),
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "libraries")]),
    )
    return env


def main() -> int:
    args = build_parser().parse_args()
    # Stopped by a service manager or `timeout`: end like Ctrl+C, stopping what was started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    demo_dir = ROOT / "state" / "demo"
    if args.fresh and demo_dir.exists():
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True, exist_ok=True)
    artifacts = ROOT / "output"
    export = demo_dir / "decisions-demo.xlsx"
    generate(export, count=args.count, seed=2026, today=dt.date.today(), scenario_mix=True)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_stand_in(demo_dir, port)
    try:
        wait_until_up(url, server)
        print(f"demo: the stand-in payout system runs at {url} (log in as {DEMO_USER} / {DEMO_PASSWORD})")
        if args.console:
            return run_console(url, demo_dir, export, args.console_port)
        env = robot_env(url, export, demo_dir, artifacts, dry_run=args.dry_run, workers=args.workers)
        if args.work_items:
            if args.dry_run:
                raise SystemExit("demo: --dry-run plans only; the work-item process registers")
            return run_work_items(env, demo_dir, export, artifacts, max(1, args.consumers))
        result = subprocess.run(
            [sys.executable, "-m", "splitpayout.runner", "split_payouts"], cwd=ROOT, env=env, check=False
        )
        print_summary(artifacts)
        print(f"demo: the robot exited with status {result.returncode}")
        return result.returncode
    finally:
        stop(server)


if __name__ == "__main__":
    raise SystemExit(main())
