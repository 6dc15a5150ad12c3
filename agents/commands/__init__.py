"""Subcommands of the ``vecreward`` command line (see :mod:`agents.cli`)."""
