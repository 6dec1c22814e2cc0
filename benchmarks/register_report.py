"""The report of ``bench_register.py``: the table, the ratios, the targets and the verdict."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any

from register_common import (
    BASELINES,
    BEFORE_MODE,
    MALMO_HOUSEHOLDS,
    MALMO_TARGET_SECONDS,
    TARGET_FAST_FILL_FACTOR,
    TARGET_PER_WORKER,
    TARGET_READ_BACK_SHARE,
    Result,
    count,
    label,
)


def ratios(best: dict[str, Result]) -> dict[str, dict[str, float | None]]:
    """Each row's registration rate divided by each baseline's, where the baseline ran."""
    rows = {baseline: best.get(label(baseline, 1)) for baseline in BASELINES}
    return {
        name: {baseline: None if row is None else result.rate / row.rate for baseline, row in rows.items()}
        for name, result in best.items()
    }


def targets(best: dict[str, Result], malmo: tuple[Result, dict[str, int]] | None) -> list[dict[str, Any]]:
    """Each target of the issue with the measured figure and whether it was met (None: not measured)."""
    return [*per_worker_checks(best), fast_fill_check(best), malmo_check(malmo), read_back_check(best)]


def per_worker_checks(best: dict[str, Result]) -> list[dict[str, Any]]:
    """The payments per second per worker of each robot row."""
    checks: list[dict[str, Any]] = []
    robots = sorted((r for r in best.values() if r.mode == "robot"), key=lambda r: r.workers)
    for result in robots:
        checks.append(
            {
                "target": f"{result.label}: at least {TARGET_PER_WORKER:.0f} payments/s per worker",
                "measured": f"{result.rate_per_worker:.2f} payments/s per worker "
                f"({result.rate:.2f}/s with {count(result.workers, 'worker')}); at its measured "
                f"{result.cpu_ms + result.server_cpu_ms:.0f} ms of processor time per payment "
                f"(stand-in included) this machine's {os.cpu_count()} cores allow at most "
                f"{result.ceiling:.1f}/s in all, {result.ceiling / result.workers:.2f}/s per worker",
                "ok": result.rate_per_worker >= TARGET_PER_WORKER,
            }
        )
    if not robots:
        checks.append(
            {
                "target": f"robot: at least {TARGET_PER_WORKER:.0f} payments/s per worker",
                "measured": "not measured (--modes robot)",
                "ok": None,
            }
        )
    return checks


def fast_fill_check(best: dict[str, Result]) -> dict[str, Any]:
    """The robot (one worker) against the bare fast-fill loop."""
    robot, fast = best.get("robot"), best.get("selenium-fast")
    within = f"robot (1 worker) within {TARGET_FAST_FILL_FACTOR}x of selenium-fast"
    if robot is None or fast is None:
        return {
            "target": within,
            "measured": "not measured (--modes robot selenium-fast --workers 1 ...)",
            "ok": None,
        }
    needed = fast.rate / TARGET_FAST_FILL_FACTOR
    return {
        "target": within,
        "measured": f"{robot.rate:.2f}/s against {fast.rate:.2f}/s: selenium-fast is "
        f"{fast.rate / robot.rate:.2f}x the robot (needs at least {needed:.2f}/s)",
        "ok": robot.rate >= needed,
    }


def malmo_check(malmo: tuple[Result, dict[str, int]] | None) -> dict[str, Any]:
    """The Malmö month against its time."""
    month = f"Malmö month under {MALMO_TARGET_SECONDS // 60} minutes"
    if malmo is None:
        return {"target": month, "measured": "not measured (--malmo)", "ok": None}
    result, mix = malmo
    full = mix["households"] == MALMO_HOUSEHOLDS  # a smaller trial month is not judged
    return {
        "target": month,
        "measured": f"{result.total_seconds / 60:.1f} min for {mix['payments']} payments "
        f"({mix['households']} households) with {count(result.workers, 'worker')}"
        + ("" if full else f"; not a Malmö month ({MALMO_HOUSEHOLDS} households), not judged"),
        "ok": result.total_seconds < MALMO_TARGET_SECONDS if full else None,
    }


def read_back_check(best: dict[str, Result]) -> dict[str, Any]:
    """The robot (one worker) keeps at least ``TARGET_READ_BACK_SHARE`` of the rate of ``--before``'s."""
    target = f"robot at least {TARGET_READ_BACK_SHARE:.0%} of the rate of the robot before (--before)"
    robot, before = best.get(label("robot", 1)), best.get(label(BEFORE_MODE, 1))
    if robot is None or before is None:
        return {"target": target, "measured": "not measured (--before TREE --workers 1)", "ok": None}
    share = robot.rate / before.rate
    medians = ""
    if robot.median_ms is not None and before.median_ms is not None:
        medians = f"; median payment {robot.median_ms:.0f} ms against {before.median_ms:.0f} ms"
    return {
        "target": target,
        "measured": f"{robot.rate:.2f}/s against {before.rate:.2f}/s before ({share:.1%}{medians})",
        "ok": share >= TARGET_READ_BACK_SHARE,
    }


