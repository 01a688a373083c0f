"""Vulnerabilities: the VEX statements attestd reads, and which listed vulnerabilities stay open.

``openvex`` reads the statements of a verified OpenVEX attestation; ``findings``
decides, for each vulnerability an artifact's newest SBOM lists, whether the SBOM's
own analysis or the latest statement that speaks of it closes it. Advisories (OSV)
and matching them against stored components belong here too.
"""
