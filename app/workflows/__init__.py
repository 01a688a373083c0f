"""The application layer: one module per use case, each a short script of named steps.

A use case takes what a route (or the CLI) received, calls the evidence
domains to check and store it, then asks scoring to refresh the service's
maturity, all in the caller's transaction. Domains never call scoring, and
never call each other upward: the order in which things happen lives here.
"""
