"""Cases, seizure lists, and registering items on a case."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from custody.access import current_actor, login_required_api
from custody.database import outside_transaction
from custody.downloads import file_response
from custody.extensions import db
from custody.models.case import SeizureList
from custody.orm import utcnow
from custody.services import case_moves, cases, imports, items
from custody.services.visibility import get_case

from .common import Blueprint, paginate
from .lifecycle_schemas import ImportFormSchema, ImportResultSchema, TemplateQuerySchema
from .schemas import (
    CaseCreateSchema,
    CaseDetailSchema,
    CaseMoveInputSchema,
    CaseMoveSchema,
    CaseQuerySchema,
    CaseSchema,
    InquirySchema,
    ItemCreateSchema,
    ItemSchema,
    MergeSchema,
    SeizureListCreateSchema,
    SeizureListSchema,
)

blp = Blueprint("api_cases", __name__, url_prefix="/api/v1/cases", description="Cases and registration")


def _with_summary(case):
    case.items_summary = cases.case_summary(db.session, case.id)
    return case


@blp.route("")
class Cases(MethodView):
    decorators = [login_required_api]

    @blp.arguments(CaseQuerySchema, location="query")
    @blp.response(200, CaseSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Cases your agency holds or has held (auditors: all)."""
        stmt = cases.list_cases_query(current_actor(), stage=query.get("stage"), q=query.get("q"))
        return paginate(db.session, stmt.options(*cases.CASE_AGENCIES), pagination_parameters)

    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseDetailSchema)
    def post(self, data):
        """立案 — open a case: police (立案), procuratorate (自侦, supervisory referral) or court (自诉)."""
        case = cases.open_case(db.session, current_actor(), **data)
        db.session.commit()
        return _with_summary(case)


@blp.route("/<int:case_id>")
class CaseById(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CaseDetailSchema)
    def get(self, case_id: int):
        """A case with its numbers, stage and the summary derived from its items."""
        return _with_summary(get_case(db.session, current_actor(), case_id, load=cases.CASE_AGENCIES))


def _case_move(path: str, schema, handler, doc: str, name: str) -> None:
    class Move(MethodView):
        decorators = [login_required_api]

        @blp.arguments(schema)
        @blp.response(201, CaseMoveSchema)
        def post(self, data, case_id: int):
            move = handler(db.session, current_actor(), case_id, **data)
            db.session.commit()
            return move

    Move.post.__doc__ = doc
    Move.__name__ = name
    blp.route(path, endpoint=name)(Move)


_case_move(
    "/<int:case_id>/advance",
    CaseMoveInputSchema,
    case_moves.advance_stage,
    "自侦: the procuratorate concludes its investigation and moves on to its own prosecution review.",
    "CaseAdvance",
)
_case_move(
    "/<int:case_id>/inquiry",
    InquirySchema,
    case_moves.send_for_inquiry,
    "退回补充调查: a referred case goes back to the supervisory commission (at most twice, one month each).",
    "CaseInquiry",
)
_case_move(
    "/<int:case_id>/inquiry/return",
    CaseMoveInputSchema,
    case_moves.record_inquiry_return,
    "补充调查完毕: the supervisory commission sent the case back.",
    "CaseInquiryReturn",
)
_case_move(
    "/<int:case_id>/merge",
    MergeSchema,
    case_moves.merge_case,
    "并案: merge this case into another your agency handles; its items follow.",
    "CaseMerge",
)


@blp.route("/<int:case_id>/moves")
class CaseMoves(MethodView):
    decorators = [login_required_api]

    @blp.response(200, CaseMoveSchema(many=True))
    def get(self, case_id: int):
        """The case's procedural moves (自侦 stage advance, supplementary inquiry, merges)."""
        get_case(db.session, current_actor(), case_id)
        return db.session.scalars(case_moves.moves_query(case_id)).all()


