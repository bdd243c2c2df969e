"""Stored text analysis: each text segment analysed once, by a job, in batches."""
