"""A service's policy, in one place: the document and its rules, its versions, its errors.

One document spans the signers a service accepts (``identities``), the builders
it trusts and the levels they vouch for (``builders``), the refs releases come
from and the reproducibility quorum (``document``), and the maturity rules
(``maturity``). Stored versions are immutable (``versions``, ``registry``).
The evidence domains and scoring read it; it reads only the services registry,
the audit log and the ground below it.
"""
