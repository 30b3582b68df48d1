"""The `pacta` console script: one entry point over all management commands.

`pacta check` is pacta's evaluation (the management command `evaluate`); Django's
own system check stays reachable as `pacta check --deploy` and `pacta djangocheck`.
"""

import os
import sys

# pacta's own verbs that differ from the management command's name.
ALIASES = {"check": "evaluate", "serve": "serve", "djangocheck": "check"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacta.settings")
    if len(argv) > 1:
        verb = argv[1]
        if verb == "check" and any(a == "--deploy" for a in argv[2:]):
            verb = "djangocheck"  # Django's deployment checks
        argv[1] = ALIASES.get(verb, verb)
    argv[0] = "pacta"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
