"""Glue between the robot's Python engine and Robot Framework keywords.

- :mod:`robotglue.browser`: quiet helpers the payout-system resource uses to start the
  browser and to move personal data between the page and the robot without logging it.
- :mod:`robotglue.robot_gateway`: ``RobotGateway``, the ``PayoutGateway`` that runs the
  keywords of ``resources/payout_system.resource`` during a Robot Framework run.
"""