@blp.route("/<int:case_id>/seizure-lists")
class SeizureLists(MethodView):
    decorators = [login_required_api]

    @blp.response(200, SeizureListSchema(many=True))
    def get(self, case_id: int):
        get_case(db.session, current_actor(), case_id)
        return db.session.scalars(
            select(SeizureList)
            .where(SeizureList.case_id == case_id)
            .order_by(SeizureList.id)
            .options(selectinload(SeizureList.created_by))  # whose holder data it is (masking)
        ).all()

    @blp.arguments(SeizureListCreateSchema)
    @blp.response(201, SeizureListSchema)
    def post(self, data, case_id: int):
        """扣押清单 — start a seizure list (holder, place, time); add items to it by seizure_list_id."""
        seizure_list = items.create_seizure_list(
            db.session, current_actor(), case_id, items.SeizureListInput(**data)
        )
        db.session.commit()
        return seizure_list


@blp.route("/<int:case_id>/items")
class CaseItems(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ItemCreateSchema)
    @blp.response(201, ItemSchema)
    def post(self, data, case_id: int):
        """Register a seized item; it gets a label code and starts in your agency's custody."""
        holder = {
            key: data.pop(key)
            for key in (
                "holder_name",
                "holder_id_no",
                "holder_contact",
                "holder_signature",
                "holder_signature_note",
                "witness",
            )
        }
        place = data.pop("seized_place")
        if data["seizure_list_id"] is None:  # a new list for this item, from the holder fields
            data["seized_at"] = data["seized_at"] or utcnow()
            data["seizure_list"] = items.SeizureListInput(seized_at=data["seized_at"], place=place, **holder)
        item = items.register_item(db.session, current_actor(), case_id, items.ItemInput(**data))
        db.session.commit()
        return item


@blp.route("/<int:case_id>/items/import")
class CaseItemsImport(MethodView):
    decorators = [login_required_api]

    @blp.arguments(ImportFormSchema, location="files")
    @blp.response(201, ImportResultSchema)
    def post(self, data, case_id: int):
        """Bulk registration from the seizure-list template (CSV or XLSX, Chinese headers): every row or none.

        A multipart/form-data upload: the ``file`` part and, for a new seizure list, its text fields.
        On errors the 422 answer has ``rows``: the spreadsheet row number and each column's errors.
        """
        upload = data["file"]
        seizure_list = None
        if data["seizure_list_id"] is None and (
            data["seized_at"] or data["holder_name"] or data["seized_place"]
        ):
            seizure_list = items.SeizureListInput(
                seized_at=data["seized_at"] or utcnow(),
                place=data["seized_place"],
                holder_name=data["holder_name"],
                holder_id_no=data["holder_id_no"],
                witness=data["witness"],
            )
        actor = current_actor()
        table = outside_transaction(
            db.session, lambda: imports.read_table(upload.filename or "", upload.stream)
        )
        result = imports.import_items(
            db.session,
            actor,
            case_id,
            table=table,
            seizure_list_id=data["seizure_list_id"],
            seizure_list=seizure_list,
        )
        db.session.commit()
        return result


template_blp = Blueprint(
    "api_import_template", __name__, url_prefix="/api/v1", description="Seizure-list import template"
)


@template_blp.route("/import-template")
class ImportTemplate(MethodView):
    decorators = [login_required_api]

    @template_blp.arguments(TemplateQuerySchema, location="query")
    @template_blp.response(200, description="扣押清单导入模板 (XLSX or UTF-8 CSV)")
    def get(self, query):
        """The seizure-list template for bulk import, with Chinese headers and filling notes."""
        if query["format"] == "csv":
            body, mimetype, ext = imports.template_csv(), "text/csv", "csv"  # Flask adds "; charset=utf-8"
        else:
            body, ext = imports.template_xlsx(), "xlsx"
            mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return file_response(body, f"扣押清单模板.{ext}", mimetype=mimetype)
