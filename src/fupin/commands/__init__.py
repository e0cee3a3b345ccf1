"""Sub-commands of the ``fupin`` CLI: one module each, with ``register(subparsers)``.

A module's ``register`` adds its parser and sets ``func`` to a callable taking the parsed
arguments and returning the exit code. Commands that touch the database call
``fupin.commands.base.setup_django()`` first, so ``fupin id check`` and ``fupin generate`` stay
fast and need no database.
"""

#: Module names under ``fupin.commands``, in the order shown by ``fupin --help``.
COMMAND_MODULES = (
    "idcheck",
    "divisions",
    "generate",
    "importer",
    "village_facts",
    "measures",
    "funds",
    "assess",
    "explain",
    "rollups",
    "tables",
    "indices",
    "deep_poverty",
    "token",
    "sharing",
    "evaluation",
    "spark",  # adds `sharing match-spark`: after "sharing"
    "workflow",
    "forms",
    "demo",
    "serve",
    "manage",
)
