"""Glue between the robot's Python engine and Robot Framework: the payout system's web UI and
the plumbing of the task keyword libraries.

- :mod:`robotglue.robot_gateway`: ``RobotGateway``, the ``PayoutGateway`` that runs the page
  steps of ``resources/payout_system.resource`` during a Robot Framework run; the paging of
  searches and the typed failures are its part.
- :mod:`robotglue.PayoutPages`: the one small keyword library under the resource: waits,
  page checks, typed failures and quiet page access. It never runs a keyword of the resource.
- :mod:`robotglue.browser`: the browser's settings, start-up and payment form in plain Python.
- :mod:`robotglue.keyword_library`: what the task keyword libraries share: the configuration,
  the lazily built job, and expected errors turned into keyword failures.
"""
