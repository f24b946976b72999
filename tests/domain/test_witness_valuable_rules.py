"""Pure rules: who may not witness a destruction, what a valuable
still lacks, and when a stage transfer sends the case file alone."""

from __future__ import annotations

import pytest

from custody.domain.enums import ItemCategory, TransferKind
from custody.domain.errors import Conflict, InvalidInput
from custody.domain.items import check_valuable_documented, valuable_missing
from custody.domain.lifecycle import check_witness, witness_disqualified
from custody.domain.transfers import file_only_while_holding


def test_the_witness_list_and_the_witness_check_share_one_rule():
    disqualified = witness_disqualified({1, 2, 3}, executor_user_id=4)
    assert disqualified == {1, 2, 3, 4}
    for user_id in range(1, 8):
        if user_id in disqualified:
            with pytest.raises(Conflict):
                check_witness(user_id, disqualified)
        else:
            check_witness(user_id, disqualified)
    with pytest.raises(InvalidInput):
        check_witness(None, disqualified)


@pytest.mark.parametrize(
    ("has_photo", "is_valued", "missing"),
    [
        (False, False, ("photo", "value")),
        (True, False, ("value",)),
        (False, True, ("photo",)),
        (True, True, ()),
    ],
)
def test_a_valuable_is_photographed_and_valued(has_photo, is_valued, missing):
    assert valuable_missing(ItemCategory.VALUABLES, has_photo=has_photo, is_valued=is_valued) == missing
    assert valuable_missing(ItemCategory.GOODS, has_photo=has_photo, is_valued=is_valued) == ()
    check_valuable_documented(
        "PDGA-2026-000001", ItemCategory.GOODS, has_photo=has_photo, is_valued=is_valued
    )
    if missing:
        with pytest.raises(Conflict) as refused:
            check_valuable_documented(
                "PDGA-2026-000001", ItemCategory.VALUABLES, has_photo=has_photo, is_valued=is_valued
            )
        assert refused.value.code == "item.valuable_undocumented"
        assert "PDGA-2026-000001" in str(refused.value)


def test_file_only_stage_transfer_while_holding_items():
    assert file_only_while_holding(TransferKind.PROSECUTION, 0, 3)
    assert file_only_while_holding(TransferKind.INDICTMENT, 0, 1)
    assert not file_only_while_holding(TransferKind.PROSECUTION, 1, 3)  # items sent
    assert not file_only_while_holding(TransferKind.PROSECUTION, 0, 0)  # nothing held
    assert not file_only_while_holding(TransferKind.OTHER, 0, 3)  # not a stage transfer
