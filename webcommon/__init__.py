"""Web plumbing shared by the payout-system stand-in and the console.

Server-side SQLite sessions with idle expiry, CSRF checks and flash messages
(``security``), the SQLite connection helpers (``db``), the users file, password
hashes and the production-mode checks of default secrets (``settings``), and serving
with waitress (``serve``). Everything that differs between the two apps (cookie name,
texts, settings' environment variables) is passed in by the app.
"""
