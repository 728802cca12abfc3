"""The ``verbatim`` command line: one module per command group.

:mod:`bot.cli.main` builds the parser and dispatches (the console script's entry point);
:mod:`bot.cli.common` holds what every command shares (exit codes, ``--db``) and
:mod:`bot.cli.args` the argparse types of numeric options (range-checked).  The groups:
:mod:`~bot.cli.store` (ingest, stats, show, bench-ingest), :mod:`~bot.cli.search` (search),
:mod:`~bot.cli.bench` (bench-build, eval, eval-human, bench), :mod:`~bot.cli.bot` (run),
:mod:`~bot.cli.ops` (backup, healthcheck, chat), :mod:`~bot.cli.snapshot`
(publish-snapshot) and :mod:`~bot.cli.inline` (bench-inline).
"""
