// The marking page's keyboard and saving: marks go to /api/mark as JSON, with the
// session's token in a header (the page's <meta name="grader-token">).
"use strict";

(function () {
  const meta = (name) => document.querySelector(`meta[name="${name}"]`).content;
  const token = meta("grader-token");
  const question = meta("grader-question");
  const cards = Array.from(document.querySelectorAll("article.answer"));
  let current = 0;
  let pending = 0;  // saves sent, not yet answered

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: {"Content-Type": "application/json", "X-Grader-Token": token},
      body: JSON.stringify(body),
    }).then((r) => r.json().then((doc) => ({ok: r.ok, doc})));
  }

  function focus(i) {
    if (!cards.length) return;
    current = Math.max(0, Math.min(cards.length - 1, i));
    cards.forEach((c, n) => c.classList.toggle("current", n === current));
    cards[current].scrollIntoView({block: "nearest"});
  }

  function markOf(card) {
    const items = Array.from(card.querySelectorAll("input.item:checked")).map((i) => i.value);
    const points = card.querySelector("input.points").value.trim();
    return {
      items,
      points: points === "" ? null : Number(points),
      comment: card.querySelector("textarea.comment").value,
    };
  }

  function show(card, mark) {
    const status = card.querySelector(".status");
    if (mark) {
      card.classList.add("marked");
      status.textContent = `marked ${mark.points} / ${meta("grader-points")}` +
        (mark.marker ? ` by ${mark.marker}` : "");
    }
  }

  function save(card, group) {
    const students = [card.dataset.student];
    if (group && card.dataset.group) students.push(...card.dataset.group.split(" "));
    const marks = students.map((s) => {
      const c = document.getElementById(`answer-${s}`);
      return {student: s, sha: c ? c.dataset.sha : ""};
    });
    const said = card.querySelector(".said");
    said.textContent = "saving…";
    said.classList.remove("error");
    pending += 1;
    return post("/api/mark", Object.assign({question, marks,
      marker: document.getElementById("marker").value}, markOf(card))).finally(() => {
      pending -= 1;
    }).then(({ok, doc}) => {
      if (!ok) {
        said.textContent = doc.error;
        said.classList.add("error");
        return;
      }
      said.textContent = "saved";
      for (const [student, mark] of Object.entries(doc.marks)) {
        const c = document.getElementById(`answer-${student}`);
        if (c) show(c, mark);
      }
      document.getElementById("progress").textContent =
        `${question}: ${doc.marked} of ${doc.total} marked`;
    });
  }

  function nextUnmarked() {
    for (let n = 1; n <= cards.length; n++) {
      const i = (current + n) % cards.length;
      if (!cards[i].classList.contains("marked")) return focus(i);
    }
  }

  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "TEXTAREA"].includes(e.target.tagName);
    if (typing) {
      if (e.key === "Escape") e.target.blur();
      if (e.key === "Enter" && e.target.tagName === "INPUT" && e.target.closest("article")) {
        e.preventDefault();
        save(e.target.closest("article"), false);
      }
      return;
    }
    const card = cards[current];
    if (e.key === "j" || e.key === "ArrowDown") focus(current + 1);
    else if (e.key === "k" || e.key === "ArrowUp") focus(current - 1);
    else if (e.key === "u") nextUnmarked();
    else if (card && /^[1-9]$/.test(e.key)) {
      const box = card.querySelectorAll("input.item")[Number(e.key) - 1];
      if (box) box.checked = !box.checked;
    } else if (card && e.key === "p") { e.preventDefault(); card.querySelector("input.points").focus(); }
    else if (card && e.key === "c") { e.preventDefault(); card.querySelector("textarea.comment").focus(); }
    else if (card && e.key === "Enter") { e.preventDefault(); save(card, false); }
    else if (card && e.key === "g") save(card, true);
    else return;
  });

  cards.forEach((card, n) => {
    card.addEventListener("click", () => focus(n));
    card.querySelector("button.save").addEventListener("click", () => save(card, false));
    const group = card.querySelector("button.save-group");
    if (group) group.addEventListener("click", () => save(card, true));
  });

  function rubric(body) {
    return post("/api/rubric", Object.assign({question,
      marker: document.getElementById("marker").value}, body)).then(({ok, doc}) => {
      if (!ok) { window.alert(doc.error); return; }
      window.location.reload();
    });
  }
  document.getElementById("add-item").addEventListener("click", () => rubric({
    points: Number(document.getElementById("new-item-points").value),
    text: document.getElementById("new-item-text").value,
  }));
  document.querySelectorAll("button.item-change").forEach((b) => b.addEventListener("click", () => {
    const li = b.closest("li");
    rubric({item: b.dataset.item, points: Number(li.querySelector(".item-new-points").value),
      text: li.querySelector(".item-text").textContent.trim()});
  }));

  // start at the first answer not yet marked
  const first = cards.findIndex((c) => !c.classList.contains("marked"));
  focus(first < 0 ? 0 : first);
  window.graderMarking = {save, focus, cards, current: () => current, pending: () => pending};
})();
