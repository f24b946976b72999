"""Stand-alone dossier verifier: ``python -m custody.verify BUNDLE [--policy POLICY] [--key PUBLIC_KEY]``.

Needs only Python and ``cryptography`` — no app, no database, no network — so a court, a
defence lawyer's expert or another agency can check an exported dossier on their own machine.
It recomputes every event's hash and chain, checks each inclusion proof against the signed
checkpoint, the checkpoint's Ed25519 signature, and the witnesses' cosignatures against the trust
policy the agencies publish (``--policy``: its log keys and its quorum, e.g. 2 of the 3 agencies;
docs/LEDGER.md §8, §11). Exit status: 0 when the dossier verifies, 1 when it does not (the first
problem is named), 2 when it cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from custody.audit.bundle import verify_bundle
from custody.audit.signing import key_id, load_public_key
from custody.audit.tlog import Policy, PolicyError, parse_policy


def _read_key(value: str) -> Ed25519PublicKey:
    """A public key given as base64 text, or the path of a file holding base64 or PEM."""
    path = Path(value)
    text = path.read_text(encoding="utf-8") if path.is_file() else value
    return load_public_key(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m custody.verify",
        description="Verify an exported custody dossier (涉案财物保管链) offline.",
    )
    parser.add_argument("bundle", help="the dossier JSON file")
    parser.add_argument(
        "--key",
        help="the log's public key (base64, or a file with base64 or PEM), "
        "obtained independently of the dossier",
    )
    parser.add_argument(
        "--policy",
        help="the witness trust policy (C2SP tlog-policy file: the log's keys, the agencies' witness keys "
        "and the quorum), obtained from the agencies independently of the dossier",
    )
    args = parser.parse_args(argv)

    try:
        bundle = json.loads(Path(args.bundle).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"ERROR: cannot read {args.bundle}: {exc}", file=sys.stderr)
        return 2
    trusted = None
    if args.key:
        try:
            trusted = _read_key(args.key)
        except (OSError, ValueError) as exc:
            print(f"ERROR: cannot read the public key: {exc}", file=sys.stderr)
            return 2

    policy: Policy | None = None
    if args.policy:
        try:
            policy = parse_policy(Path(args.policy).read_bytes())
        except (OSError, PolicyError) as exc:
            print(f"ERROR: cannot read the witness policy: {exc}", file=sys.stderr)
            return 2

    report = verify_bundle(bundle, trusted, policy)
    if not report.ok:
        print(f"FAILED: {report.problems[0]}")
        for problem in report.problems[1:20]:
            print(f"  also: {problem}")
        if len(report.problems) > 20:
            print(f"  … {len(report.problems) - 20} more problems")
        return 1
    print(f"OK: {args.bundle} verifies.")
    for line in report.summary:
        print(f"  {line}")
    if trusted is not None:
        print(f"  the signing key is the trusted key {key_id(trusted)}")
    if policy is not None:
        print(f"  the log key and the witnesses are those of the policy {args.policy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
