"""``vecreward export-verl``: a task family's verl ``train.parquet`` and ``test.parquet``.

Each row has the columns of verl's ``examples/data_preprocess`` scripts (``data_source`` = ``vecreward/<family>``,
a chat ``prompt``, ``ability``, ``reward_model.ground_truth`` = the JSON task row, config included, and
``extra_info``). verl scores them with ``llm_bridge.export.compute_score`` as its custom reward function. Train and
test seeds never overlap: the test split starts at ``--test-first-seed`` (by default the held-out seeds
``vecreward train`` evaluates on).
"""

from __future__ import annotations

import argparse
from pathlib import Path

NAME = "export-verl"
HELP = "Write a task family's verl train.parquet and test.parquet (rows scored by llm_bridge.export.compute_score)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the export."""
    parser.add_argument("--task", required=True, help="task family with a text view (e.g. maze, toolcall, codetests)")
    parser.add_argument("--train", type=int, default=1000, help="training rows (default: 1000)")
    parser.add_argument("--test", type=int, default=100, help="test rows (default: 100)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (train.parquet, test.parquet)")
    parser.add_argument("--config", "--task-param", dest="config", action="append", metavar="KEY=VALUE",
                        help="a parameter of the task family's config, e.g. size=7 or n_tools=4 (repeatable); each "
                        "row carries the config, so compute_score rebuilds the same family")
    parser.add_argument("--train-first-seed", type=int, default=0, help="first seed of the training rows (default: 0)")
    parser.add_argument("--test-first-seed", type=int, default=1_000_000,
                        help="first seed of the test rows, after every training seed (default: 1000000)")
    parser.add_argument("--force", action="store_true", help="overwrite train.parquet / test.parquet in --out")


def run(args: argparse.Namespace) -> int:
    """Validate everything, then generate, write and print where the files are and how verl reads them."""
    import importlib.util

    from rich.console import Console

    from agents.commands._paths import writable_dir
    from agents.config_cli import parse_key_values
    from vecreward_envs.families import make_family
    from vecreward_envs.protocols import TextView, require

    console = Console() if Console().is_terminal else Console(width=170)
    out: Path = args.out
    try:
        for flag, value in (("--train", args.train), ("--test", args.test)):
            if value < 1:
                raise ValueError(f"{flag} must be >= 1, got {value}")
        for flag, value in (("--train-first-seed", args.train_first_seed), ("--test-first-seed", args.test_first_seed)):
            if value < 0:
                raise ValueError(f"{flag} must be >= 0, got {value}")
        if args.train_first_seed <= args.test_first_seed < args.train_first_seed + args.train:
            raise ValueError(f"--test-first-seed {args.test_first_seed} lies among the training seeds "
                             f"({args.train_first_seed}..{args.train_first_seed + args.train - 1}): the test rows "
                             "must come after them")
        if importlib.util.find_spec("pyarrow") is None:
            raise ValueError("export-verl writes parquet with pyarrow, which is not installed: pip install pyarrow")
        params = parse_key_values(args.config, "--config")
        family = make_family(args.task, **params)
        require(family, TextView, "a verl export")
        existing = [name for name in ("train.parquet", "test.parquet") if (out / name).exists()]
        if existing and not args.force:
            raise ValueError(f"--out {out} already holds {', '.join(existing)}: pass --force to overwrite, or another "
                             "--out")
        writable_dir(out, "--out")
        from llm_bridge.export import verl_splits, write_verl_parquet

        train, test = verl_splits(family, args.train, args.test, train_first_seed=args.train_first_seed,
                                  test_first_seed=args.test_first_seed)
    except (TypeError, ValueError) as exc:
        console.print(f"[red]error:[/] {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}", soft_wrap=True)
        return 2
    try:
        paths = [write_verl_parquet(train, out / "train.parquet"), write_verl_parquet(test, out / "test.parquet")]
    except OSError as exc:
        console.print(f"[red]error:[/] cannot write to {out}: {exc.strerror or exc}", soft_wrap=True)
        return 2
    import llm_bridge.export as export

    console.print(f"{len(train)} training rows -> {paths[0]}\n{len(test)} test rows -> {paths[1]}\n"
                  f"data_source: vecreward/{family.name}\nverl: data.train_files={paths[0]} data.val_files={paths[1]} "
                  f"custom_reward_function.path={Path(export.__file__).resolve()} "
                  "custom_reward_function.name=compute_score", soft_wrap=True)
    return 0
