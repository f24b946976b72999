from pathlib import Path

from custody.domain.permissions_doc import render_permissions_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "PERMISSIONS.md"


def test_docs_permissions_matches_the_policy_table_in_code():
    assert DOC.read_text(encoding="utf-8") == render_permissions_markdown(), (
        "docs/PERMISSIONS.md is stale: run `make permissions-doc`"
    )
