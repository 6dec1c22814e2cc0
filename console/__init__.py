"""The console: a small web app (Swedish UI) from which case workers preview and run the robot on an
export, and operators follow every run.

Start it with ``python -m console`` (see ``--help`` and console/README.md).
"""

from console.app import create_app
from console.settings import Settings

__all__ = ["Settings", "create_app"]
