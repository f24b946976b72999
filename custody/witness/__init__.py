"""The stand-alone witness of the custody audit log (``python -m custody.witness``).

Each agency (police, procuratorate, court, and optionally a supervisor) runs one on its own
machine, with its own key and a small state file: it cosigns a checkpoint of the log only when the
log's signature verifies and a consistency proof shows the new tree extends the last one it
cosigned (C2SP tlog-witness, tlog-cosignature ``cosignature/v1``). No Flask, no app database: only
the standard library, ``cryptography`` and the pure modules of ``custody.audit``.
docs/LEDGER.md §11 is the specification.
"""

from .core import Answer, LogConfig, Witness, WitnessConfig, WitnessError

__all__ = ["Answer", "LogConfig", "Witness", "WitnessConfig", "WitnessError"]
