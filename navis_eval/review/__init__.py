"""Reviewer workbench: clinicians inspect what the checks flag and record verdicts.

``store``      SQLite verdict store (WAL, append-only history)
``rundata``    run directories loaded into flags, answers and gold metadata
``highlight``  answer and context text split into highlighted, escaped segments
``agreement``  confirmation rate, Cohen's kappa, inter-reviewer agreement
``export``     verdicts as CSV / JSONL, reviewed answers in the ``datasets/labeled`` format
``app``        the FastAPI web app (server-rendered, strict CSP) and ``serve``

Only ``app`` needs the ``review`` extra (fastapi, uvicorn, jinja2, python-multipart); the store,
agreement and export work with the core install, so ``navis-eval review export`` runs anywhere.
"""
