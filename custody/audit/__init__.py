"""The audit record: canonical event serialisation, per-item hash chains, recording, the global
Merkle log with signed checkpoints, proofs, verification and dossiers (docs/LEDGER.md).

``canonical``, ``merkle``, ``signing`` and ``bundle`` need only the standard library and
``cryptography``: the stand-alone verifier (``custody.verify``) imports nothing else.
"""
