"""The marking page: a local web app over one graded output folder (Starlette).

One question at a time, every student's answer to it (:mod:`grader.marking.board`);
a mark is stored in the folder's gradebook as a manual grade with its marker, rubric
items and the answer's hash, and that student's report and ``grades.csv`` are drawn
again at once. Every request needs the session's token (in the address the command
printed, then a cookie; a write also in a header the page sends), and every page is
served under a content-security policy that runs only the app's own script.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from grader.assignment.pack import Pack
from grader.assignment.spec import Question, RubricItem
from grader.execute.collect import inside
from grader.gradebook.overrides import Override, marked_points, rubrics_of
from grader.gradebook.store import Gradebook
from grader.marking.board import (
    alike_code,
    alike_pairs,
    board,
    starter_code,
    written_questions,
)
from grader.report.markup import code_spans, markdown_html
from grader.report.outputs import class_results, open_gradebook, rewrite_students
from grader.report.render import templates_dir

COOKIE = "grader_mark_token"
HEADER = "x-grader-token"
STATIC = Path(__file__).with_name("static")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SAFE_NAME = re.compile(r"^[\w.-]+$")
MAX_COMMENT = 4000


@dataclass
class Marking:
    """One marking session: the folder, its pack, the token, the default marker's name."""

    out_dir: Path
    pack: Pack
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    marker: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def book(self) -> Gradebook:
        """The folder's gradebook, opened for one request (SQLite serialises writers)."""
        return open_gradebook(self.out_dir)

    def question(self, qid: str) -> Question | None:
        """A written question of the pack by id."""
        return next((q for q in written_questions(self.pack.spec) if q.id == qid), None)

    def rubric(self, book: Gradebook, qid: str) -> dict[str, RubricItem]:
        """A question's rubric: the spec's items and those added while marking."""
        return rubrics_of(self.pack.spec, book.rubric_items(self.pack.id)).get(qid, {})


def _env() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(templates_dir()),
                             autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["pts"] = lambda v: f"{float(v):g}"
    env.filters["code"] = lambda v: markupsafe.Markup(code_spans(v))
    return env


