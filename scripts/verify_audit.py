"""Offline audit-log verifier: the same check as `attestd audit verify`.

Needs only the `app.audit` Merkle and checkpoint code and `cryptography`, no
database and no settings:

    python scripts/verify_audit.py --entries audit.jsonl --checkpoint checkpoint.txt \
        --public-key attestd.pub [--previous-checkpoint older.txt]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.audit.verify import main

if __name__ == "__main__":
    sys.exit(main())
