"""Benchmarks: `make bench` (python -m tests.bench) runs each module's run(out_dir) -> dict."""
