"""The audit record: canonical event serialisation, per-item hash chains, recording."""
