"""The marking page over a graded class: token, marks, groups, rubrics, stale pages, CSV."""

from __future__ import annotations

import csv
import re
import shutil
import threading
import warnings

import pytest

from grader.assignment.pack import find_pack
from grader.errors import GraderError
from grader.gradebook.store import Gradebook
from grader.marking.app import Marking, create_app
from grader.marking.serve import bind, export_marks, import_marks
from tests.conftest import run_cli

PACK = find_pack("dlcourse_mlp")
Q = "a1_training_time"
HOSTILE = ("Took 3 s. <script>window.pwned = 1</script> <img src=x onerror=\"window.pwned=2\">"
           " [link](javascript:window.pwned=3) $t = 3\\,s$")


@pytest.fixture
def marked_out(batch, tmp_path):
    """A copy of the graded class, two students given the same answer, one a hostile one."""
    out = tmp_path / "out"
    shutil.copytree(batch["out"], out)
    with Gradebook(out / "gradebook.sqlite") as book:
        latest = {r["student"]: r for r in book.latest(PACK.id) if r["status"] == "graded"}
        first, second, third = sorted(latest)[:3]
        for student, text in ((first, "About 4 s per epoch, 20 s in all."),
                              (second, "about 4 s per epoch - 20 s in all"), (third, HOSTILE)):
            r = latest[student]
            q = next(x for x in r["questions"] if x["id"] == Q)
            q["answer"] = {"text": text, "cell": 9, "cells": [9, 9], "how": "label"}
            book.record(r)
    return out, (first, second, third)


