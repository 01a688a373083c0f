"""HTTP layer: thin routers, dependencies and the problem handlers."""
