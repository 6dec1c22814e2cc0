"""The project's tests. A regular package so that ``tests.support`` wins over a ``tests`` package
that a dependency (O365, via rpaframework) installs into site-packages."""
