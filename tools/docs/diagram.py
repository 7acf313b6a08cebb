"""The drawing vocabulary of the architecture picture: node ids, labels, tables, boxes and edge styles.

Labels are Graphviz's HTML-like labels, their text escaped; the font is one Debian ships (fonts-dejavu-core),
since the widths ``dot`` measures shape the layout and so the SVG's bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from html import escape

import graphviz

from tools.docs.synthesized import Ref

DASH, TIMES = "\N{EN DASH}", "\N{MULTIPLICATION SIGN}"
FONT = "DejaVu Sans"
#: (fill, border) of each kind of box.
AWS, GCP, EDGE = ("#FFF8EE", "#D9822B"), ("#EEF4FE", "#1A73E8"), ("#F5F5F5", "#777777")
INNER = ("#FFFFFF", "#B8B8B8")
#: Edge styles: what the edge says happens between the two ends.
TRAFFIC = {"color": "#333333", "penwidth": "1.4"}
DNS = {"color": "#7B3FA0", "style": "dashed"}
# Copies between stores leave the ranking alone: every box keeps the same rows, copies run across.
REPLICATION = {"color": "#1565C0", "penwidth": "2.2", "constraint": "false"}
BACKUP = {"color": "#2E7D32", "style": "dashed", "penwidth": "1.4", "constraint": "false"}


def nid(ref: Ref | tuple[str, str, str]) -> str:
    """A node id that stays the same from one synthesis to the next (stack, type, logical id)."""
    stack, kind, ident = (ref.stack, ref.type, ref.id) if isinstance(ref, Ref) else ref
    return f"{stack}/{kind}.{ident}"


def label(title: str, *lines: str) -> str:
    """An HTML-like label: a bold title, then smaller lines."""
    rows = "".join(f'<BR/><FONT POINT-SIZE="9">{escape(line)}</FONT>' for line in lines if line)
    return f"<<B>{escape(title)}</B>{rows}>"


def table(title: str, header: list[str], rows: list[list[str | list[str]]], note: str = "") -> str:
    """An HTML-like table label: title row, header row, one row per item; a list in a cell is one line each."""
    width = len(header)
    cells = "".join(f'<TD BGCOLOR="#EEEEEE"><B>{escape(h)}</B></TD>' for h in header)
    body = "".join(
        "<TR>" + "".join(f'<TD ALIGN="LEFT" BALIGN="LEFT">{_cell(c)}</TD>' for c in row) + "</TR>" for row in rows
    )
    foot = f'<TR><TD COLSPAN="{width}" BORDER="0"><FONT POINT-SIZE="9">{escape(note)}</FONT></TD></TR>' if note else ""
    return (
        f'<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
        f'<TR><TD COLSPAN="{width}" BORDER="0"><B>{escape(title)}</B></TD></TR>'
        f"<TR>{cells}</TR>{body}{foot}</TABLE>>"
    )


def _cell(value: str | list[str]) -> str:
    lines = [value] if isinstance(value, str) else value
    return "<BR/>".join(escape(line) for line in lines) or " "


def chunks(items: list[str], size: int) -> list[str]:
    """Items joined ``size`` to a line, to keep a table column narrow."""
    return [", ".join(items[i : i + size]) for i in range(0, len(items), size)]


def counted(names: Iterable[str]) -> list[str]:
    """Each name once, with its count when above one, in first-seen order."""
    return [f"{name} {TIMES}{n}" if n > 1 else name for name, n in Counter(names).items()]


def box(graph: graphviz.Digraph, name: str, title: str, colors: tuple[str, str], **attrs: str):
    """A cluster (a box around nodes)."""
    fill, border = colors
    return graph.subgraph(
        name=f"cluster_{name}",
        graph_attr={"label": title, "style": "rounded,filled", "fillcolor": fill, "color": border,
                    "fontname": f"{FONT} Bold", "fontsize": "12", "margin": "10", **attrs},
    )  # fmt: skip
