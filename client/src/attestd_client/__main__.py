"""``python -m attestd_client``: the same as the ``attestd-client`` command."""

from __future__ import annotations

import sys

from attestd_client.cli import main

sys.exit(main())
