"""The Swedish notes for the people who put files in the inbox, next to a rejected file."""

from __future__ import annotations

from splitpayout.jobs.inbox.outcomes import FileOutcome
from splitpayout.jobs.inbox.seen import LedgerRow

_PROBLEMS_SV = {
    "not_xlsx": "Filen är inte en Excel-arbetsbok (.xlsx). Det kan vara en CSV- eller textfil "
    "som fått namnet .xlsx. Exportera beslutslistan som Excel-arbetsbok.",
    "encrypted": "Filen är lösenordsskyddad (krypterad). Exportera beslutslistan utan lösenord.",
    "no_header": "Ingen rubrikrad med Beslutsnummer finns bland de tio första raderna på första bladet.",
    "missing_columns": "Obligatoriska kolumner saknas",
    "duplicate_columns": "Samma kolumn finns mer än en gång",
    "no_decisions": "Filen innehåller inga beslut.",
    "export_too_large": (
        "Filen är för stor för en körning: den har fler beslut än roboten tar emot på en gång"
        " (MAX_DECISIONS) eller blir för stor när den packas upp. Dela upp exporten eller be"
        " driften höja gränsen."
    ),
    "unreadable": "Filen är skadad eller kan inte läsas.",
}


def unreadable_note(
    file_name: str, sha256: str, run_dir: str, code: str, message: str, columns: list[str]
) -> str:
    problem = _PROBLEMS_SV.get(code, "Filen kunde inte läsas.")
    if columns:
        problem = f"{problem.rstrip('.')}: {', '.join(columns)}."
    return (
        f"Filen {file_name} kunde inte läsas. Ingenting i den har betalats ut.\n"
        f"\n"
        f"Orsak: {problem}\n"
        f"\n"
        f"Rätta exporten och lägg den nya filen i inkorgen.\n"
        f"\n"
        f"Felkod: {code}\n"
        f"Meddelande: {message}\n"
        f"Körning: {run_dir}\n"
        f"SHA-256: {sha256}\n"
    )


def duplicate_note(file_name: str, sha256: str, earlier: LedgerRow) -> str:
    when = earlier.finished_at or earlier.started_at
    unfinished = ""
    if earlier.result != FileOutcome.PROCESSED.value:
        unfinished = (
            "Den körningen blev inte klar. Lägg tillbaka den arkiverade filen i inkorgen så "
            "slutförs den utan att något betalas ut två gånger.\n\n"
        )
    return (
        f"Filen {file_name} har inte behandlats: exakt samma innehåll har redan behandlats.\n"
        f"\n"
        f"Tidigare fil: {earlier.file_name}\n"
        f"Körning: {earlier.run_dir}\n"
        f"Tidpunkt: {when}\n"
        f"\n"
        f"{unfinished}"
        f"Ingenting har betalats ut en gång till. Var det en ny export som skulle läggas i "
        f"inkorgen, kontrollera att rätt fil exporterades.\n"
        f"\n"
        f"Felkod: duplicate_content\n"
        f"SHA-256: {sha256}\n"
    )
