"""A notebook's outline from the labels students actually write, and answers found by it.

Students do not use the pack's headings. They write ``### Question 2`` then ``### a)``,
``#### A)`` reused under each question, ``2a) <br/>``, ``##### **Q2.1**``, bold labels
such as ``**Q2 A)**``, 2023-style numbers (``Q2.4`` for 2D), headings in their own
language (``Aufgabe 3``), and headings whose words name the wrong topic. The outline
reads only the label of each such line (a number, a sub-part, or both; a sub-part alone
belongs to the number above it) and splits the notebook at them. A question's section
is where one of its spec ``labels`` stands; its answer is the prose there, wherever in
the section, less what the starter already said and the placeholders students leave.

Everything here is a pure function over plain cells: no kernel, no files.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# words that may stand before a label's number, in the courses' languages
PREFIX = (r"(?:question|quest|q|task|exercise|exercice|ex|problem|aufgabe|übung|uebung|teil|"
          r"uppgift|fråga|fraga|del|pregunta|ejercicio|answer|ans|a|svar|antwort|réponse|"
          r"reponse|part)")
_NUMBERED = re.compile(
    r"^(?:" + PREFIX + r"\s*(?:no\.?|nr\.?|#)?\s*)?(?P<num>\d{1,2})"
    r"(?:\.(?P<dsub>\d{1,2})(?:\.(?P<sub2>\d{1,2}))?"
    r"|(?P<gap>\s*[.\-_]?\s*)(?P<paren>\()?(?P<sub>[a-h])(?![a-z0-9])\)?)?"
    r"(?=$|[\s).:,;!?\-–—]|<)", re.IGNORECASE)
_LETTER = re.compile(r"^(?:" + PREFIX + r"\s+)?\(?(?P<sub>[a-h])(?:\)|\.(?=\s|$)|:)(?=$|\s|<)",
                     re.IGNORECASE)
_PART = re.compile(r"^(?:part|teil|del)\s+(?P<sub>[a-h])\b", re.IGNORECASE)
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s*(.*)$")
_BOLD = re.compile(r"^\s*(?:\*\*|__)(.+?)(?:\*\*|__)")
_MARKUP = re.compile(r"<[^>]{0,200}>|[*_`~]+")
_ANSWER_MARK = re.compile(r"^\s*[*_]*\s*(?:answer|ans|svar|antwort|réponse|reponse|solution)"
                          r"\s*[:.\-]?\s*[*_]*\s*[:.\-]?\s*", re.IGNORECASE)
PLACEHOLDER = re.compile(
    r"^\s*(?:your answer(?: here)?|answer here|write (?:your )?answer here|text|todo|tbd|"
    r"answer|svar|antwort|\.{2,}|…|-+|type your answer here|add your answer here|"
    r"double-click to edit|insert answer)\s*[.:!]?\s*$", re.IGNORECASE)
_CODE_LIKE = re.compile(r"(^\s*(import|from|def|class|return|for|if|print)\b|[=(){}\[\]]|"
                        r"\.\w+\(|^\s*\w+\s*$)")
_WORD = re.compile(r"[^\W\d_]{2,}|\d[\d,.']*\d|\d", re.UNICODE)
STOPWORDS = frozenset([
    "the", "and", "for", "are", "but", "not", "you", "your", "with", "this", "that", "what",
    "why", "how", "which", "does", "did", "was", "were", "has", "have", "had", "can", "could",
    "should", "would", "will", "from", "into", "its", "their", "there", "them", "these",
    "those", "than", "then", "when", "where", "who", "whom", "whose", "also", "been", "being",
    "our", "out", "about",
])


@dataclass(frozen=True)
class Label:
    """One label line: where it stands and the key it reads as (``2a``, ``2.1``, ``4``)."""

    key: str
    cell: int  # index into the cells
    line: int
    level: int  # 1-6 a heading's, 7 bold, 8 a plain line
    text: str
    also: tuple[str, ...] = ()  # further keys the same line names (``2A and 2B``)

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key the line names, its own first."""
        return (self.key, *self.also)

    @property
    def shown(self) -> str:
        """The label as the student wrote it (``Q2 A)``, ``Question 2B``), for messages."""
        text = _plain(re.sub(r"^\s*#{1,6}\s*", "", self.text))
        read = _match_label(text, strict=False)
        list_item = _LIST_ITEM.match(self.text)
        if list_item:
            return list_item.group(0)[:-1].strip()  # "1." of a numbered list
        return (text[:read[2]] if read else text)[:40].strip()