def _page(name: str, **context: Any) -> HTMLResponse:
    html = _env().get_template(name).render(**context)
    return HTMLResponse(html, headers={"Content-Security-Policy": CSP,
                                       "X-Content-Type-Options": "nosniff",
                                       "Cache-Control": "no-store"})


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(session: Marking) -> Starlette:
    """The marking app of one session."""

    async def index(request: Request) -> Response:
        with session.book() as book:
            results = class_results(book, session.pack)
            overrides = book.overrides(session.pack.id)
            rows = []
            for q in written_questions(session.pack.spec):
                b = board(q, results, overrides, session.rubric(book, q.id))
                rows.append({"id": q.id, "title": q.title, "points": q.points,
                             "marked": b.marked, "total": len(b.answers),
                             "changed": sum(1 for a in b.answers
                                            if a.mark and a.mark["answer_changed"])})
        return _page("mark_index.html.j2", title=session.pack.spec.title,
                     assignment=session.pack.id, questions=rows, token=session.token,
                     marker=session.marker)

    async def question_page(request: Request) -> Response:
        q = session.question(request.path_params["qid"])
        if q is None:
            return HTMLResponse("no such written question", status_code=404)
        with session.book() as book:
            b = board(q, class_results(book, session.pack), book.overrides(session.pack.id),
                      session.rubric(book, q.id))
        doc = b.to_dict()
        group_of = {s: g for g in doc["groups"] for s in g}
        for a in doc["answers"]:
            a["html"] = markupsafe.Markup(markdown_html(a["text"])) if a["text"] else None
            a["group"] = [s for s in group_of.get(a["student"], []) if s != a["student"]]
        order = [q.id for q in written_questions(session.pack.spec)]
        at = order.index(q.id)
        return _page("mark_question.html.j2", title=session.pack.spec.title, board=doc,
                     token=session.token, marker=session.marker,
                     previous=order[at - 1] if at > 0 else None,
                     next=order[at + 1] if at + 1 < len(order) else None)

    async def question_json(request: Request) -> Response:
        q = session.question(request.path_params["qid"])
        if q is None:
            return _error(404, "no such written question")
        with session.book() as book:
            b = board(q, class_results(book, session.pack), book.overrides(session.pack.id),
                      session.rubric(book, q.id))
        return JSONResponse(b.to_dict())

    async def mark(request: Request) -> Response:
        return await _write(request, _mark, "a mark needs question, marks, points or items, "
                                            "comment")

    async def rubric(request: Request) -> Response:
        return await _write(request, _rubric, "a rubric item needs question, points and text")

    async def _write(request: Request, write: Callable[[Marking, Mapping[str, Any]],
                                                       dict[str, Any]], needs: str) -> Response:
        """A write from the page: its JSON body done by ``write``, or one clear refusal."""
        try:
            return JSONResponse(write(session, json.loads(await request.body())))
        except _Refused as exc:
            return _error(exc.status, exc.message)
        except (ValueError, TypeError, KeyError) as exc:
            return _error(400, f"{needs} ({exc})")

    async def alike(request: Request) -> Response:
        with session.book() as book:
            results = class_results(book, session.pack)
        pairs = alike_pairs(session.pack.spec, results)
        code = alike_code(session.out_dir, results, starter_code(session.pack.starter_files))
        return _page("mark_alike.html.j2", title=session.pack.spec.title, token=session.token,
                     pairs=[{"first": p.first, "second": p.second, "questions": p.questions,
                             "score": p.score} for p in pairs],
                     code=[{"first": p.first, "second": p.second, "score": p.score}
                           for p in code])

    async def figure(request: Request) -> Response:
        student, name = request.path_params["student"], request.path_params["name"]
        path = _inside(session.out_dir, student, "work", "figures", name)
        if path is None or path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".svg"):
            return Response("no such figure", status_code=404)
        return FileResponse(path, headers={"Content-Security-Policy": "default-src 'none'",
                                           "X-Content-Type-Options": "nosniff"})

    async def notebook(request: Request) -> Response:
        path = _inside(session.out_dir, request.path_params["student"], "executed.html")
        if path is None:
            return Response("no executed notebook", status_code=404)
        # the student's notebook as it ran: shown, never run (a sandbox without scripts)
        return FileResponse(path, media_type="text/html",
                            headers={"Content-Security-Policy": "sandbox; default-src 'none'; "
                                     "img-src data:; style-src 'unsafe-inline'",
                                     "X-Content-Type-Options": "nosniff"})

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ("mark.js", "mark.css"):
            return Response("not found", status_code=404)
        return FileResponse(STATIC / name, headers={"X-Content-Type-Options": "nosniff"})

    app = Starlette(routes=[
        Route("/", index), Route("/question/{qid}", question_page),
        Route("/api/question/{qid}", question_json), Route("/api/mark", mark, methods=["POST"]),
        Route("/api/rubric", rubric, methods=["POST"]), Route("/alike", alike),
        Route("/figure/{student}/{name}", figure), Route("/notebook/{student}", notebook),
        Route("/static/{name}", static),
    ])
    app.add_middleware(_TokenCheck, token=session.token)
    return app


class _TokenCheck:
    """Every request carries the session's token: in the address (then a cookie) or a header.

    A write (POST) must carry it in the header the page's script sends, so that no other
    site can make a marker's browser write (the cookie alone is not enough).
    """

    def __init__(self, app: Callable[..., Awaitable[None]], token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        given = request.query_params.get("token")
        if given is not None and _same(given, self.token):
            response: Response = RedirectResponse(request.url.remove_query_params("token"), 303)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="strict")
            await response(scope, receive, send)
            return
        header = request.headers.get(HEADER, "")
        cookie = request.cookies.get(COOKIE, "")
        ok = (_same(header, self.token) if request.method != "GET"
              else _same(cookie, self.token) or _same(header, self.token))
        if not ok:
            await Response("Open the address `grader mark` printed: it holds this session's "
                           "token.", status_code=403)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _same(given: str, token: str) -> bool:
    """Whether ``given`` is the token, in constant time (any text: compared as UTF-8 bytes)."""
    return secrets.compare_digest(given.encode("utf-8", "replace"), token.encode())


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _inside(root: Path, *parts: str) -> Path | None:
    """``root/parts`` if each part is a plain name and the file really is inside ``root``."""
    if not all(SAFE_NAME.fullmatch(p) and p not in (".", "..") for p in parts):
        return None
    return inside(root, "/".join(parts))


