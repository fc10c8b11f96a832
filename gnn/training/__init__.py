"""Training: the config, early stopping, the entry point that fits a registered model, and the run directory."""
