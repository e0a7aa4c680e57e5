"""Ingest throughput with versions, side by side with the ingest before them."""
