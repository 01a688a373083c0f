"""The service the tests register: ``payments``, of the GitHub repository acme/payments.

``SERVICE`` and ``REPOSITORY`` are defined here once; the HTTP helpers
(tests/attestations/submissions.py, tests/sboms/uploads.py,
tests/scoring/reads.py) and the signer identities use them.
"""

from __future__ import annotations

SERVICE = "payments"
REPOSITORY = "acme/payments"  # GitHub OWNER/NAME
REPOSITORY_URL = f"https://github.com/{REPOSITORY}"
