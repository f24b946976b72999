"""Photos and other images: decoded for real at upload, bounded, with a thumbnail made once (issue 14).

A file whose first bytes say JPEG or PNG is not yet a picture (three bytes ``FF D8 FF`` are "a JPEG"
to a magic-number check). Every uploaded image is therefore opened with Pillow, restricted to the
format its first bytes claim: its size is read from the header and refused above
``MAX_IMAGE_PIXELS`` *before* any pixel is decoded (a decompression bomb — a few kilobytes of PNG
that decode to gigabytes — never gets that far), then ``verify()`` checks its structure and
``load()`` decodes every pixel, so a truncated or corrupt file is refused too. The thumbnail shown
on pages is made from the decoded image at that moment and stored (content-addressed like the
original), so viewing a page never decodes a full-size image again.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from custody.domain.errors import InvalidInput
from custody.domain.i18n import N_

# 50 megapixels: the full-resolution photos of today's phones (48 MP, 8000×6000; 50 MP, 8160×6120)
# pass; decoding one takes at most about 150 MB (RGB) for a moment, once, at upload. Pillow's own
# guard (Image.MAX_IMAGE_PIXELS, ~89 MP warning, ~179 MP error) is looser and only warns below 179 MP.
MAX_IMAGE_PIXELS = 50_000_000
THUMB_SIZE = (360, 360)
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass(frozen=True)
class CheckedImage:
    width: int
    height: int
    thumbnail: bytes
    thumbnail_type: str  # image/png for PNG originals (keeps transparency), else image/jpeg


def _refused(message: str, field_message: str) -> InvalidInput:
    return InvalidInput(message, code="attachment.not_an_image", fields={"file": [field_message]})


def _too_large(width: int, height: int) -> InvalidInput:
    return InvalidInput(
        N_(
            "The image is %(width)s × %(height)s pixels; at most %(limit)s megapixels are accepted. "
            "Save it at a smaller size and upload it again."
        ),
        code="attachment.image_too_large",
        fields={"file": [N_("Too many pixels.")]},
        width=width,
        height=height,
        limit=MAX_IMAGE_PIXELS // 1_000_000,
    )


def examine(content: bytes, content_type: str) -> CheckedImage:
    """Decode ``content`` as the ``content_type`` its first bytes claim (image/jpeg or image/png) and
    make its thumbnail; ``InvalidInput`` if it is not a readable image of that format or too large."""
    from PIL import Image, ImageOps

    pil_format = FORMATS[content_type]
    try:
        with warnings.catch_warnings():
            # Our own, lower bound decides below; Pillow's warning above ~89 MP would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            probe_image = Image.open(io.BytesIO(content), formats=[pil_format])
        with probe_image as probe:
            width, height = probe.size
            if width < 1 or height < 1:
                raise _refused(N_("The file is not a readable image."), N_("Not a readable image."))
            if width * height > MAX_IMAGE_PIXELS:
                raise _too_large(width, height)
            probe.verify()
        with Image.open(io.BytesIO(content), formats=[pil_format]) as image:
            image.load()
            thumb = ImageOps.exif_transpose(image)
            thumb.thumbnail(THUMB_SIZE)
            out = io.BytesIO()
            if pil_format == "PNG":
                thumb.save(out, "PNG", optimize=True)
                thumbnail_type = "image/png"
            else:
                thumb.convert("RGB").save(out, "JPEG", quality=80)
                thumbnail_type = "image/jpeg"
    except InvalidInput:
        raise
    except Image.DecompressionBombError as exc:  # larger than even Pillow allows: refused at open
        raise InvalidInput(
            N_("The image has far too many pixels to be a photo (at most %(limit)s megapixels)."),
            code="attachment.image_too_large",
            fields={"file": [N_("Too many pixels.")]},
            limit=MAX_IMAGE_PIXELS // 1_000_000,
        ) from exc
    except Exception as exc:  # UnidentifiedImageError, OSError (truncated), SyntaxError, ValueError…
        raise _refused(N_("The file is not a readable image."), N_("Not a readable image.")) from exc
    return CheckedImage(width=width, height=height, thumbnail=out.getvalue(), thumbnail_type=thumbnail_type)


def thumbnail_type(content_type: str) -> str:
    """The type of the thumbnail ``examine`` makes for an image of ``content_type``."""
    return "image/png" if content_type == "image/png" else "image/jpeg"
