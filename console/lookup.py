"""The decision look-up page both roles have: the case worker's over the runs of their own
uploads, the operator's over every run. Both pages show ``templates/_lookup_form.html`` and
``templates/_lookup_result.html``."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import render_template, request

from console.facts import Hit, clean_decision_id, find_decision
from console.history import RunView


def lookup_page(
    template: str,
    runs: Callable[[], Iterable[RunView]],
    *,
    run_link: Callable[[Hit], str],
    show_codes: bool = False,
    show_amounts: bool = False,
    file_name: Callable[[Hit], str] | None = None,
    searched_runs: int | None = None,
) -> str:
    """The page for the searched decision number (``?beslut=``) and the runs that handled it.

    ``runs`` (newest first) is read only when there is a number to look for; ``show_codes``
    adds the reason codes beside their labels; ``show_amounts`` each payment's amount and method
    (for the case worker, whose own decisions they are); ``searched_runs`` says how many runs a search reads.
    """
    decision_id = clean_decision_id(request.args.get("beslut"))
    hits = find_decision(runs(), decision_id) if decision_id else []
    return render_template(
        template,
        decision_id=decision_id,
        hits=hits,
        run_link=run_link,
        show_codes=show_codes,
        show_amounts=show_amounts,
        file_name=file_name or (lambda hit: hit.run.record.source_name),
        searched_runs=searched_runs,
    )