def print_table(best: dict[str, Result], rounds: int) -> None:
    table = ratios(best)

    def ratio(value: float | None) -> str:
        return f"{value:.2f}" if value is not None else "-"

    print(
        f"{'mode':<15} {'payments':>8} {'reg s':>7} {'pay/s':>7} {'pay/s/w':>7} {'x selenium':>10} "
        f"{'x sel-fast':>10} {'x http':>7} {'total s':>8} {'total pay/s':>11} {'med ms':>7} "
        f"{'cpu ms':>6} {'srv ms':>6} {'load':>5}"
    )
    for name, result in best.items():
        print(
            f"{name:<15} {result.payments:>8} {result.seconds:>7.1f} {result.rate:>7.2f} "
            f"{result.rate_per_worker:>7.2f} {ratio(table[name]['selenium']):>10} "
            f"{ratio(table[name]['selenium-fast']):>10} {ratio(table[name]['http']):>7} "
            f"{result.total_seconds:>8.1f} {result.total_rate:>11.2f} "
            f"{'-' if result.median_ms is None else f'{result.median_ms:.0f}':>7} "
            f"{result.cpu_ms:>6.0f} {result.server_cpu_ms:>6.0f} {result.load:>5.1f}"
        )
    if rounds > 1:
        print(f"(fastest of {rounds} rounds per mode)")
    cores = os.cpu_count() or 1
    # A browser mode keeps about one core busy per browser: load above the cores plus that is other work.
    disturbed = [r for r in best.values() if r.load > cores + r.workers]
    if disturbed:
        busiest = max(disturbed, key=lambda r: r.load)
        print(
            f"note: the load average reached {busiest.load:.1f} on {cores} cores ({busiest.label}): other "
            "work competed for the machine, so the rates and ratios are noisy"
            + ("" if rounds > 1 else "; --rounds 3 takes the fastest of three runs per mode")
        )
    for result in best.values():
        if result.mode.startswith("robot"):
            print_robot_details(result)


def print_robot_details(result: Result) -> None:
    d = result.details
    if d["note"]:
        print(
            f"{result.label}: {d['run_started_to_registration_s']} s from run start to log-in (read, plan, "
            f"browser), {d['prefetch_s']} s searching, {d['failed_attempts']} failed attempts"
        )
        print(f"note: {d['note']}")
    else:
        logins = (
            f"{d['first_login_after_start_s']} s"
            if d["first_login_after_start_s"] == d["last_login_after_start_s"]
            else f"{d['first_login_after_start_s']}-{d['last_login_after_start_s']} s"
        )
        searching = f" (summed over {d['worker_logs']} workers)" if d["worker_logs"] > 1 else ""
        print(
            f"{result.label}: {d['run_started_to_registration_s']} s from run start to registration start "
            f"(read, plan), logged in {logins} into it, "
            f"first payment after {d['first_payment_after_start_s']} s, "
            f"{d['prefetch_s']} s searching{searching}, {d['failed_attempts']} failed attempts"
        )
    worker_log = d.get("largest_worker_log_html_mb")
    print(
        f"{result.label}: log.html {d.get('log_html_mb')} MB"
        + (f", largest worker log.html {worker_log} MB" if worker_log is not None else "")
    )


