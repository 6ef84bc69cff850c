"""pipeline: the codec registry, the main job (``python -m pipeline.run``) and benchmarks."""
