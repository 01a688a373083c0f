"""SLSA provenance: the record read from a verified statement, the trust map, the Build level."""
