"""Training runs: the spec and plan, resources, the worker, and the run lifecycle.

lifecycle (start, cancel, wait) and sync (ingest events, mark dead runs, start queued runs)
write; views only read; executors run workers, which report through their run folder.
"""
