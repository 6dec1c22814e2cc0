"""The console follows its users file while it runs: a case worker removed from it, or given
another role, can no longer use an old session (no upload goes through)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

from console.settings import CASE_WORKER, OPERATOR, ROLES
from tests.console.console_testdata import PASSWORDS, Export, csrf_from, login
from webcommon.settings import load_users_file


def entries(**roles: str) -> list[dict[str, str]]:
    return [
        {
            "username": name,
            "password_hash": generate_password_hash(PASSWORDS[name], method="pbkdf2:sha256:1000"),
            "role": role,
        }
        for name, role in roles.items()
    ]


@pytest.mark.parametrize(
    "changed", [{"olle": OPERATOR}, {"anna": OPERATOR, "olle": OPERATOR}], ids=["removed", "role changed"]
)
def test_a_case_worker_taken_out_of_the_users_file_cannot_upload(
    tmp_path: Path, make_app: Callable[..., Flask], export_file: Export, changed: dict[str, str]
) -> None:
    users_file = tmp_path / "users.json"
    users_file.write_text(json.dumps(entries(anna=CASE_WORKER, olle=OPERATOR)), encoding="utf-8")
    app = make_app(users=load_users_file(users_file, ROLES), users_file=users_file)
    anna = app.test_client()
    login(anna, "anna")
    token = csrf_from(anna.get("/filer"))
    users_file.write_text(json.dumps(entries(**changed)), encoding="utf-8")
    with export_file.path.open("rb") as handle:
        response = anna.post(
            "/filer",
            data={"csrf_token": token, "export": (handle, "export.xlsx")},
            content_type="multipart/form-data",
        )
    assert response.status_code == 303 and response.headers["Location"].startswith("/logga-in")
    uploads = app.config["CONSOLE_SETTINGS"].uploads_dir
    assert not uploads.exists() or not any(uploads.iterdir())
    assert anna.get("/filer").status_code == 303
