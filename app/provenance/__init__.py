"""SLSA provenance: what a verified statement says, its Build level and source binding."""
