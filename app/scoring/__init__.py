"""Maturity of services: the checks, snapshots, exceptions, the gate's rules and its summary."""
