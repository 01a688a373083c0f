"""Maturity of services: the checks catalogue, snapshots, exceptions and the deploy gate."""
