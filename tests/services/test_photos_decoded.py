"""Photos are real images (issue 14): decoded with bounds at upload, thumbnail made once and stored.

A file that only *starts* like a JPEG or PNG is refused, so it cannot satisfy the photo rule of an
early sale; an image with more than ``MAX_IMAGE_PIXELS`` is refused from its header, before any
pixel is decoded (decompression bombs); viewing a thumbnail serves the stored one and never decodes
the original again; an image from before thumbnails were stored gets one the first time, once.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import update

from custody.domain.enums import AttachmentKind, ItemCategory
from custody.domain.errors import Conflict, InvalidInput
from custody.extensions import db
from custody.models.item import Attachment
from custody.services import images, items
from tests.factories import act, open_case, png_bytes, register


def upload_dir() -> Path:
    return Path(current_app.config["CUSTODY_UPLOAD_DIR"])


def attach(item, content: bytes, declared: str = "image/png", kind=AttachmentKind.PHOTO):
    attachment = items.add_attachment(
        db.session,
        act("police_officer"),
        item.id,
        filename="照片",
        content=content,
        declared_type=declared,
        kind=kind,
        upload_dir=upload_dir(),
    )
    db.session.commit()
    return attachment


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` pixels in a few dozen bytes (a decompression bomb's
    header: decoding it would need width × height bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def jpeg_bytes(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def valuable(app):
    return register(open_case(), name="金条", category=ItemCategory.VALUABLES, estimated_value_fen=500_000)


@pytest.mark.parametrize(
    ("content", "declared"),
    [
        (b"\xff\xd8\xff", "image/jpeg"),  # three bytes "are" a JPEG to a magic-number check
        (b"\x89PNG\r\n\x1a\n" + bytes(range(64)), "image/png"),
        (png_bytes()[:60], "image/png"),  # truncated
        (jpeg_bytes()[:400], "image/jpeg"),  # truncated
    ],
    ids=["three-byte-jpeg", "png-signature-and-noise", "truncated-png", "truncated-jpeg"],
)
def test_a_photo_must_decode_as_an_image(valuable, content, declared):
    with pytest.raises(InvalidInput) as refused:
        attach(valuable, content, declared)
    assert refused.value.code == "attachment.not_an_image"
    assert "file" in refused.value.fields
    db.session.rollback()
    assert not items.has_photo(valuable)
    assert "photo" in items.missing_records(valuable)  # the valuable still lacks its photo


def test_an_image_above_the_pixel_limit_is_refused_before_decoding(valuable):
    side = 8000  # 64 MP: above our 50 MP, below Pillow's own warning; a few dozen bytes on disk
    assert side * side > images.MAX_IMAGE_PIXELS
    with pytest.raises(InvalidInput) as refused:
        attach(valuable, png_header_only(side, side))
    assert refused.value.code == "attachment.image_too_large"
    assert refused.value.params == {"width": side, "height": side, "limit": 50}
    db.session.rollback()
    with pytest.raises(InvalidInput) as bomb:  # 900 MP: beyond even Pillow's limit
        attach(valuable, png_header_only(30_000, 30_000))
    assert bomb.value.code == "attachment.image_too_large"
    db.session.rollback()
    assert not items.has_photo(valuable)


def test_a_thumbnail_is_made_once_at_upload_and_served_without_decoding(
    valuable, client, login_as, monkeypatch
):
    photo = attach(valuable, png_bytes((1600, 1200)))
    jpeg = attach(valuable, jpeg_bytes(), "image/jpeg")
    assert items.has_photo(valuable)
    assert "photo" not in items.missing_records(valuable)
    for attachment, kind in ((photo, "PNG"), (jpeg, "JPEG")):
        assert attachment.thumbnail_sha256
        stored = upload_dir() / attachment.thumbnail_sha256[:2] / attachment.thumbnail_sha256
        with Image.open(stored) as thumb:
            assert thumb.format == kind
            assert max(thumb.size) <= max(images.THUMB_SIZE)

    def no_decoding(*args, **kwargs):
        raise AssertionError("a thumbnail view decoded an image")

    monkeypatch.setattr(images, "examine", no_decoding)
    officer = login_as("police_officer")
    answer = officer.get(f"/items/attachments/{photo.id}?thumb=1")
    assert answer.status_code == 200
    assert answer.mimetype == "image/png"
    assert answer.get_etag()[0] == photo.thumbnail_sha256
    assert len(answer.data) < photo.size_bytes
    assert officer.get(f"/items/attachments/{jpeg.id}?thumb=1").mimetype == "image/jpeg"
    # The original is still served whole.
    assert officer.get(f"/items/attachments/{photo.id}").data == png_bytes((1600, 1200))


def test_an_older_image_gets_its_thumbnail_once_on_first_view(valuable, login_as, monkeypatch):
    photo = attach(valuable, png_bytes((1200, 900)))
    db.session.execute(update(Attachment).where(Attachment.id == photo.id).values(thumbnail_sha256=None))
    db.session.commit()
    officer = login_as("police_officer")
    calls = []
    examine = images.examine
    monkeypatch.setattr(images, "examine", lambda *a: calls.append(1) or examine(*a))
    first = officer.get(f"/items/attachments/{photo.id}?thumb=1")
    assert first.status_code == 200
    assert first.mimetype == "image/png"
    assert calls == [1]
    db.session.expire_all()
    recorded = db.session.get(Attachment, photo.id).thumbnail_sha256
    assert recorded
    assert first.get_etag()[0] == recorded
    again = officer.get(f"/items/attachments/{photo.id}?thumb=1")
    assert again.data == first.data
    assert calls == [1]


def test_an_older_fake_image_has_no_thumbnail(valuable, login_as):
    photo = attach(valuable, png_bytes())
    fake = b"\xff\xd8\xff"
    items.store_blob(upload_dir(), fake, hashlib.sha256(fake).hexdigest())
    db.session.execute(
        update(Attachment)
        .where(Attachment.id == photo.id)
        .values(
            content_type="image/jpeg",
            sha256=hashlib.sha256(fake).hexdigest(),
            size_bytes=3,
            thumbnail_sha256=None,
        )
    )
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        items.read_thumbnail(db.session, act("police_officer"), photo.id, upload_dir())
    assert refused.value.code == "attachment.not_an_image"
    db.session.rollback()
    assert login_as("police_officer").get(f"/items/attachments/{photo.id}?thumb=1").status_code == 409


def test_the_upload_page_and_api_refuse_a_fake_photo_in_chinese(valuable, login_as, client, auth_headers):
    from tests.conftest import csrf_token

    officer = login_as("police_officer")
    page = officer.post(
        f"/items/{valuable.id}",
        data={
            "csrf_token": csrf_token(officer, f"/items/{valuable.id}"),
            "kind": "photo",
            "file": (io.BytesIO(b"\xff\xd8\xff"), "照片.jpg", "image/jpeg"),
        },
        content_type="multipart/form-data",
    )
    assert page.status_code == 422
    assert "不是可读取的图片" in page.get_data(as_text=True)
    answer = client.post(
        f"/api/v1/items/{valuable.id}/attachments",
        headers=auth_headers("police_officer"),
        data={"file": (io.BytesIO(png_header_only(8000, 8000)), "bomb.png", "image/png"), "kind": "photo"},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 422
    assert answer.json["code"] == "attachment.image_too_large"
    assert "8000" in answer.json["detail"]