def print_malmo(result: Result, mix: dict[str, int]) -> None:
    share = mix["split"] / mix["households"] if mix["households"] else 0.0
    print(
        f"Malmö month: {mix['households']} households, {mix['split']} split ({share:.1%}), "
        f"{mix['direct_payments']} direct payments: {mix['payments']} payments, "
        f"robot with {count(result.workers, 'worker')}, load {result.load:.1f}"
    )
    print(
        f"  whole robot process  {result.total_seconds:>7.1f} s ({result.total_seconds / 60:.1f} min)  "
        f"{result.total_rate:.2f} payments/s"
    )
    print(
        f"  registration phase   {result.seconds:>7.1f} s ({result.seconds / 60:.1f} min)  "
        f"{result.rate:.2f} payments/s ({result.rate_per_worker:.2f}/s per worker)"
    )
    print(
        f"  processor time       {result.cpu_ms:>7.0f} ms per payment for the robot, its workers and "
        f"browsers, {result.server_cpu_ms:.0f} ms for the stand-in: at most {result.ceiling:.1f} "
        f"payments/s on {os.cpu_count()} cores"
    )
    verdict = "yes" if result.total_seconds < MALMO_TARGET_SECONDS else "no"
    trial = "" if mix["households"] == MALMO_HOUSEHOLDS else f" (a trial of {mix['households']} households)"
    print(f"  under {MALMO_TARGET_SECONDS // 60} minutes: {verdict}{trial}")
    print_robot_details(result)


def print_verdict(checks: list[dict[str, Any]]) -> None:
    print(f"targets (for a 2-core machine; this one has {os.cpu_count()} cores):")
    width = max(len(check["target"]) for check in checks)
    for check in checks:
        status = {True: "OK", False: "MISSED", None: "-"}[check["ok"]]
        print(f"  {check['target']:<{width}}  {status:<6}  {check['measured']}")


def results_json(
    best: dict[str, Result],
    rounds: dict[str, list[Result]],
    malmo: tuple[Result, dict[str, int]] | None,
    checks: list[dict[str, Any]],
    *,
    decisions: int | None,
    payments: int | None,
    rounds_asked: int,
) -> dict[str, Any]:
    """What ``--json`` prints: every row's best round with its rates and ratios, the month, the targets."""
    table = ratios(best)
    return {
        "decisions": decisions,
        "payments": payments,
        "rounds": rounds_asked,
        "cpus": os.cpu_count(),
        "modes": {
            name: {
                **with_rates(result),
                **{f"ratio_vs_{baseline.replace('-', '_')}": table[name][baseline] for baseline in BASELINES},
                "all_rounds_s": [r.seconds for r in rounds[name]],
            }
            for name, result in best.items()
        },
        "malmo": None
        if malmo is None
        else {
            **malmo[1],
            **with_rates(malmo[0]),
            "under_target": malmo[0].total_seconds < MALMO_TARGET_SECONDS,
            "full_month": malmo[1]["households"] == MALMO_HOUSEHOLDS,
        },
        "targets": checks,
    }


def with_rates(result: Result) -> dict[str, Any]:
    """A result's fields and the rates computed from them."""
    return {
        **asdict(result),
        "payments_per_s": result.rate,
        "payments_per_s_per_worker": result.rate_per_worker,
        "total_payments_per_s": result.total_rate,
    }