def _mark(session: Marking, body: Mapping[str, Any]) -> dict[str, Any]:
    """Store one mark for one or more students (an answer group); redraw their reports."""
    q = session.question(str(body["question"]))
    if q is None:
        raise _Refused(404, f"no written question {body['question']!r}")
    marker = str(body.get("marker") or session.marker)[:80]
    comment = str(body.get("comment") or "").strip()[:MAX_COMMENT]
    items = tuple(str(i) for i in body.get("items") or [])
    points = body.get("points")
    with session.lock, session.book() as book:
        rubric = session.rubric(book, q.id)
        unknown = [i for i in items if i not in rubric]
        if unknown:
            raise _Refused(409, f"rubric item {unknown[0]} is not in this question's rubric: "
                                "reload the page")
        if points is None or points == "":
            if not items:
                raise _Refused(400, "give points or choose rubric items")
            by_items = True
            value = marked_points(Override("", q.id, 0.0, items=items, by_items=True), q.points,
                                  rubric)
        else:
            by_items = False
            value = float(points)
            if not math.isfinite(value) or not 0 <= value <= q.points:
                raise _Refused(400, f"points for {q.id} are between 0 and {q.points:g}")
        results = {r["student"]: r for r in class_results(book, session.pack)}
        current = {a.student: a for a in board(q, list(results.values()), [], rubric).answers}
        marks = []
        for entry in body["marks"]:
            student, sha = str(entry["student"]), str(entry.get("sha") or "")
            if student not in current:
                raise _Refused(404, f"no graded answer of {student!r} to {q.id}")
            if current[student].sha != sha:
                raise _Refused(409, f"{student}'s answer changed since this page loaded (the "
                                    "notebook was graded again): reload and mark it again")
            marks.append(Override(student, q.id, round(value, 2), comment, 0, marker, items,
                                  by_items, sha))
        book.record_overrides(session.pack.id, marks, "marking page")
        rewrite_students(book, session.pack, session.out_dir, [m.student for m in marks])
        b = board(q, class_results(book, session.pack), book.overrides(session.pack.id), rubric)
    by_student = {a.student: a.mark for a in b.answers}
    return {"marked": b.marked, "total": len(b.answers),
            "marks": {m.student: by_student.get(m.student) for m in marks}}


def _rubric(session: Marking, body: Mapping[str, Any]) -> dict[str, Any]:
    """Add a rubric item, or change one's points or text: every mark using it is re-scored."""
    q = session.question(str(body["question"]))
    if q is None:
        raise _Refused(404, f"no written question {body['question']!r}")
    points, text = float(body["points"]), str(body.get("text") or "").strip()[:MAX_COMMENT]
    if not math.isfinite(points) or abs(points) > q.points:
        raise _Refused(400, f"a rubric item of {q.id} is worth between {-q.points:g} and "
                            f"{q.points:g} points")
    if not text:
        raise _Refused(400, "a rubric item needs the comment the student reads")
    item = body.get("item")
    with session.lock, session.book() as book:
        if item is not None and str(item) not in session.rubric(book, q.id):
            raise _Refused(404, f"no rubric item {item!r} in {q.id}")
        made = book.record_rubric_item(session.pack.id, q.id, str(item) if item else None,
                                       points, text, str(body.get("marker") or session.marker))
        touched = [o.student for o in book.overrides(session.pack.id)
                   if o.question == q.id and o.by_items and made.id in o.items]
        if touched:
            rewrite_students(book, session.pack, session.out_dir, touched)
        b = board(q, class_results(book, session.pack), book.overrides(session.pack.id),
                  session.rubric(book, q.id))
    return b.to_dict() | {"rescored": touched}