@dataclass
class Segment:
    """The cells from one label to the next: prose, code comments, and which cells."""

    label: Label | None
    cells: list[int] = field(default_factory=list)
    prose: list[tuple[int, str]] = field(default_factory=list)  # (cell index, raw text)
    comments: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Outline:
    """A notebook split at its labels, in order; the first segment may have no label."""

    segments: tuple[Segment, ...]


def canonical(label: str) -> str:
    """A spec label (``"2D"``, ``"Q2.4"``, ``"Answer 2A"``) as the outline reads it."""
    read = read_label(label.strip(), strict=False)
    return _key(*read) if read else re.sub(r"\W+", "", label.lower())


def read_label(text: str, strict: bool = True) -> tuple[str | None, str | None] | None:
    """The (number, sub-part) a label line reads as, or None when it is no label.

    ``strict`` (a plain line, not a heading or bold text) takes only forms that do not
    start ordinary sentences or list items: a prefix word with a number
    (``Question 2``), a number with a sub-part (``2a)``, ``2.1``), a number alone on
    its line (``1) <br/>``), or a sub-part in parentheses with little after it (``a)``).
    """
    read = _match_label(_plain(text), strict)
    return read[:2] if read else None


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFC", _MARKUP.sub(" ", text)).strip()
    return re.sub(r"\s+", " ", text)


def _match_label(text: str, strict: bool) -> tuple[str | None, str | None, int] | None:
    """:func:`read_label` on plain text, with where the label ends."""
    if not text:
        return None
    m = _NUMBERED.match(text)
    if m:
        num, sub = m.group("num"), m.group("sub") or m.group("dsub")
        if m.group("dsub") and m.group("sub2"):
            sub = f"{sub}.{int(m.group('sub2'))}"
        has_prefix = not text[:1].isdigit()
        if (strict and m.group("sub") and " " in m.group("gap") and not m.group("paren")
                and not m.group(0).endswith(")")):
            return None  # "2. a dense layer ..." is a list item, "2a)" or "2 (a)" a label
        alone = not re.sub(r"[\s).:,;\-–—]+", "", text[m.end():])
        if strict and not has_prefix and not sub and not alone:
            return None
        if strict and not has_prefix and sub and sub.isdigit() and len(text.split()) > 8:
            return None
        return num, (sub.lower() if sub else None), m.end()
    m = _LETTER.match(text) or _PART.match(text)
    if m:
        if strict and len(text.split()) > 7:
            return None  # "a) the first layer has ..." is a list item of an answer
        return None, m.group("sub").lower(), m.end()
    return None


_JOINER = re.compile(r"^\s*[).]?\s*(?:and|&|,|/|\+|und|och|et|y)\s*", re.IGNORECASE)


def more_keys(text: str, number: str | None) -> list[str]:
    """Further labels on a label line (``Question 2A and 2B``, ``a) & b)``), as keys."""
    text = _plain(text)
    first = _match_label(text, strict=False)
    keys: list[str] = []
    rest = text[first[2]:] if first else ""
    while len(keys) < 6:
        joiner = _JOINER.match(rest)
        if not joiner:
            break
        read = _match_label(rest[joiner.end():], strict=False)
        if read is None:
            break
        num, sub, end = read
        keys.append(_key(num if num is not None else number, sub))
        rest = rest[joiner.end() + end:]
    return keys


def _key(num: str | None, sub: str | None) -> str:
    if num is None:
        return sub or ""
    if sub is None:
        return str(int(num))
    if sub[:1].isdigit():
        return ".".join(str(int(part)) for part in (num, *sub.split(".")))
    return f"{int(num)}{sub}"


