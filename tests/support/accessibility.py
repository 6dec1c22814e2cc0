"""WCAG 2.1 AA checks of a page in a real browser: axe-core (installed from npm by scripts/setup.sh,
read from node_modules, nothing fetched at run time) at a desktop width and at 320 px, where the page
must not scroll sideways (WCAG 1.4.10 reflow); a screenshot of each for people to look at."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from selenium import webdriver

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "output" / "screenshots"
WIDTHS = (1366, 320)
TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")

_RUN_AXE = """
var done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then(function (result) {
    done(result.violations.map(function (v) {
      var nodes = v.nodes.slice(0, 5).map(function (n) { return n.target.join(" "); });
      return {id: v.id, impact: v.impact, nodes: nodes};
    }));
  })
  .catch(function (error) { done([{id: "axe-error", impact: "critical", nodes: [String(error)]}]); });
"""


def axe_source() -> str:
    if not AXE.is_file():
        raise FileNotFoundError(f"{AXE} is missing: run scripts/setup.sh (it installs axe-core from npm)")
    return AXE.read_text(encoding="utf-8")


def set_width(driver: webdriver.Chrome, width: int, height: int = 900) -> None:
    """Lay the page out as a window ``width`` CSS pixels wide (also below Chromium's smallest window)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def sideways_overflow(driver: webdriver.Chrome) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    widths: list[int] = driver.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"
    )
    return max(0, widths[0] - widths[1])


def hidden_past_region(driver: webdriver.Chrome, table_id: str) -> float:
    """How many CSS pixels the last column of table ``table_id`` ends past the right edge of the
    region it scrolls in (0 or less: every column is in view without scrolling)."""
    return float(
        driver.execute_script(
            "var table = document.getElementById(arguments[0]);"
            "var th = table.querySelector('thead th:last-child');"
            "return th.getBoundingClientRect().right"
            " - table.closest('.table-wrap').getBoundingClientRect().right;",
            table_id,
        )
    )


def axe_violations(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    if not driver.execute_script("return typeof window.axe !== 'undefined';"):
        driver.execute_script(axe_source())
    driver.set_script_timeout(60)
    result: list[dict[str, Any]] = driver.execute_async_script(_RUN_AXE, list(TAGS))
    return result


def check_page(driver: webdriver.Chrome, name: str, widths: tuple[int, ...] = WIDTHS) -> list[str]:
    """Problems of the page now shown, at each width: axe violations and sideways scrolling.

    A screenshot of each width goes to ``output/screenshots/<name>-<width>.png``."""
    problems: list[str] = []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        for width in widths:
            set_width(driver, width)
            overflow = sideways_overflow(driver)
            if overflow:
                problems.append(f"{name} at {width} px: scrolls sideways by {overflow} px")
            for violation in axe_violations(driver):
                problems.append(f"{name} at {width} px: {json.dumps(violation, ensure_ascii=False)}")
            full_height = driver.execute_script("return document.documentElement.scrollHeight;")
            set_width(driver, width, min(int(full_height), 4000))
            driver.save_screenshot(str(SCREENSHOTS / f"{name}-{width}.png"))
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return problems
