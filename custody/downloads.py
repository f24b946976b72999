"""One home for file downloads (PDF, XLSX, CSV, JSON), shared by the JSON API and the HTML pages.

Every download answers with an RFC 6266 ``Content-Disposition`` (an ASCII fallback name plus the
UTF-8 ``filename*``, so Chinese file names survive every browser) and ``Cache-Control: no-store``
(documents carry personal data and must not linger in shared caches). Downloads that are recorded
as security events (ledger exports, stocktake reports) are recorded and committed *before* the
file is sent, so there is no file without its record.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from io import IOBase
from typing import IO, Any, cast
from urllib.parse import quote

from flask import Response, request, send_file, stream_with_context

from custody.access import current_actor
from custody.domain import clock
from custody.extensions import db
from custody.services import ledgers, reconciliation, stocktake
from custody.services.documents import record_document
from custody.services.items import ItemQuery

MIMETYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "json": "application/json",
}


def content_disposition(filename: str | None, *, inline: bool = False) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''…`` (RFC 6266 §4.3, RFC 8187); without a
    file name, just ``inline`` or ``attachment`` (a stored photo shown where it is opened)."""
    kind = "inline" if inline else "attachment"
    if filename is None:
        return kind
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("_") or "download"
    if "." in filename and "." not in ascii_name:
        ascii_name += "." + filename.rsplit(".", 1)[1]
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def file_response(
    content: bytes | Iterable[bytes] | IO[bytes],
    filename: str | None,
    *,
    fmt: str | None = None,
    mimetype: str | None = None,
    inline: bool = False,
    headers: dict[str, str] | None = None,
) -> Response:
    """A download response. ``content`` may be bytes, a file object or an iterable of chunks
    (streamed inside the request context). Without ``filename``, give ``mimetype`` or ``fmt``."""
    kind = mimetype or MIMETYPES[fmt or (filename or "").rsplit(".", 1)[-1]]
    response: Response
    if isinstance(content, bytes | bytearray):
        response = Response(content, mimetype=kind)
    elif isinstance(content, IOBase):  # a file: streamed by the server, closed when sent
        response = send_file(cast(IO[bytes], content), mimetype=kind)
    else:
        response = Response(stream_with_context(iter(content)), mimetype=kind)
    response.headers["Content-Disposition"] = content_disposition(filename, inline=inline)
    response.headers["Cache-Control"] = "private, no-store"
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def stored_file_response(content: bytes, content_type: str, *, etag: str, original: str) -> Response:
    """A stored photo or document (or its thumbnail), shown where it is opened: ``inline`` without a
    file name, under its SHA-256 as the ETag (304 when the client names it), ``original`` being the
    SHA-256 of the file as recorded. Not cached, like every answer (custody/headers.py)."""
    if request.if_none_match and etag in request.if_none_match:
        return Response(status=304)
    response = file_response(
        content, None, mimetype=content_type, inline=True, headers={"X-Content-SHA256": original}
    )
    response.set_etag(etag)
    return response


def stocktake_report_response(record: Any, fmt: str, *, inline: bool = False) -> Response:
    """The stocktake report as PDF or XLSX, recorded as an export before it is sent."""
    data = (
        stocktake.report_xlsx(db.session, record)
        if fmt == "xlsx"
        else stocktake.report_pdf(db.session, record)
    )
    record_document(
        db.session,
        current_actor(),
        "stocktake_report",
        record.id,
        format=fmt,
        stocktake_no=record.stocktake_no,
    )
    db.session.commit()  # the record of who took the report exists before it is sent
    return file_response(data, f"stocktake-{record.stocktake_no}.{fmt}", fmt=fmt, inline=inline)


def reconciliation_report_response(statement_id: int, fmt: str, *, inline: bool = False) -> Response:
    """The reconciliation report of one bank statement as PDF or XLSX, recorded as an export before
    it is sent (shared by the API and the page)."""
    actor = current_actor()
    view = reconciliation.statement_view(db.session, actor, statement_id)
    if fmt == "xlsx":
        data = reconciliation.report_xlsx(view)
    else:
        data = reconciliation.report_pdf(
            view, agency=actor.agency_name, footer=f"{actor.agency_name} · {actor.display_name}"
        )
    statement = view.statement
    record_document(
        db.session,
        actor,
        "reconciliation_report",
        statement.id,
        format=fmt,
        account_id=statement.account_id,
        period_to=statement.period_to.isoformat(),
    )
    db.session.commit()
    name = f"涉案款对账报告-{statement.period_from.isoformat()}-{statement.period_to.isoformat()}-{statement.id}.{fmt}"
    return file_response(data, name, fmt=fmt, inline=inline)


def ledger_export_response(fmt: str, scope: str, agency_id: int | None, query: ItemQuery) -> Response:
    """Record the ledger export, commit, then send the file (shared by the API and the page)."""
    actor = current_actor()
    spec = ledgers.make_spec(actor, scope, agency_id, query)
    count = ledgers.prepare_export(db.session, actor, spec, fmt)
    db.session.commit()
    name = ledgers.filename(spec, fmt, clock.today())
    headers = {"X-Row-Count": str(count)}
    if fmt == "xlsx":
        return file_response(
            ledgers.xlsx_file(db.session, actor, spec, count), name, fmt=fmt, headers=headers
        )
    return file_response(
        ledgers.csv_chunks(ledgers.ledger_rows(db.session, actor, spec)), name, fmt=fmt, headers=headers
    )