def _flush(segment: Segment, cell: int, lines: list[str]) -> None:
    """Give ``segment`` the prose gathered in ``lines`` (from ``cell``), and empty them."""
    text = "\n".join(lines).strip()
    if text:
        if cell not in segment.cells:
            segment.cells.append(cell)
        segment.prose.append((cell, text))
    lines.clear()


_LIST_ITEM = re.compile(r"^\s{0,3}(\d{1,2})[.)]\s+\S")


def _read_line(line: str) -> tuple[tuple[str | None, str | None] | None, int]:
    """A line's label (or None) and its level: 1-6 a heading's, 7 bold text, 8 plain."""
    heading = _HEADING.match(line)
    if heading:
        text = heading.group(2)
        read = read_label(text, strict=False)
        bold = _BOLD.match(text)
        if read is None and bold:
            read = read_label(bold.group(1), strict=False)
        return read, len(heading.group(1))
    bold = _BOLD.match(line)
    if bold:
        return read_label(bold.group(1), strict=False), 7
    return read_label(line, strict=True), 8


def build_outline(cells: Sequence[Mapping[str, Any]]) -> Outline:
    """Split ``cells`` at their label lines; a sub-part joins the number above it.

    A heading with no label ends the section of a label at its level or below (the
    student moved on); a numbered list (``1.`` … ``4.``) under a label that is a bare
    number reads as that number's parts (``## 3 Questions`` then ``1.`` is ``3.1``).
    """
    segments = [Segment(None)]
    number: str | None = None
    depth = 99  # heading level of the current label (99: none, or not a heading)
    parent: str | None = None  # a bare number whose numbered list items are its parts
    next_item = 1
    for i, cell in enumerate(cells):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        kind = cell.get("cell_type")
        if kind == "code":
            segments[-1].cells.append(i)
            comments = "\n".join(_comment_lines(source))
            if comments:
                segments[-1].comments.append((i, comments))
            continue
        if kind != "markdown":
            continue
        buf: list[str] = []

        for n, line in enumerate(source.splitlines()):
            read, level = _read_line(line)
            current = segments[-1].label
            item = _LIST_ITEM.match(line) if read is None else None
            if item and parent and int(item.group(1)) in (next_item, 1):
                # the next numbered item under a bare number: that number's part (a list
                # that starts again at 1., the answers below the handout's questions, too)
                next_item = int(item.group(1))
                _flush(segments[-1], i, buf)
                key = _key(parent, item.group(1))
                segments.append(Segment(Label(key, i, n, 8, line.strip()), [i]))
                next_item += 1
                buf.append(line[item.end() - 1:])
                continue
            if read is not None:
                _flush(segments[-1], i, buf)
                num, sub = read
                if num is not None:
                    number = num
                key = _key(num if num is not None else number, sub)
                also = tuple(more_keys(_HEADING.sub(r"\2", line), number))
                label = Label(key, i, n, level, line.strip(), also)
                segments.append(Segment(label, [i]))
                depth = level if level <= 6 else (depth if sub and num is None else 99)
                parent, next_item = (key if key.isdigit() else None), 1
                rest = _after_label(line) if level >= 7 else ""  # a heading's words: topic
                if rest:
                    buf.append(rest)
                continue
            if level <= 6 and _HEADING.match(line) and current is not None and level <= depth:
                _flush(segments[-1], i, buf)
                segments.append(Segment(None, [i]))
                depth, parent = 99, None
            buf.append(line)
        _flush(segments[-1], i, buf)
    return Outline(tuple(s for s in segments if s.label or s.cells))


def _label_rest(line: str) -> str:
    """What a line says after its label (``2a) The loss is ...`` → ``The loss is ...``)."""
    text = _MARKUP.sub(" ", re.sub(r"^\s*#{1,6}\s*", "", line)).strip()
    m = _NUMBERED.match(text) or _LETTER.match(text) or _PART.match(text)
    return re.sub(r"^[\s).:,;\-–—]+", "", text[m.end():] if m else text)


