"""The stand-alone witness (``custody.witness``) without the app: add-checkpoint's answers as
c2sp.org/tlog-witness@v1.0.0 prescribes them, its records, its HTTP server, and property tests —
whatever a log (holding its own signing key) sends, the witness never cosigns two roots for one
size and never goes backwards."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import tempfile
import threading
from itertools import count
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custody.audit.merkle import EMPTY_ROOT, MerkleTree, leaf_hash
from custody.audit.note import (
    TYPE_COSIGNATURE_V1,
    TYPE_ED25519,
    VerifierKey,
    format_note,
    open_note,
    parse_signature_lines,
    sign_note_text,
)
from custody.audit.tlog import CheckpointText, format_add_checkpoint, origin_hash
from custody.witness.core import AppendOnlyRecord, LogConfig, Witness
from custody.witness.server import WitnessServer, add_checkpoint, monitored_checkpoint

from .witness_helpers import ROOT

ORIGIN = "test.custody/audit"
LOG_KEY = Ed25519PrivateKey.generate()
LOG_VKEY = VerifierKey.for_key(ORIGIN, TYPE_ED25519, LOG_KEY.public_key())
LEAVES = [leaf_hash(f"event {n}".encode()) for n in range(64)]


def tree(size: int, leaves: list[bytes] = LEAVES) -> MerkleTree:
    return MerkleTree.from_leaf_hashes(leaves[:size])


def signed(
    size: int, leaves: list[bytes] = LEAVES, *, key: Ed25519PrivateKey = LOG_KEY, origin: str = ORIGIN
) -> bytes:
    root = tree(size, leaves).root() if size else EMPTY_ROOT
    text = CheckpointText(origin, size, root, ("2026-03-01T08:00:00.000000Z",)).text()
    return format_note(text, [sign_note_text(text, origin, key)])


def request(
    old: int, size: int, leaves: list[bytes] = LEAVES, proof: list[bytes] | None = None, **kw
) -> bytes:
    if proof is None:
        proof = tree(size, leaves).consistency_proof(old) if 0 < old < size else []
    return format_add_checkpoint(old, proof, signed(size, leaves, **kw))


def make_witness(directory: Path, keys: int = 1) -> Witness:
    clock = count(1_700_000_000)
    return Witness(
        name="witness.test/w1",
        keys=[Ed25519PrivateKey.generate() for _ in range(keys)],
        logs={ORIGIN: LogConfig(ORIGIN, [LOG_VKEY])},
        state_path=directory / "state.json",
        refusals=AppendOnlyRecord(directory / "refusals.jsonl"),
        history=AppendOnlyRecord(directory / "cosigned.jsonl"),
        clock=lambda: float(next(clock)),
    )


@pytest.fixture
def witness(tmp_path) -> Witness:
    return make_witness(tmp_path)


def test_a_first_checkpoint_from_old_size_zero_is_cosigned_and_kept(witness):
    answer = witness.add_checkpoint(request(0, 5))
    assert answer.status == 200
    [line] = parse_signature_lines(answer.body)
    note = signed(5).decode() + answer.text
    _, verified = open_note(note, witness.vkeys)
    assert verified[0].timestamp == 1_700_000_000
    held = witness.held(ORIGIN)
    assert held is not None
    assert (held.tree_size, held.root_hash) == (5, tree(5).root())
    assert held.note == note  # the log's signature and its own cosignature


def test_a_consistent_larger_checkpoint_is_cosigned(witness):
    assert witness.add_checkpoint(request(0, 5)).status == 200
    assert witness.add_checkpoint(request(5, 9)).status == 200
    assert witness.add_checkpoint(request(9, 9)).status == 200  # the same tree again: cosigned again
    assert witness.held(ORIGIN).tree_size == 9


def test_a_wrong_old_size_is_409_with_the_size_it_holds(witness):
    witness.add_checkpoint(request(0, 5))
    answer = witness.add_checkpoint(request(3, 9))
    assert (answer.status, answer.body, answer.content_type) == (409, b"5\n", "text/x.tlog.size")
    answer = witness.add_checkpoint(request(0, 9))
    assert (answer.status, answer.body) == (409, b"5\n")


@pytest.mark.parametrize(
    ("body", "status", "kind"),
    [
        (lambda: request(0, 5, proof=[LEAVES[0]]), 422, "proof_not_empty"),
        (lambda: request(5, 9, proof=[LEAVES[0], LEAVES[1]]), 422, "inconsistent"),
        (lambda: request(5, 5, leaves=[LEAVES[1], *LEAVES[1:]]), 422, "fork"),
        (lambda: request(5, 3), 400, "rollback"),
    ],
)
def test_refusals_after_a_first_checkpoint(witness, body, status, kind):
    if kind != "proof_not_empty":
        assert witness.add_checkpoint(request(0, 5)).status == 200
    answer = witness.add_checkpoint(body())
    assert (answer.status, answer.kind) == (status, kind)
    records, problems = witness.refusals.read()
    assert not problems
    assert records[-1]["kind"] == kind
    assert records[-1]["status"] == status
    assert records[-1]["request"] == body().decode()  # the signed checkpoint, kept as evidence


def test_a_size_zero_checkpoint_needs_the_empty_root(witness):
    text = CheckpointText(ORIGIN, 0, LEAVES[0], ()).text()
    body = format_add_checkpoint(0, [], format_note(text, [sign_note_text(text, ORIGIN, LOG_KEY)]))
    assert witness.add_checkpoint(body).status == 422
    assert witness.add_checkpoint(request(0, 0)).status == 200


def test_an_unknown_log_is_404_and_a_bad_signature_403(witness):
    assert witness.add_checkpoint(request(0, 5, origin="other.log/x")).status == 404
    assert witness.add_checkpoint(request(0, 5, key=Ed25519PrivateKey.generate())).status == 403
    forged = request(0, 5).replace(b"\n5\n", b"\n6\n")
    assert witness.add_checkpoint(forged).status in (403, 400)
    assert witness.add_checkpoint(b"old 0\n\nnot a note").status == 400
    assert witness.add_checkpoint(b"x" * 70_000).status == 413
    assert witness.held(ORIGIN) is None
    assert witness.refusals.read() == ([], [])  # nothing signed by the log: nothing to keep


def test_during_a_rotation_both_keys_cosign(tmp_path):
    witness = make_witness(tmp_path, keys=2)
    answer = witness.add_checkpoint(request(0, 4))
    lines = parse_signature_lines(answer.body)
    assert len(lines) == 2
    assert {line.key_id for line in lines} == {k.key_id for k in witness.vkeys}


def test_an_edited_record_shows(witness):
    witness.add_checkpoint(request(0, 5))
    witness.add_checkpoint(request(5, 3))
    witness.add_checkpoint(request(5, 2))
    witness.add_checkpoint(request(5, 1))
    path = witness.refusals.path
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(lines[0] + lines[2])  # the first refusal's successor removed
    _, problems = witness.refusals.read()
    assert problems == ["line 2 does not follow the line before it: lines were edited or removed"]


def test_concurrent_submissions_never_roll_back(tmp_path):
    """tlog-witness: checking the old size and storing the new checkpoint are one atomic step."""
    witness = make_witness(tmp_path)
    witness.add_checkpoint(request(0, 4))
    answers: dict[int, int] = {}
    start = threading.Barrier(2)

    def submit(size: int) -> None:
        start.wait()
        answers[size] = witness.add_checkpoint(request(4, size)).status

    threads = [threading.Thread(target=submit, args=(n,)) for n in (10, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers.values()) == [200, 409]
    winner = next(size for size, status in answers.items() if status == 200)
    assert witness.held(ORIGIN).tree_size == winner


def test_the_http_server_answers_the_protocol(tmp_path):
    witness = make_witness(tmp_path)
    server = WitnessServer(("127.0.0.1", 0), witness, "/witness", quiet=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/witness"
        assert monitored_checkpoint(url, ORIGIN).status == 404
        assert add_checkpoint(url, request(0, 6)).status == 200
        stale = add_checkpoint(url, request(0, 8))
        assert (stale.status, stale.body, stale.content_type) == (409, b"6\n", "text/x.tlog.size")
        held = monitored_checkpoint(url, ORIGIN)
        assert held.status == 200
        assert held.text == witness.held(ORIGIN).note
        assert f"/{origin_hash(ORIGIN)}/checkpoint"
        assert add_checkpoint(url + "/nope", b"").status == 404
    finally:
        server.shutdown()
        server.server_close()


def test_the_witness_imports_nothing_of_the_app_stack():
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import custody.witness, custody.witness.__main__, "
        "custody.witness.compare, custody.witness.poll; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'werkzeug', 'marshmallow', 'reportlab', 'psycopg', 'jinja2'}); print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(ROOT)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stderr


# -- properties ---------------------------------------------------------------------------------------

FORK_A = [*LEAVES[:7], leaf_hash(b"forged A"), *LEAVES[8:]]
FORK_B = [*LEAVES[:3], leaf_hash(b"forged B"), *LEAVES[4:]]
HISTORIES = [LEAVES, FORK_A, FORK_B]

step = st.tuples(
    st.integers(0, 2),  # which history the log shows this time
    st.integers(0, 40),  # the checkpoint's size
    st.sampled_from(["held", "zero", "any"]),  # which old size it claims
    st.integers(0, 40),
    st.sampled_from(["honest", "from-other-history", "junk", "empty"]),  # the proof it sends
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=25))
def test_a_witness_never_cosigns_two_roots_for_one_size_nor_goes_backwards(steps):
    with tempfile.TemporaryDirectory() as directory:
        witness = make_witness(Path(directory))
        for history, size, old_choice, any_old, proof_choice in steps:
            leaves = HISTORIES[history]
            held = witness.held(ORIGIN)
            old = {"held": held.tree_size if held else 0, "zero": 0, "any": any_old}[old_choice]
            proof: list[bytes] | None
            if proof_choice == "honest":
                proof = None
            elif proof_choice == "from-other-history":
                other = HISTORIES[(history + 1) % 3]
                proof = tree(size, other).consistency_proof(old) if 0 < old < size else [LEAVES[0]]
            elif proof_choice == "junk":
                proof = [leaf_hash(bytes([old, size]))] * 3
            else:
                proof = []
            witness.add_checkpoint(request(old, size, leaves, proof=proof))

        cosigned, problems = witness.history.read()
        assert not problems
        roots: dict[int, bytes] = {}
        previous: tuple[int, bytes] | None = None
        for record in cosigned:
            size, root = record["tree_size"], base64.b64decode(record["root_hash"])
            assert roots.setdefault(size, root) == root, "two roots cosigned for one size"
            if previous is not None:
                assert size >= previous[0], "the witness went backwards"
                # The history it now vouches for extends the one it vouched for before.
                history = next(h for h in HISTORIES if (tree(size, h).root() if size else EMPTY_ROOT) == root)
                assert (tree(previous[0], history).root() if previous[0] else EMPTY_ROOT) == previous[1]
            previous = (size, root)
        held = witness.held(ORIGIN)
        if cosigned:
            assert held is not None
            assert held.tree_size == cosigned[-1]["tree_size"]
            state = json.loads(witness.state_path.read_text())
            assert state["logs"][ORIGIN]["checkpoint"] == cosigned[-1]["checkpoint"]
        else:
            assert held is None


def test_cosigning_only_grows_along_one_history():
    """Hand-picked: the log shows history A, then tries history B at a larger size — refused."""
    with tempfile.TemporaryDirectory() as directory:
        witness = make_witness(Path(directory))
        assert witness.add_checkpoint(request(0, 10, FORK_A)).status == 200
        assert witness.add_checkpoint(request(10, 12, LEAVES)).status == 422
        assert witness.add_checkpoint(request(10, 12, FORK_A)).status == 200
        assert (
            VerifierKey.for_key("w", TYPE_COSIGNATURE_V1, Ed25519PrivateKey.generate().public_key()).key_type
            == 4
        )
