"""Reading an HTML page back as a test sees it: parsed as written, or as headless
Chromium renders it (`chromium --dump-dom`, Debian's package)."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

VOID_TAGS = {"meta", "link", "br", "img", "input", "hr", "wbr", "source", "area", "col"}


class Element:
    """One parsed element: its tag, attributes and all the text inside it."""

    def __init__(self, tag: str, attrs: dict[str, str], parent: Element | None):
        self.tag, self.attrs, self.parent, self.parts = tag, attrs, parent, []

    def is_within(self, ancestor: Element) -> bool:
        """True when `ancestor` encloses this element."""
        parent = self.parent
        while parent is not None and parent is not ancestor:
            parent = parent.parent
        return parent is ancestor

    @property
    def text(self) -> str:
        """The element's text content, whitespace collapsed."""
        return " ".join(self.raw.split())

    @property
    def raw(self) -> str:
        """The element's text content exactly as parsed."""
        return "".join(self.parts)


class DomReader(HTMLParser):
    """Collects every element of a page with its attributes and text content."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.open: list[Element] = []

    def handle_starttag(self, tag, attrs):
        parent = self.open[-1] if self.open else None
        element = Element(tag, {k: v or "" for k, v in attrs}, parent)
        self.elements.append(element)
        if tag not in VOID_TAGS:
            self.open.append(element)

    def handle_startendtag(self, tag, attrs):
        parent = self.open[-1] if self.open else None
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}, parent))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index].tag == tag:
                del self.open[index:]
                break

    def handle_data(self, data):
        for element in self.open:
            element.parts.append(data)


class Page:
    """A parsed page, searched by tag and attributes."""

    def __init__(self, html: str):
        reader = DomReader()
        reader.feed(html)
        reader.close()
        self.elements = reader.elements

    def find_all(
        self, tag: str | None = None, within: Element | None = None, **attrs: str | None
    ) -> list[Element]:
        """Elements with this tag (any if None), inside `within` if given, whose attributes
        have these values (`data_exercise="1"` is data-exercise; None: only present)."""
        wanted = {k.replace("_", "-"): v for k, v in attrs.items()}
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag)
            and (within is None or e.is_within(within))
            and all(k in e.attrs and v in (None, e.attrs[k]) for k, v in wanted.items())
        ]

    def one(self, tag: str | None = None, within: Element | None = None, **attrs) -> Element:
        """The single element matching; fails the test if there is not exactly one."""
        found = self.find_all(tag, within, **attrs)
        assert len(found) == 1, f"{len(found)} elements match {tag} {attrs}"
        return found[0]

    def number(self, within: Element | None = None, **attrs: str) -> float:
        """The number an element's text starts with (`12`, `7.5 / 10`, `75%`)."""
        return float(self.one(None, within, **attrs).text.split("/")[0].rstrip("%"))


def chromium() -> str:
    """Debian's chromium; missing fails the test in CI and skips it elsewhere."""
    path = shutil.which("chromium")
    if path is None:
        reason = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def rendered_dom(path: Path, profile: Path) -> str:
    """The DOM headless Chromium builds from the page at `path`, after its scripts ran."""
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--dump-dom",
        path.as_uri(),
    ]
    # Bytes, decoded here: text mode would turn a carriage return in the DOM into "\n".
    result = subprocess.run(command, capture_output=True, timeout=120, check=True)
    dom = result.stdout.decode("utf-8")
    assert "<body" in dom, result.stderr.decode("utf-8", "replace")[-2000:]
    return dom
