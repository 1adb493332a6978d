"""``python -m navis_eval`` runs the CLI (the same as the ``navis-eval`` script)."""

from navis_eval.cli import main

main()
