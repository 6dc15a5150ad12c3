"""The comparison harness: aggregators x tasks x seeds, run in a process pool, resumable, with a report."""
