"""Web plumbing shared by the payout-system stand-in and the console.

One app factory (``app``: database, sessions, error pages, ``Cache-Control: no-store`` and the
security headers, HSTS in production), the page skeleton, error page and login page
(``templates``, filled in from each app's ``Layout``), one login blueprint (``auth``, throttled by
``throttle``), server-side SQLite sessions with CSRF checks and flash messages
(``security``, ``sessions``) that follow the users file while the app runs (``users``), the
SQLite helpers (``db``), the settings both apps share and the production checks (``settings``,
with one list of demo values for both apps and the robot: ``demo_values``), the command line
and serving behind a TLS proxy with waitress (``serve``), and owner-only files and
non-personal file labels (``files``, standard library only, so the robot can use it too).
What differs between the apps (paths, cookie
name, roles, texts, environment prefix, the header, footer and menu) is configuration: a
``WebApp`` with its ``Layout``, an ``AppIdentity``, and each app's ``templates/_nav.html``.

Libraries weighed, and why this package keeps its own code for these parts:

- Flask-Login: manages a user id in Flask's *client-side* signed cookie session. The apps
  keep sessions on the server (``sessions`` table) so that a session can be ended for good
  (logout, idle expiry, the stand-in's fault injection) and so nothing about the user
  travels in the cookie; the login/role checks on top of that are three small decorators.
  Flask-Login would add a user loader and a second session mechanism, not remove code.
- Flask-WTF (CSRF): keeps its token in Flask's client-side session as well, and brings
  WTForms, which neither app uses (the forms are plain HTML validated by domain rules).
  Here each server-side session holds its own random token, checked with
  ``hmac.compare_digest`` on every POST: about fifteen lines.
- Flask-Limiter: its counters live in memory unless a storage server (Redis, Memcached,
  MongoDB) is run beside the app; in memory they are per process and lost at a restart, and
  it counts requests, not failed logins (a success should reset the count, and a refused
  attempt must be answered before the password is hashed). The ``login_failures`` table in
  the app's own SQLite database does exactly that and survives a restart.
- Flask-Talisman: sets the same headers (HSTS, CSP, frame options, Permissions-Policy) and
  can force HTTPS redirects, which behind the TLS proxy is the proxy's job. Setting six
  headers in one ``after_request`` hook (``app._headers``) is shorter than configuring it,
  and it adds no dependency to pin.

Adopted instead: werkzeug's password hashing (scrypt) and waitress's own trusted-proxy
handling of ``X-Forwarded-*`` headers.
"""
