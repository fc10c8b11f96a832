"""``python -m movierec`` runs the CLI, like the ``movierec`` console script."""

from movierec.cli import main

main()
