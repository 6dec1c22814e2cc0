"""Chromium keeps its sandbox wherever it can: ``--no-sandbox`` only where it cannot run with it
(as root, or with neither user namespaces nor a setuid helper), and the log says which at start."""

from __future__ import annotations

import os

import pytest
from robotglue.browser import NO_SANDBOX, get_chromium_options, sandbox_note, sandbox_unavailable


def switches(**values: str) -> dict[str, str]:
    return {
        "/proc/sys/kernel/unprivileged_userns_clone": values.get("clone", "1"),
        "/proc/sys/user/max_user_namespaces": values.get("max", "63000"),
    }


def test_a_user_with_user_namespaces_keeps_the_sandbox() -> None:
    reason = sandbox_unavailable(euid=1000, read=switches().get)
    assert reason is None
    assert NO_SANDBOX not in get_chromium_options(no_sandbox_reason=reason).arguments
    assert sandbox_note(reason) == "Chromium runs with its sandbox"


def test_a_kernel_without_unprivileged_namespaces_and_no_helper_goes_without() -> None:
    reason = sandbox_unavailable(euid=1000, read=switches(clone="0").get)
    assert reason is not None and "user namespaces" in reason
    assert NO_SANDBOX in get_chromium_options(no_sandbox_reason=reason).arguments
    assert sandbox_note(reason).startswith("Chromium runs without its sandbox (--no-sandbox): ")


def test_root_goes_without_and_says_so() -> None:
    reason = sandbox_unavailable(euid=0, read=switches().get)
    assert reason is not None and "root" in reason


@pytest.mark.skipif(os.geteuid() != 0, reason="the detection here is for root")
def test_the_options_follow_what_this_machine_allows() -> None:
    """These tests run as root: the default options detect it, nothing is hard-coded."""
    assert NO_SANDBOX in get_chromium_options().arguments


@pytest.mark.skipif(os.geteuid() == 0, reason="only a non-root user can keep the sandbox")
def test_a_non_root_user_keeps_the_sandbox_by_default_where_namespaces_are_allowed() -> None:
    assert (NO_SANDBOX in get_chromium_options().arguments) == (sandbox_unavailable() is not None)
