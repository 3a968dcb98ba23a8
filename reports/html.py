"""Self-contained HTML rendering with Jinja2 (inline CSS and images, no external links)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("deval.reports", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def base_css() -> str:
    """The stylesheet every report inlines."""
    return resources.files("deval.reports").joinpath("templates/base.css").read_text(encoding="utf-8")


def html_table(df: pd.DataFrame, float_format: str = "{:.3f}", index: bool = False) -> Markup:
    """A DataFrame as an HTML table (floats formatted, text left-aligned) in a box that scrolls sideways
    when the table is wider than the page."""
    formatters = {c: float_format.format for c in df.columns if pd.api.types.is_float_dtype(df[c])}
    html = df.to_html(index=index, formatters=formatters, border=0, escape=True, na_rep="")
    return Markup(f'<div class="scroll">{html}</div>')


def render(template: str, **context) -> str:
    """Render ``templates/<template>`` with ``context`` plus the inline stylesheet."""
    context.setdefault("css", Markup(base_css()))
    return _environment().get_template(template).render(**context)
