"""The services registry: what attestd tracks, each with its source repository."""