@pytest.fixture
def client(marked_out):
    from starlette.testclient import TestClient

    out, _ = marked_out
    session = Marking(out, PACK, marker="ta1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starlette's note on its test client's http library
        c = TestClient(create_app(session))
    c.get(f"/?token={session.token}")
    c.headers["x-grader-token"] = session.token
    return c, session


def answers(c):
    return {a["student"]: a for a in c.get(f"/api/question/{Q}").json()["answers"]}


def test_every_page_needs_the_token_and_a_write_its_header(marked_out):
    from starlette.testclient import TestClient

    out, students = marked_out
    session = Marking(out, PACK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = TestClient(create_app(session))
    assert c.get("/").status_code == 403 and c.get("/question/a1_training_time").status_code == 403
    assert c.get("/?token=wrong").status_code == 403
    assert c.get("/?token=%C3%A9t%C3%A9").status_code == 403  # not ASCII: refused, not a crash
    moved = c.get(f"/?token={session.token}", follow_redirects=False)
    assert moved.status_code == 303 and "token" not in moved.headers["location"]
    page = c.get("/")  # the cookie now
    assert page.status_code == 200 and f"{Q}: 0 of" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    refused = c.post("/api/mark", json={"question": Q, "marks": [{"student": students[0]}],
                                        "points": 1})
    assert refused.status_code == 403  # the cookie alone never writes


def test_a_hostile_answer_is_shown_as_text_never_run(client, marked_out):
    c, _ = client
    page = c.get(f"/question/{Q}").text
    assert "window.pwned = 1</script>" not in page
    assert not re.search(r"<img[^>]*onerror", page)  # shown as text, not a tag
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in page
    assert 'href="javascript' not in page and '<math' in page  # the TeX drawn as MathML


def test_a_mark_is_stored_with_its_marker_and_redraws_the_students_report(client, marked_out):
    c, _ = client
    out, (first, _, _) = marked_out
    sha = answers(c)[first]["sha"]
    done = c.post("/api/mark", json={"question": Q, "marks": [{"student": first, "sha": sha}],
                                     "points": 1, "comment": "Measured, well said."})
    assert done.status_code == 200, done.text
    assert done.json()["marks"][first]["marker"] == "ta1" and done.json()["marked"] == 1
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows[first][Q] == "1"
    report = (out / first / "report.html").read_text(encoding="utf-8")
    assert "graded by hand" in report and "Measured, well said." in report
    assert f"{Q}: 1 of" in c.get("/").text


def test_a_stale_page_cannot_mark_a_changed_answer(client, marked_out):
    c, _ = client
    _, (first, _, _) = marked_out
    stale = c.post("/api/mark", json={"question": Q, "points": 1,
                                      "marks": [{"student": first, "sha": "0" * 16}]})
    assert stale.status_code == 409 and "changed since this page loaded" in stale.json()["error"]
    bad = c.post("/api/mark", json={"question": Q, "points": 7,
                                    "marks": [{"student": first, "sha": answers(c)[first]["sha"]}]})
    assert bad.status_code == 400 and "between 0 and 1" in bad.json()["error"]
    assert c.get(f"/api/question/{Q}").json()["marked"] == 0  # nothing half-stored


def test_an_answer_group_is_marked_at_once(client, marked_out):
    c, _ = client
    _, (first, second, _) = marked_out
    doc = c.get(f"/api/question/{Q}").json()
    assert [first, second] in doc["groups"]
    shas = answers(c)
    done = c.post("/api/mark", json={"question": Q, "points": 0.5, "comment": "Half.",
                                     "marks": [{"student": s, "sha": shas[s]["sha"]}
                                               for s in (first, second)]})
    assert done.status_code == 200 and set(done.json()["marks"]) == {first, second}


def test_a_rubric_change_rescores_every_answer_that_used_it(client, marked_out):
    c, _ = client
    out, (first, second, _) = marked_out
    item = c.post("/api/rubric", json={"question": Q, "points": 0.5, "text": "Gives the time."})
    assert item.status_code == 200 and item.json()["rubric"][-1]["id"] == "m1"
    shas = answers(c)
    for s in (first, second):
        c.post("/api/mark", json={"question": Q, "items": ["m1"], "comment": "",
                                  "marks": [{"student": s, "sha": shas[s]["sha"]}]})
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows[first][Q] == rows[second][Q] == "0.5"
    changed = c.post("/api/rubric", json={"question": Q, "item": "m1", "points": 1,
                                          "text": "Gives the time."})
    assert sorted(changed.json()["rescored"]) == sorted([first, second])
    rows = {r["student"]: r for r in csv.DictReader((out / "grades.csv").open())}
    assert rows[first][Q] == rows[second][Q] == "1"
    assert "Gives the time." in (out / first / "report.html").read_text(encoding="utf-8")


def test_two_markers_at_once_lose_no_mark(client, marked_out):
    c, session = client
    shas = answers(c)
    students = [s for s in shas if shas[s]["text"]] or list(shas)
    errors = []

    def marker(name, mine):
        for s in mine:
            r = c.post("/api/mark", json={"question": Q, "points": 1, "marker": name,
                                          "marks": [{"student": s, "sha": shas[s]["sha"]}]})
            if r.status_code != 200:
                errors.append(r.text)

    threads = [threading.Thread(target=marker, args=(n, students[i::2]))
               for i, n in enumerate(("ta1", "ta2"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with Gradebook(session.out_dir / "gradebook.sqlite") as book:
        marked = {o.student: o.marker for o in book.overrides(PACK.id) if o.question == Q}
    assert set(marked) == set(students) and set(marked.values()) == {"ta1", "ta2"}


def test_marks_round_trip_through_csv(client, marked_out, tmp_path):
    c, _ = client
    out, (first, _, _) = marked_out
    c.post("/api/mark", json={"question": Q, "points": 1, "comment": "Fine, 4 s.",
                              "marks": [{"student": first, "sha": answers(c)[first]["sha"]}]})
    sheet = tmp_path / "marks.csv"
    assert export_marks(out, PACK, sheet) == 1
    rows = list(csv.DictReader(sheet.open()))
    assert rows == [{"student": first, "question": Q, "points": "1", "comment": "Fine, 4 s.",
                     "marker": "ta1", "items": ""}]
    rows[0]["points"], rows[0]["comment"] = "0.5", "Changed in the sheet."
    with sheet.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    assert import_marks(out, PACK, sheet) == 1
    mark = answers(c)[first]["mark"]
    assert (mark["points"], mark["comment"], mark["marker"]) == (0.5, "Changed in the sheet.",
                                                                 "ta1")


def test_the_command_refuses_a_folder_never_graded_and_a_port_in_use(tmp_path):
    proc = run_cli("mark", str(tmp_path), "-a", "dlcourse_mlp", "--no-browser")
    assert proc.returncode == 2 and "no gradebook here" in " ".join(proc.stderr.split())
    taken = bind("127.0.0.1", 0)
    try:
        with pytest.raises(GraderError, match="is in use .* --port"):
            bind("127.0.0.1", taken.getsockname()[1])
    finally:
        taken.close()


@pytest.fixture
def served(marked_out):
    """The marking page served for real on a free local port, as `grader mark` serves it."""
    import uvicorn

    out, students = marked_out
    session = Marking(out, PACK, marker="ta1")
    sock = bind("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(create_app(session), log_level="warning",
                                           lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield session, f"http://127.0.0.1:{sock.getsockname()[1]}", students
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


KEYS = """
const key = (k) => document.dispatchEvent(new KeyboardEvent("keydown", {key: k, bubbles: true}));
const n = window.graderMarking.cards.length;
for (let i = 0; i < n; i++) { key("1"); key(i === 0 ? "g" : "Enter"); key("j"); }
"""


def test_in_a_browser_a_class_is_marked_by_keyboard_and_a_hostile_answer_never_runs(served):
    import httpx

    from tests.browser import in_browser

    session, base, (first, second, third) = served
    added = httpx.post(f"{base}/api/rubric", headers={"x-grader-token": session.token},
                       json={"question": Q, "points": 1, "text": "States the time."})
    assert added.status_code == 200, added.text
    seen = in_browser(
        f"{base}/question/{Q}?token={session.token}",
        "({progress: document.getElementById('progress').textContent,"
        " marked: document.querySelectorAll('article.answer.marked').length,"
        " cards: document.querySelectorAll('article.answer').length,"
        " pwned: window.pwned === undefined ? null : window.pwned,"
        " handlers: document.querySelectorAll('[onerror], script:not([src])').length,"
        " scriptText: document.getElementById('answer-" + third + "').textContent"
        ".includes('<script>')})",
        before=KEYS, wait_ms=200, until="window.graderMarking.pending() === 0")
    assert seen["cards"] >= 6 and seen["marked"] == seen["cards"], seen
    assert seen["progress"] == f"{Q}: {seen['cards']} of {seen['cards']} marked"
    assert seen["pwned"] is None and seen["handlers"] == 0 and seen["scriptText"]
    with Gradebook(session.out_dir / "gradebook.sqlite") as book:
        marks = {o.student: o for o in book.overrides(PACK.id) if o.question == Q}
    assert marks[first].items == marks[second].items == ("m1",)  # the group, at once
    report = in_browser(session.out_dir / first / "report.html",
                        "document.body.innerText.includes('graded by hand')"
                        " && document.body.innerText.includes('States the time.')")
    assert report is True


def _half(marker: str, parity: int) -> str:
    """What one marker does: sets their name, marks every other answer by keyboard."""
    return f"""
document.getElementById("marker").value = {marker!r};
const key = (k) => document.dispatchEvent(new KeyboardEvent("keydown", {{key: k, bubbles: true}}));
window.graderMarking.cards.forEach((c, i) => {{
  if (i % 2 === {parity}) {{ window.graderMarking.focus(i); key("1"); key("Enter"); }}
}});
"""


def test_in_a_browser_two_markers_at_once_and_a_rubric_change_rescores(served):
    import httpx

    from tests.browser import in_browser

    session, base, _ = served
    added = httpx.post(f"{base}/api/rubric", headers={"x-grader-token": session.token},
                       json={"question": Q, "points": 0.5, "text": "States the time."})
    assert added.status_code == 200, added.text
    page = f"{base}/question/{Q}?token={session.token}"
    seen: dict[str, object] = {}

    def marker(name: str, parity: int) -> None:
        seen[name] = in_browser(page, "document.querySelectorAll('article.answer').length",
                                before=_half(name, parity), wait_ms=200,
                                until="window.graderMarking.pending() === 0")

    both = [threading.Thread(target=marker, args=(n, p)) for n, p in (("ta1", 0), ("ta2", 1))]
    for t in both:
        t.start()
    for t in both:
        t.join()
    with Gradebook(session.out_dir / "gradebook.sqlite") as book:
        marks = {o.student: o for o in book.overrides(PACK.id) if o.question == Q}
    assert len(marks) == seen["ta1"] and {m.marker for m in marks.values()} == {"ta1", "ta2"}
    assert all(m.items == ("m1",) for m in marks.values())
    # the item is worth more: changed on the page, every mark that used it is re-scored
    changed = in_browser(
        page, "Array.from(document.querySelectorAll('article.answer .status'))"
              ".map(s => s.textContent.trim())",
        before="sessionStorage.setItem('changed', '1');"
               "const li = document.querySelector('#rubric-items li[data-item=\"m1\"]');"
               "li.querySelector('.item-new-points').value = '1';"
               "li.querySelector('button.item-change').click();", wait_ms=200,
        until="sessionStorage.getItem('changed') === '1' && document.readyState === 'complete'"
              " && performance.getEntriesByType('navigation')[0].type === 'reload'"
              " && window.graderMarking !== undefined")
    assert changed and all(s.startswith("marked 1 / 1") for s in changed), changed
    rows = {r["student"]: r for r in csv.DictReader((session.out_dir / "grades.csv").open())}
    assert all(rows[s][Q] == "1" for s in marks)
