"""Stand-in workers for executor tests (run as `python -m tests.workers.NAME RUN_DIR`)."""
