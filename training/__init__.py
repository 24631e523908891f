"""Screen Genius training pipeline: ingest, report, train, evaluate, export, publish."""
