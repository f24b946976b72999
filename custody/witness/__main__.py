"""``python -m custody.witness`` — an agency's witness of the custody audit log.

    python -m custody.witness init DIR --name NAME --log-vkey VKEY [--log-url URL --token-file F]
    python -m custody.witness serve [--config DIR/witness.json] [--listen 127.0.0.1:7380]
    python -m custody.witness poll [--config …] [--once | --interval 60]
    python -m custody.witness status | refusals | vkey [--config …]
    python -m custody.witness rotate-key | retire-key KEYID [--config …]
    python -m custody.witness keygen FILE --name NAME
    python -m custody.witness compare SOURCE SOURCE… --log-vkey VKEY [--log-url URL]

Exit status: 0 success; 1 a refusal, a split view or a broken record; 2 unusable input; 3 (compare)
undetermined.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from custody.audit.note import TYPE_COSIGNATURE_V1, TYPE_ED25519, NoteError, parse_vkey
from custody.audit.tlog import PolicyError, parse_policy

from .compare import compare, describe
from .core import (
    EVIDENCE_KINDS,
    AppendOnlyRecord,
    LogConfig,
    Witness,
    WitnessConfig,
    WitnessError,
    generate_key_file,
    read_key_file,
    witness_vkey,
)

DEFAULT_CONFIG = "witness.json"


def _config(args: argparse.Namespace) -> WitnessConfig:
    return WitnessConfig.load(Path(args.config or os.environ.get("CUSTODY_WITNESS_CONFIG") or DEFAULT_CONFIG))


def _log_keys(values: list[str]) -> list:
    keys = [parse_vkey(v) for v in values]
    for key in keys:
        if key.key_type != TYPE_ED25519:
            raise NoteError(f"{key.vkey} is not a log key (Ed25519 note signatures, type 0x01)")
    return keys


def cmd_init(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    path = directory / DEFAULT_CONFIG
    if path.exists():
        print(f"ERROR: {path} exists already", file=sys.stderr)
        return 2
    keys = _log_keys(args.log_vkey)
    origins = {k.name for k in keys}
    if len(origins) != 1:
        print("ERROR: the log keys must all name one log (their key name is its origin)", file=sys.stderr)
        return 2
    origin = origins.pop()
    key = generate_key_file(directory / "witness-key-1")
    config = WitnessConfig(
        path=path,
        name=args.name,
        key_files=["witness-key-1"],
        logs={origin: LogConfig(origin, keys, args.log_url, args.token_file)},
    )
    config.save()
    print(f"Witness {args.name} set up in {directory} for log {origin}.")
    print("Register this verifier key with the log (it is public; the private key stays in witness-key-1):")
    print(witness_vkey(args.name, key).vkey)
    return 0


def cmd_keygen(args: argparse.Namespace) -> int:
    key = generate_key_file(Path(args.file))
    print(witness_vkey(args.name, key).vkey)
    return 0


def cmd_vkey(args: argparse.Namespace) -> int:
    witness = Witness.from_config(_config(args))
    for vkey in witness.vkeys:
        print(vkey.vkey)
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    config = _config(args)
    number = len(config.key_files) + 1
    while config.resolve(f"witness-key-{number}").exists():
        number += 1
    name = f"witness-key-{number}"
    key = generate_key_file(config.resolve(name))
    config.key_files.append(name)
    config.save()
    print("New key added; the witness now cosigns with every key listed (the overlap period).")
    print("Register it with the log, then retire the old one with retire-key:")
    print(witness_vkey(config.name, key).vkey)
    return 0


def cmd_retire_key(args: argparse.Namespace) -> int:
    config = _config(args)
    wanted = args.key_id.lower()
    keep = [
        k
        for k in config.key_files
        if witness_vkey(config.name, read_key_file(config.resolve(k))).key_id_hex != wanted
    ]
    if len(keep) == len(config.key_files):
        print(f"ERROR: no key with id {wanted}", file=sys.stderr)
        return 2
    if not keep:
        print("ERROR: that is the witness's last key; rotate first", file=sys.stderr)
        return 2
    config.key_files = keep
    config.save()
    print(f"Key {wanted} retired: the witness no longer cosigns with it (its file is kept).")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .server import WitnessServer

    witness = Witness.from_config(_config(args))
    host, _, port = args.listen.rpartition(":")
    server = WitnessServer((host or "127.0.0.1", int(port)), witness, args.prefix or "", quiet=args.quiet)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    address, bound = str(server.server_address[0]), int(server.server_address[1])
    print(f"witness {witness.name} listening on http://{address}:{bound}{server.prefix}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    from .poll import poll_once

    config = _config(args)
    witness = Witness.from_config(config)
    logs = [log for log in config.logs.values() if log.url]
    if not logs:
        print("ERROR: no log in the configuration has a url to poll", file=sys.stderr)
        return 2
    failed = False
    while True:
        for log in logs:
            result = poll_once(witness, log, base=config.directory, timeout=args.timeout)
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            print(f"{stamp} {log.origin}: {'ok' if result.ok else 'FAILED'}: {result.message}", flush=True)
            failed = failed or not result.ok
        if args.once:
            return 1 if failed else 0
        time.sleep(args.interval)


def cmd_status(args: argparse.Namespace) -> int:
    config = _config(args)
    witness = Witness.from_config(config)
    print(f"witness {witness.name}")
    for vkey in witness.vkeys:
        print(f"  key {vkey.key_id_hex}: {vkey.vkey}")
    with witness.locked():
        held = witness.load_state()
    for origin in config.logs:
        h = held.get(origin)
        if h is None:
            print(f"log {origin}: nothing cosigned yet")
        else:
            print(
                f"log {origin}: cosigned {h.tree_size} entries, root {h.root_hash.hex()}, at {h.to_json()['cosigned_at']}"
            )
    records, problems = witness.refusals.read()
    evidence = [r for r in records if r.get("kind") in EVIDENCE_KINDS]
    print(f"refusals: {len(records)} ({len(evidence)} evidence of a fork or rollback)")
    for problem in problems:
        print(f"  RECORD BROKEN: {problem}")
    return 1 if problems else 0


def cmd_refusals(args: argparse.Namespace) -> int:
    config = _config(args)
    status = 0
    for label, record in (("refusals", config.refusals), ("cosigned", config.history)):
        records, problems = AppendOnlyRecord(config.resolve(record)).read()
        if label == "refusals":
            for r in records:
                if args.evidence_only and r.get("kind") not in EVIDENCE_KINDS:
                    continue
                print(
                    f"#{r.get('seq')} {r.get('at')} {r.get('origin')} {r.get('status')} {r.get('kind')}: "
                    f"size {r.get('tree_size')} (held {(r.get('held') or {}).get('tree_size', 0)}): {r.get('reason')}"
                )
        for problem in problems:
            print(f"{label} record broken: {problem}")
            status = 1
    return status


def cmd_compare(args: argparse.Namespace) -> int:
    log_keys = _log_keys(args.log_vkey or [])
    witness_keys = [parse_vkey(v) for v in args.witness_vkey or []]
    names = {}
    if args.policy:
        policy = parse_policy(Path(args.policy).read_bytes())
        log_keys += policy.log_keys
        witness_keys += policy.witness_keys
        names = {w.name: w.key for w in policy.witnesses.values()}
    if not log_keys:
        print("ERROR: give the log's key (--log-vkey) or a policy (--policy)", file=sys.stderr)
        return 2
    if any(k.key_type != TYPE_COSIGNATURE_V1 for k in witness_keys):
        print("ERROR: --witness-vkey takes cosignature/v1 keys (type 0x04)", file=sys.stderr)
        return 2
    origin = log_keys[0].name
    token = Path(args.token_file).read_text().strip() if args.token_file else None
    result = compare(
        args.sources, origin, log_keys, witness_keys, log_url=args.log_url, token=token, witness_names=names
    )
    for problem in result.problems:
        print(f"UNUSABLE: {problem}")
    for seen in result.seen:
        print(f"seen: {describe(seen)}")
    for small, large, why in result.splits:
        print(f"SPLIT VIEW: log {origin} showed two histories: {why}.")
        for seen in (small, large):
            print(f"  {describe(seen)}")
            print("    " + seen.note.rstrip("\n").replace("\n", "\n    "))
        print("  Both checkpoints carry the log's valid signature: keep them, they are the evidence.")
    for small, large, why in result.undetermined:
        print(
            f"UNDETERMINED: {small.source} ({small.checkpoint.tree_size}) and {large.source} "
            f"({large.checkpoint.tree_size}): {why}"
        )
    if result.exit_code == 0 and result.seen:
        print(f"CONSISTENT: the {len(result.seen)} checkpoints are one history of log {origin}.")
    return result.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m custody.witness", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--config",
            help=f"the witness configuration (default: $CUSTODY_WITNESS_CONFIG or {DEFAULT_CONFIG})",
        )
        return p

    p = sub.add_parser("init", help="set up a witness: key, configuration, empty state")
    p.add_argument("directory")
    p.add_argument(
        "--name", required=True, help="the witness's key name, e.g. witness.pudong-police.example/custody"
    )
    p.add_argument(
        "--log-vkey", action="append", required=True, help="the log's verifier key (repeat after a rotation)"
    )
    p.add_argument("--log-url", help="the log's API, e.g. https://custody.example/api/v1 (for poll)")
    p.add_argument("--token-file", help="a file with an API token of the log, for poll")
    p.set_defaults(run=cmd_init)

    p = sub.add_parser("keygen", help="write a new witness key to FILE and print only its verifier key")
    p.add_argument("file")
    p.add_argument("--name", required=True)
    p.set_defaults(run=cmd_keygen)

    with_config(sub.add_parser("vkey", help="print the witness's verifier keys")).set_defaults(run=cmd_vkey)
    with_config(sub.add_parser("rotate-key", help="add a new key (both keys cosign)")).set_defaults(
        run=cmd_rotate_key
    )
    p = with_config(sub.add_parser("retire-key", help="stop cosigning with a key"))
    p.add_argument("key_id")
    p.set_defaults(run=cmd_retire_key)

    p = with_config(sub.add_parser("serve", help="answer add-checkpoint over HTTP"))
    p.add_argument("--listen", default="127.0.0.1:7380", help="HOST:PORT (port 0: any free port)")
    p.add_argument("--prefix", default="", help="URL prefix, e.g. /witness")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=cmd_serve)

    p = with_config(sub.add_parser("poll", help="fetch, check and cosign the log's latest checkpoint"))
    p.add_argument("--once", action="store_true")
    p.add_argument("--interval", type=float, default=60.0)
    p.add_argument("--timeout", type=float, default=10.0)
    p.set_defaults(run=cmd_poll)

    with_config(sub.add_parser("status", help="what the witness holds")).set_defaults(run=cmd_status)
    p = with_config(sub.add_parser("refusals", help="list refused checkpoints and check both records"))
    p.add_argument("--evidence-only", action="store_true", help="only forks, rollbacks, inconsistencies")
    p.set_defaults(run=cmd_refusals)

    p = sub.add_parser("compare", help="detect a split view across witnesses")
    p.add_argument("sources", nargs="+", help="witness state files, checkpoint files or witness URLs")
    p.add_argument("--log-vkey", action="append", help="the log's verifier key (or give --policy)")
    p.add_argument("--witness-vkey", action="append", help="witness keys whose cosignatures to verify")
    p.add_argument("--policy", help="the trust policy (tlog-policy): the log's and the witnesses' keys")
    p.add_argument("--log-url", help="the log's API, to fetch consistency proofs for different sizes")
    p.add_argument("--token-file")
    p.set_defaults(run=cmd_compare)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (WitnessError, NoteError, PolicyError, OSError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
