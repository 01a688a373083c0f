"""Database access: engine, declarative base, migrations."""
