"""Run orchestration: load, transform, run history, the run lock, status and failure wording."""
