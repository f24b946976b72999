"""Flask's request with every form field and query argument cleaned on the way in (custody.text)."""

from __future__ import annotations

from flask import Request
from werkzeug.datastructures import ImmutableMultiDict, MultiDict

from custody.text import clean_text


def _clean_multidict(data: MultiDict) -> ImmutableMultiDict:
    return ImmutableMultiDict(
        [(clean_text(k), clean_text(v) if isinstance(v, str) else v) for k, v in data.items(multi=True)]
    )


class CleanRequest(Request):
    """Flask's request, with form fields and query arguments cleaned (see module docstring)."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.__dict__["form"] = _clean_multidict(self.__dict__["form"])

    @property
    def args(self) -> ImmutableMultiDict:
        if "_clean_args" not in self.__dict__:
            self.__dict__["_clean_args"] = _clean_multidict(super().args)
        return self.__dict__["_clean_args"]
