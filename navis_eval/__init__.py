"""navis-eval: evaluation and safety harness for AI systems that answer cancer patients' questions."""

__version__ = "0.1.0"
