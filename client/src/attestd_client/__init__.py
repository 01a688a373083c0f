"""attestd-client: the pipeline client of attestd, as its own small distribution.

Release jobs run ``attestd-client submit`` to send a release's SBOMs and
Sigstore bundles; deploy jobs run ``attestd-client verdict`` to ask the gate
whether a digest may ship. It depends on httpx alone and imports nothing of the
attestd server; ``attestd submit|verdict`` on a server installation runs this
same code.

The modules, from the command line down:

* ``cli``        the ``attestd-client`` command (argparse), shared with ``attestd``
* ``submit``     sending evidence, one outcome per file
* ``verdict``    asking the deploy gate, and checking its signed summary
* ``errors``     the one exception tree, mapped to exit codes
* ``arguments``  checks of the arguments and defaults from the environment
* ``transport``  the HTTP client, retries, problem details
* ``vsa``        reading a DSSE-signed SLSA verification summary (the server uses it too)
* ``keys``, ``ed25519``  an Ed25519 public key from PEM, and verifying its signatures
* ``safe_text``  server text made safe for a CI log
* ``defaults``   the defaults and the environment variables that stand in for flags

Importing the package imports none of them.
"""

from __future__ import annotations

__all__: list[str] = []
