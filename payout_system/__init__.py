"""A stand-in for the municipality's payout system: a small legacy-style web app with a Swedish UI.

Start it with ``python -m payout_system --db PATH`` (see ``--help`` and README.md).
"""

from payout_system.app import create_app
from payout_system.settings import Settings

__all__ = ["Settings", "create_app"]
