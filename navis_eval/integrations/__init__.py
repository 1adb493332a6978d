"""navis checks inside the tools teams already use: deepeval, ragas, pytest, MLflow.

Importing this package is cheap (the pytest plugin lives here and loads in every pytest session);
deepeval, ragas and mlflow are imported only by the module that adapts them, and only after
:func:`quiet_third_parties` has turned their telemetry and dotenv loading off.
"""

from __future__ import annotations

import os

# Third-party switches, set only where the user has not set them: an explicit choice always wins.
QUIET_ENV: tuple[tuple[str, str], ...] = (
    ("DEEPEVAL_TELEMETRY_OPT_OUT", "1"),
    ("DEEPEVAL_DISABLE_DOTENV", "1"),
    ("DEEPEVAL_NO_INSPECT_PROMPT", "1"),
    ("RAGAS_DO_NOT_TRACK", "true"),  # must be the string "true"
    ("HF_HUB_DISABLE_TELEMETRY", "1"),
    ("MLFLOW_DISABLE_TELEMETRY", "true"),
    ("DO_NOT_TRACK", "1"),
)


def quiet_third_parties() -> None:
    """Telemetry and .env loading of deepeval, ragas, Hugging Face and MLflow stay off unless the
    user turned them on; call before importing any of them. (Hub access itself is left alone here:
    the CLI also sets HF_HUB_OFFLINE, a library user's process may need the Hub.)"""
    for key, value in QUIET_ENV:
        os.environ.setdefault(key, value)
