"""Command modules of the ``debate`` CLI; each registers its commands on ``debate.cli.app``
when imported (listed in ``debate.cli.COMMAND_MODULES``)."""
