"""Integrations with training frameworks: one module each, imported by name.

- ``agent.integration.lightning``: ``CairnLogger``, a PyTorch Lightning logger.
- ``agent.integration.keras``: ``CairnMetricsLogger`` and ``CairnModelCheckpoint``, Keras 3 callbacks.
- ``agent.integration.transformers``: ``CairnCallback``, a Hugging Face ``TrainerCallback``.

Each module imports its framework when it is imported, and nothing here
imports any of them, so ``import agent`` pays for none (docs/integrations.md).
"""
