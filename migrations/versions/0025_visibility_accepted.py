"""Visibility follows accepted participation: drop the case_participant rows a mere offer created.

Until now proposing a transfer let the receiving agency see the whole case, and a recall or a
rejection did not take that back. An agency now takes part in a case when it opened it or signed for
something of it (services/visibility.py). This keeps every row with such a ground — the agency handles
the case or recorded its number, holds an item of it, sent a transfer of it, or signed for one
(``transfer.received_at``), here or in a case merged into it — and deletes the rest. Pending offers need
no row: the receiver sees the offered items through their lines.

Revision ID: 0025_visibility_accepted
Revises: 0015_centre_operator
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025_visibility_accepted'
down_revision = '0015_centre_operator'
branch_labels = None
depends_on = None

case = sa.table(
    'criminal_case',
    sa.column('id', sa.Integer),
    sa.column('handling_agency_id', sa.Integer),
    sa.column('police_agency_id', sa.Integer),
    sa.column('procuratorate_agency_id', sa.Integer),
    sa.column('court_agency_id', sa.Integer),
    sa.column('appeal_court_agency_id', sa.Integer),
    sa.column('merged_into_id', sa.Integer),
)
item = sa.table('item', sa.column('case_id', sa.Integer), sa.column('custodian_agency_id', sa.Integer))
transfer = sa.table(
    'transfer',
    sa.column('case_id', sa.Integer),
    sa.column('from_agency_id', sa.Integer),
    sa.column('to_agency_id', sa.Integer),
    sa.column('received_at', sa.DateTime(timezone=True)),
)
participant = sa.table(
    'case_participant',
    sa.column('case_id', sa.Integer),
    sa.column('agency_id', sa.Integer),
    sa.column('keepers_only', sa.Boolean),
)


def upgrade():
    bind = op.get_bind()
    grounds: dict[int, set[int]] = defaultdict(set)
    merged_into: dict[int, int] = {}
    for row in bind.execute(sa.select(case)):
        for agency_id in (
            row.handling_agency_id,
            row.police_agency_id,
            row.procuratorate_agency_id,
            row.court_agency_id,
            row.appeal_court_agency_id,
        ):
            if agency_id is not None:
                grounds[row.id].add(agency_id)
        if row.merged_into_id is not None:
            merged_into[row.id] = row.merged_into_id
    for case_id, agency_id in bind.execute(sa.select(item.c.case_id, item.c.custodian_agency_id).distinct()):
        grounds[case_id].add(agency_id)
    for case_id, agency_id in bind.execute(sa.select(transfer.c.case_id, transfer.c.from_agency_id).distinct()):
        grounds[case_id].add(agency_id)
    for case_id, agency_id in bind.execute(
        sa.select(transfer.c.case_id, transfer.c.to_agency_id).where(transfer.c.received_at.is_not(None)).distinct()
    ):
        grounds[case_id].add(agency_id)
    # 并案: whoever took part in a merged case takes part in the case it was merged into (and onwards).
    for case_id in list(merged_into):
        seen = {case_id}
        target = merged_into.get(case_id)
        while target is not None and target not in seen:
            grounds[target] |= grounds[case_id]
            seen.add(target)
            target = merged_into.get(target)
    stale = [
        (case_id, agency_id)
        # A centre operator's keepers-only rows come from its keepers' own work, never from an offer
        # (an operator is no party to transfers): they stay.
        for case_id, agency_id in bind.execute(
            sa.select(participant.c.case_id, participant.c.agency_id).where(participant.c.keepers_only.is_(False))
        )
        if agency_id not in grounds.get(case_id, ())
    ]
    for case_id, agency_id in stale:
        bind.execute(
            participant.delete().where(
                participant.c.case_id == case_id,
                participant.c.agency_id == agency_id,
                participant.c.keepers_only.is_(False),
            )
        )


def downgrade():
    # The deleted rows granted what an offer must not; they are not put back.
    pass