def _after_label(line: str) -> str:
    """What a label line says after its label, if it is prose (a heading's topic is not)."""
    rest = _label_rest(line)
    return rest if len(words(rest)) >= 4 else ""


def _comment_lines(source: str) -> list[str]:
    """The prose comments of a code cell (``# The loss is ...``), not commented-out code."""
    out = []
    for line in source.splitlines():
        m = re.match(r"^\s*#+\s?(.*)$", line)
        if m and m.group(1).strip() and not _CODE_LIKE.search(m.group(1)):
            out.append(m.group(1).strip())
    return out


def words(text: str) -> list[str]:
    """The words and numbers of ``text``, lower-cased."""
    return _WORD.findall(text.lower())


def norm(text: str) -> str:
    """``text`` as comparable words: what the starter's own text is matched on."""
    return " ".join(words(_MARKUP.sub(" ", text)))


def given_text(cells: Iterable[Mapping[str, Any]]) -> frozenset[str]:
    """What a starter already says: its paragraphs and code comments, normalised."""
    out: set[str] = set()
    for cell in cells:
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") == "markdown":
            parts = re.split(r"\n\s*\n|\n(?=\s*#)", source)
            out.update(norm(p) for p in parts)
            out.update(norm(line) for line in source.splitlines())
            out.update(norm(_label_rest(line)) for line in source.splitlines())
        elif cell.get("cell_type") == "code":
            out.update(norm(line) for line in _comment_lines(source))
    out.discard("")
    return frozenset(out)


def student_prose(text: str, given: Collection[str] = (), placeholder: str = "",
                  prompt: str = "") -> str:
    """``text`` less the starter's own words, placeholders, answer marks and the prompt.

    Paragraphs (and lines) the starter holds are dropped, as are placeholders
    (``*Your answer here.*``, ``*text*``, ``TODO``), a leading ``Answer:`` and
    sentences that repeat the question's prompt.
    """
    keep = []
    for para in re.split(r"\n\s*\n", text):
        if placeholder:
            para = para.replace(placeholder, "")
        lines = []
        for line in para.splitlines():
            plain = _MARKUP.sub(" ", line).strip()
            if norm(line) in given or PLACEHOLDER.match(plain) or not plain:
                continue
            line = _ANSWER_MARK.sub("", line) if _ANSWER_MARK.match(line) else line
            if not _MARKUP.sub(" ", line).strip() or PLACEHOLDER.match(_MARKUP.sub(" ", line)):
                continue
            lines.append(line)
        para = "\n".join(lines)
        if norm(para) in given or not norm(para):
            continue
        keep.append(para)
    return _without_prompt("\n\n".join(keep).strip(), prompt)


def _without_prompt(prose: str, prompt: str) -> str:
    """Questions copied from the handout taken out: question sentences, or the prompt's."""
    asked = {w for w in words(prompt) if w not in STOPWORDS and len(w) > 3}
    sentences = re.split(r"(?<=[.?!])\s+", prose)
    out = []
    for sentence in sentences:
        said = {w for w in words(sentence) if w not in STOPWORDS and len(w) > 3}
        if sentence.rstrip().endswith("?"):
            continue  # a question is asked, not answered
        if len(asked) >= 3 and len(said) >= 4 and len(said & asked) >= 0.6 * len(said):
            continue
        out.append(sentence)
    return " ".join(out).strip() if len(out) != len(sentences) else prose


_POINTER = re.compile(r"\b(see|siehe|voir|se|look at|refer to|in)\b.{0,40}\b(comments?|"
                      r"kommentare?n?|commentaires?|kommentarer(na)?|code|cells?|below|above)\b",
                      re.IGNORECASE)


def is_answer(prose: str) -> bool:
    """Whether what is left says anything: two words at least, and not only a pointer.

    "See the comments in the code below" points at an answer elsewhere; it is none.
    """
    said = words(prose)
    if len(said) < 2:
        return False
    return not (len(said) <= 14 and _POINTER.search(prose))
