"""Artifacts: each digest bound to one service, and what an upload of evidence about one is."""
