"""The ``vecreward`` command line: one subcommand per module in :mod:`agents.commands`.

Each command module exposes ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``.
Imports of heavy modules happen inside ``run`` so that ``vecreward --help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Order = order in `vecreward --help`. Add a command by adding its module here.
COMMAND_MODULES: tuple[str, ...] = (
    "agents.commands.demo",
    "agents.commands.advantages",
    "agents.commands.diagnose",
    "agents.commands.train",
    "agents.commands.compare",
    "agents.commands.atlas",
    "agents.commands.transfer",
    "agents.commands.report",
    "agents.commands.reproduce",
    "agents.commands.export_verl",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="vecreward",
        description="Vector-reward environments and aggregation schemes for RL, from toy networks to LLMs.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        cmd = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vecreward`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "_run"):
        parser.print_help()
        return 2
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
