"""Builders the tests share: credentials, signer identities, SBOM documents, uploads, services.

A test module or a conftest imports what it needs from here (or from a
domain's helper module such as ``tests/sboms/uploads.py``), never from another
test module or conftest: tests/test_architecture.py holds that.
"""
