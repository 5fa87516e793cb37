"""A self-contained HTML report of one run: tables, text, figures, configuration.

The figures are embedded as base64 PNG (``<img src="data:image/png;base64,...">``) and
the style sheet is inline, so ``report.html`` is one file that opens in any browser,
can be mailed or archived beside the results, and needs no network.
"""

from __future__ import annotations

import base64
import datetime
import html
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Report"]

_CSS = """
body { font-family: system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif;
       max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
p.meta { color: #666; margin-top: 0; }
div.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: left;
         overflow-wrap: anywhere; }
th { background: #f3f3f3; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th::after { content: " \2195"; color: #aaa; font-size: 0.8em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre { background: #f7f7f7; padding: 0.8em; font-size: 0.88em; white-space: pre-wrap;
      overflow-wrap: anywhere; }
figure { display: inline-block; margin: 0.5em 1em 1em 0; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
"""


# click a column header of a table with class "sortable" to sort by it (numbers as
# numbers; a second click reverses)
_SORT_JS = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var down = th.getAttribute("data-order") !== "asc";
      th.setAttribute("data-order", down ? "asc" : "desc");
      rows.sort(function (a, b) {
        var x = a.cells[col].textContent.trim(), y = b.cells[col].textContent.trim();
        var u = parseFloat(x), v = parseFloat(y);
        var c = (!isNaN(u) && !isNaN(v)) ? u - v : x.localeCompare(y);
        return down ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
"""


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f'<td class="num">{value:.4g}</td>'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'<td class="num">{value}</td>'
    return f"<td>{html.escape('' if value is None else str(value))}</td>"


@dataclass
class Report:
    """Collect sections, then :meth:`render` one HTML document.

    Parameters
    ----------
    title : str
    subtitle : str, optional
        A line under the title (the command that was run, for instance).

    Examples
    --------
    >>> r = Report("Demo", "neurodecode demo")
    >>> r.add_table("Results", ["decoder", "error"], [["linear", 1.5]])
    >>> r.add_figure("Predictions", "pred.png", b"\\x89PNG...")
    >>> page = r.render()
    >>> "<td>linear</td>" in page and 'src="data:image/png;base64,' in page
    True
    """

    title: str
    subtitle: str = ""
    _parts: list[str] = field(default_factory=list)

    def add_heading(self, text: str) -> None:
        """Start a section.

        Parameters
        ----------
        text : str
        """
        self._parts.append(f"<h2>{html.escape(text)}</h2>")

    def add_table(self, heading: str | None, columns: list[str],
                  rows: list[list[Any]], *, sortable: bool = False,
                  note: str | None = None) -> None:
        """Add a table (floats are shown with 4 significant digits).

        Wide tables scroll inside their own box, never the page; long cells wrap.

        Parameters
        ----------
        heading : str or None
        columns : list of str
        rows : list of list
        sortable : bool, default=False
            Clicking a column header sorts the rows by it.
        note : str, optional
            A line of explanation under the table.
        """
        if heading:
            self.add_heading(heading)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join("<tr>" + "".join(_cell(v) for v in row) + "</tr>" for row in rows)
        cls = ' class="sortable"' if sortable else ""
        self._parts.append(f'<div class="table-wrap"><table{cls}><thead><tr>{head}</tr>'
                           f"</thead><tbody>{body}</tbody></table></div>")
        if note:
            self._parts.append(f'<p class="meta">{html.escape(note)}</p>')

    def add_text(self, heading: str | None, text: str, *, pre: bool = True) -> None:
        """Add text, preformatted (tables printed by the command) or as a paragraph.

        Parameters
        ----------
        heading : str or None
        text : str
        pre : bool, default=True
        """
        if heading:
            self.add_heading(heading)
        tag = "pre" if pre else "p"
        self._parts.append(f"<{tag}>{html.escape(text)}</{tag}>")

    def add_figure(self, caption: str, filename: str, png: bytes) -> None:
        """Embed a PNG figure as base64.

        Parameters
        ----------
        caption : str
        filename : str
            The PNG file written beside the report (named in the caption).
        png : bytes
        """
        data = base64.b64encode(png).decode("ascii")
        self._parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
            f"<figcaption>{html.escape(caption)} ({html.escape(filename)})</figcaption>"
            "</figure>")

    def add_mapping(self, heading: str, mapping: dict[str, Any],
                    columns: tuple[str, str] = ("name", "value")) -> None:
        """A two-column key / value table (configuration, versions).

        Parameters
        ----------
        heading : str
        mapping : dict
        columns : (str, str), default=("name", "value")
        """
        rows: list[list[Any]] = [[k, _plain(v)] for k, v in mapping.items()]
        self.add_table(heading, list(columns), rows)

    def render(self) -> str:
        """The complete HTML document.

        Returns
        -------
        str
        """
        now = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
        sub = f'<p class="meta">{html.escape(self.subtitle)}<br>{now}</p>'
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head>"
                f"<body><h1>{html.escape(self.title)}</h1>{sub}\n"
                + "\n".join(self._parts) + f"\n<script>{_SORT_JS}</script>\n</body></html>\n")


def _plain(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
