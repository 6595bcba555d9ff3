// Socket Lab site behaviour: theme switch, reading progress, quizzes, copy
// buttons and lesson keyboard navigation. An ES module with no dependencies;
// everything is progressive enhancement over the server-rendered page.
// All state lives in localStorage under the "socketlab:" prefix.

const PREFIX = "socketlab:";

// ---- storage (never throws: private mode or a full quota only loses state)

export const store = {
  get(key) {
    try {
      return localStorage.getItem(PREFIX + key);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(PREFIX + key, value);
    } catch {
      // ignore: progress is a convenience
    }
  },
  remove(key) {
    try {
      localStorage.removeItem(PREFIX + key);
    } catch {
      // ignore
    }
  },
  getJSON(key) {
    const raw = store.get(key);
    if (raw == null) return null;
    try {
      return JSON.parse(raw);
    } catch {
      return null;
    }
  },
  setJSON(key, value) {
    store.set(key, JSON.stringify(value));
  },
};

// ---- announcements for screen readers

let announcer;

export function announce(message) {
  if (!announcer) {
    announcer = document.createElement("div");
    announcer.className = "visually-hidden";
    announcer.setAttribute("role", "status");
    announcer.setAttribute("aria-live", "polite");
    announcer.dataset.announcer = "";
    document.body.append(announcer);
  }
  // Clear first so the same message is announced again.
  announcer.textContent = "";
  setTimeout(() => {
    announcer.textContent = message;
  }, 50);
}

// ---- theme

const THEMES = ["light", "dark"];

function applyTheme(theme) {
  if (THEMES.includes(theme)) {
    document.documentElement.dataset.theme = theme;
  } else {
    delete document.documentElement.dataset.theme;
  }
}

function initTheme() {
  const wrap = document.querySelector("[data-theme-switch]");
  const select = wrap?.querySelector("select");
  const saved = store.get("theme");
  applyTheme(saved);
  if (!select) return;
  select.value = THEMES.includes(saved) ? saved : "system";
  wrap.hidden = false;
  select.addEventListener("change", () => {
    const theme = select.value;
    if (THEMES.includes(theme)) {
      store.set("theme", theme);
    } else {
      store.remove("theme");
    }
    applyTheme(theme);
  });
  // Keep other tabs in step.
  window.addEventListener("storage", (e) => {
    if (e.key !== PREFIX + "theme") return;
    applyTheme(e.newValue);
    select.value = THEMES.includes(e.newValue) ? e.newValue : "system";
  });
}

// ---- progress: socketlab:progress:<slug> = "visited" | "done";
//                socketlab:last = {"slug","title","url"}

export function progress(slug) {
  const state = store.get("progress:" + slug);
  return state === "done" || state === "visited" ? state : "none";
}

function setProgress(slug, state) {
  store.set("progress:" + slug, state);
}

// ---- exercises: socketlab:exercise:<slug>:<id> = "passed", beside the lesson's progress.

/** Whether the exercise `id` of lesson `slug` was passed (all its checks) in this browser. */
export function exercisePassed(slug, id) {
  return store.get(`exercise:${slug}:${id}`) === "passed";
}

/** Remembers a passed exercise; the lesson counts as started at least. */
export function setExercisePassed(slug, id) {
  store.set(`exercise:${slug}:${id}`, "passed");
  if (progress(slug) === "none") setProgress(slug, "visited");
  document.dispatchEvent(new CustomEvent("socketlab:exercise-passed", { detail: { slug, id } }));
}

const PROGRESS_LABEL = {
  none: { icon: "○", text: "Not started" },
  visited: { icon: "◐", text: "Started" },
  done: { icon: "✓", text: "Done" },
};

function renderProgressMark(el, state) {
  const label = PROGRESS_LABEL[state];
  el.dataset.state = state;
  const icon = el.querySelector(".progress-icon");
  const text = el.querySelector(".progress-text");
  if (icon) icon.textContent = label.icon;
  if (text) text.textContent = label.text;
}

function renderHome() {
  const marks = document.querySelectorAll("[data-progress]");
  for (const el of marks) renderProgressMark(el, progress(el.dataset.progress));

  const link = document.querySelector("[data-resume]");
  const wrap = link?.closest("[data-resume-wrap]");
  const last = store.getJSON("last");
  if (!link || !wrap) return;
  wrap.hidden = true;
  if (!last || typeof last.slug !== "string" || typeof last.url !== "string") return;
  // Only resume lessons that still exist, and only to a same-site path.
  const listed = [...marks].some((el) => el.dataset.progress === last.slug);
  if (!listed || !last.url.startsWith("/") || last.url.startsWith("//")) return;
  link.href = last.url;
  link.textContent = "Resume where you left off";
  if (typeof last.title === "string" && last.title) {
    link.append(": " + last.title);
  }
  wrap.hidden = false;
}

function initHome() {
  renderHome();
  // Back from a lesson may restore this page from the back/forward cache,
  // and another tab may finish a lesson: show the current progress.
  window.addEventListener("pageshow", (e) => {
    if (e.persisted) renderHome();
  });
  window.addEventListener("storage", (e) => {
    if (e.key === null || e.key.startsWith(PREFIX)) renderHome();
  });
}

function initLesson(article) {
  const slug = article.dataset.lesson;
  const title = article.querySelector("h1")?.textContent.trim() ?? "";
  const visit = () => {
    store.setJSON("last", { slug, title, url: location.pathname });
    if (progress(slug) === "none") setProgress(slug, "visited");
  };
  visit();

  const wrap = article.querySelector("[data-done-wrap]");
  const button = article.querySelector("[data-mark-done]");
  const status = article.querySelector("[data-done-status]");
  // What "done" asks: every quiz answered right and every exercise passed. A lesson with
  // neither is done when the reader says so (the button); scrolling to the end is not done.
  const quizzes = [...article.querySelectorAll("form[data-quiz]")];
  const exercises = [...article.querySelectorAll("section.exercise[data-exercise-id]")].map((e) => e.dataset.exerciseId);
  const graded = quizzes.length + exercises.length > 0;
  const passedQuizzes = new Set();

  const todo = () => {
    const left = [];
    const q = quizzes.filter((f) => !passedQuizzes.has(f)).length;
    if (q) left.push(quizzes.length === 1 ? "answer the quiz right" : `answer ${q} more quiz${q === 1 ? "" : "zes"} right`);
    const e = exercises.filter((id) => !exercisePassed(slug, id)).length;
    if (e) left.push(exercises.length === 1 ? "pass the exercise" : `pass ${e} more exercise${e === 1 ? "" : "s"}`);
    return left;
  };
  const render = () => {
    const done = progress(slug) === "done";
    if (graded) {
      if (button) button.hidden = true;
      const left = todo();
      if (done && left.length === 0) status.textContent = "✓ Done: " + (exercises.length ? "quiz and exercise passed." : "quiz passed.");
      else if (done) status.textContent = "✓ Done.";
      else status.textContent = `To finish this lesson: ${left.join(" and ")}.`;
      status.dataset.state = done ? "done" : "todo";
      return;
    }
    if (!button) return;
    button.setAttribute("aria-pressed", String(done));
    button.textContent = done ? "✓ Done (undo)" : "Mark as done";
  };
  const evaluate = () => {
    if (graded && progress(slug) !== "done" && todo().length === 0) {
      setProgress(slug, "done");
      announce("Lesson done: everything passed.");
    }
    render();
  };

  if (wrap) wrap.hidden = false;
  window.addEventListener("pageshow", (e) => {
    if (!e.persisted) return;
    visit();
    render();
  });
  button?.addEventListener("click", () => {
    if (progress(slug) === "done") {
      setProgress(slug, "visited");
      render();
      if (status) status.textContent = "Marked as not done.";
    } else {
      setProgress(slug, "done");
      render();
      if (status) status.textContent = "Marked as done.";
    }
  });
  document.addEventListener("socketlab:exercise-passed", (e) => {
    if (e.detail?.slug === slug) evaluate();
  });

  initQuizzes(article, slug, (form, passed) => {
    if (passed) passedQuizzes.add(form);
    else passedQuizzes.delete(form);
    evaluate();
  });
  render();
}

// ---- quizzes: socketlab:quiz:<slug>:<quizID> = {"answers":{qid:[cid]}, "checked":bool}

function initQuizzes(root, slug, onGraded) {
  const forms = [...root.querySelectorAll("form[data-quiz]")];
  for (const form of forms) {
    const key = `quiz:${slug}:${form.dataset.quiz}`;
    const saved = store.getJSON(key);
    if (saved && saved.answers && typeof saved.answers === "object") {
      restoreAnswers(form, saved.answers);
      if (saved.checked) {
        const r = gradeQuiz(form);
        onGraded(form, r.right === r.total);
      }
    }

    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const r = gradeQuiz(form);
      store.setJSON(key, { answers: collectAnswers(form), checked: true });
      onGraded(form, r.right === r.total);
    });
    form.addEventListener("change", (e) => {
      // A changed answer invalidates that question's verdict until checked again.
      const fieldset = e.target.closest("fieldset[data-question]");
      if (fieldset) clearQuestion(fieldset);
      clearResult(form);
      store.setJSON(key, { answers: collectAnswers(form), checked: false });
    });
  }
}

function questions(form) {
  return [...form.querySelectorAll("fieldset[data-question]")];
}

function choiceInputs(fieldset) {
  return [...fieldset.querySelectorAll("input[type=radio], input[type=checkbox]")];
}

function collectAnswers(form) {
  const answers = {};
  for (const fs of questions(form)) {
    answers[fs.dataset.question] = choiceInputs(fs)
      .filter((i) => i.checked)
      .map((i) => i.value);
  }
  return answers;
}

function restoreAnswers(form, answers) {
  for (const fs of questions(form)) {
    const chosen = answers[fs.dataset.question];
    if (!Array.isArray(chosen)) continue;
    for (const input of choiceInputs(fs)) input.checked = chosen.includes(input.value);
  }
}

function clearQuestion(fieldset) {
  for (const li of fieldset.querySelectorAll("[data-choice]")) {
    delete li.dataset.state;
    const expl = li.querySelector("[data-explanation]");
    if (expl) expl.hidden = true;
    li.querySelector("input")?.removeAttribute("aria-describedby");
  }
  delete fieldset.dataset.result;
}

function clearResult(form) {
  const result = form.querySelector("[data-quiz-result]");
  if (!result) return;
  result.textContent = "";
  delete result.dataset.state;
}

function verdictText(el, icon, text) {
  el.textContent = "";
  const i = document.createElement("span");
  i.setAttribute("aria-hidden", "true");
  i.textContent = icon + " ";
  el.append(i, text);
}

// gradeQuiz marks every choice and writes the result region. A question is
// right when exactly its correct choices are selected. Explanations are shown
// for the selected choices, and for every choice once the question is right.
function gradeQuiz(form) {
  let right = 0;
  let answered = 0;
  const qs = questions(form);
  for (const fs of qs) {
    clearQuestion(fs);
    const inputs = choiceInputs(fs);
    const selected = inputs.filter((i) => i.checked);
    if (selected.length === 0) {
      fs.dataset.result = "unanswered";
      continue;
    }
    answered++;
    const ok = inputs.every((i) => i.checked === (i.dataset.correct === "true"));
    if (ok) right++;
    fs.dataset.result = ok ? "correct" : "wrong";
    for (const input of inputs) {
      const li = input.closest("[data-choice]");
      const expl = li?.querySelector("[data-explanation]");
      if (!li || !expl) continue;
      const correct = input.dataset.correct === "true";
      if (!input.checked && !ok) continue;
      const verdict = expl.querySelector("[data-verdict]");
      let state;
      if (input.checked) {
        state = correct ? "correct" : "wrong";
        if (verdict) verdictText(verdict, correct ? "✓" : "✗", correct ? "Correct choice." : "Not this one.");
      } else {
        state = correct ? "missed" : "other";
        if (verdict) verdictText(verdict, correct ? "✓" : "•", correct ? "Also correct." : "Not correct.");
      }
      li.dataset.state = state;
      expl.hidden = false;
      input.setAttribute("aria-describedby", expl.id);
    }
  }

  const result = form.querySelector("[data-quiz-result]");
  if (result) {
    const total = qs.length;
    let text;
    if (right === total) {
      result.dataset.state = "correct";
      text = total === 1 ? "Correct!" : `Correct! All ${total} answers are right.`;
      verdictText(result, "✓", text);
    } else {
      result.dataset.state = "wrong";
      text = `Not quite: ${right} of ${total} right.`;
      if (answered < total) text += ` ${total - answered} not answered yet.`;
      else text += " Read the explanations and try again.";
      verdictText(result, "✗", text);
    }
  }
  return { right, answered, total: qs.length };
}

// ---- copy buttons on [data-copy] code blocks

/** Copies text to the clipboard (with a fallback for plain http, e.g. a LAN address); true when done. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // fall through to the legacy path
    }
  }
  const active = document.activeElement;
  const ta = document.createElement("textarea");
  ta.value = text;
  ta.setAttribute("readonly", "");
  ta.className = "visually-hidden";
  document.body.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch {
    ok = false;
  }
  ta.remove();
  if (active instanceof HTMLElement) active.focus();
  return ok;
}

function initCopyButtons() {
  for (const block of document.querySelectorAll("[data-copy]")) {
    if (block.dataset.copyReady !== undefined) continue;
    block.dataset.copyReady = "";
    // The toolbar goes inside the block (above the code, never over it); a
    // bare <pre data-copy> is wrapped first.
    let host = block;
    if (block.tagName === "PRE") {
      host = document.createElement("div");
      block.before(host);
      host.append(block);
    }
    host.classList.add("code-block");
    const toolbar = document.createElement("div");
    toolbar.className = "code-toolbar";
    if (block.dataset.lang) {
      const lang = document.createElement("span");
      lang.className = "code-lang";
      lang.textContent = block.dataset.lang;
      toolbar.append(lang);
    }
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = "Copy";
    let timer;
    button.addEventListener("click", async () => {
      const code = block.querySelector("pre") ?? block;
      const text = block.dataset.copy || code.textContent;
      const ok = await copyText(text.replace(/\n$/, ""));
      button.textContent = ok ? "Copied" : "Copy failed";
      announce(ok ? "Copied" : "Copy failed: select the code and copy it by hand");
      clearTimeout(timer);
      timer = setTimeout(() => {
        button.textContent = "Copy";
      }, 2000);
    });
    toolbar.append(button);
    host.prepend(toolbar);
  }
}

// ---- language tabs: a ```js block right before a ```go block (or the other way round) shows as
// two tabs, JavaScript and Go; the choice is one for the site (socketlab:code-lang).

const CODE_LANGS = { js: "JavaScript", javascript: "JavaScript", go: "Go" };
const langOf = (el) => (CODE_LANGS[el?.dataset?.lang] === "JavaScript" ? "js" : el?.dataset?.lang === "go" ? "go" : "");
const codeTabGroups = [];

function showCodeLang(lang) {
  for (const g of codeTabGroups) g.select(lang, false);
}

/** The reader's language for code ("js" or "go"), remembered for the whole site. */
export function codeLang() {
  return store.get("code-lang") === "go" ? "go" : "js";
}

/**
 * Makes a tab group elsewhere (a demo's "The server's handlers") part of the one choice:
 * select(lang) is called with the current language now and whenever the reader picks another;
 * the returned pick(lang) is what its own tabs call when the reader picks one there.
 */
export function followCodeLang(select) {
  codeTabGroups.push({ select });
  select(codeLang());
  return (lang) => {
    store.set("code-lang", lang);
    showCodeLang(lang);
  };
}

function initCodeTabs(root) {
  let n = 0;
  for (const first of root.querySelectorAll("div.code[data-lang]")) {
    const second = first.nextElementSibling;
    const a = langOf(first);
    const b = langOf(second);
    if (!a || !b || a === b || first.closest("[data-code-tabs]") || second.closest("[data-code-tabs]") || !second.matches("div.code[data-lang]")) continue;
    const id = `code-tabs-${++n}`;
    const group = document.createElement("div");
    group.className = "code-tabs";
    group.dataset.codeTabs = "";
    group.dataset.testid = "code-tabs";
    const list = document.createElement("div");
    list.setAttribute("role", "tablist");
    list.setAttribute("aria-label", "Language");
    first.before(group);
    const panels = { [a]: first, [b]: second };
    const tabs = {};
    for (const lang of [a, b]) {
      const panel = panels[lang];
      panel.id ||= `${id}-${lang}`;
      panel.setAttribute("role", "tabpanel");
      const tab = document.createElement("button");
      tab.type = "button";
      tab.setAttribute("role", "tab");
      tab.id = `${id}-tab-${lang}`;
      tab.setAttribute("aria-controls", panel.id);
      tab.dataset.lang = lang;
      tab.textContent = CODE_LANGS[lang];
      panel.setAttribute("aria-labelledby", tab.id);
      tabs[lang] = tab;
      list.append(tab);
    }
    group.append(list, first, second);
    const select = (lang, remember) => {
      if (!tabs[lang]) return;
      for (const l of [a, b]) {
        const on = l === lang;
        tabs[l].setAttribute("aria-selected", String(on));
        tabs[l].tabIndex = on ? 0 : -1;
        panels[l].hidden = !on;
      }
      group.dataset.lang = lang;
      if (remember) {
        store.set("code-lang", lang);
        showCodeLang(lang); // every pair on the page follows
      }
    };
    list.addEventListener("click", (e) => {
      const tab = e.target.closest("[role=tab]");
      if (tab) select(tab.dataset.lang, true);
    });
    list.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowLeft" && e.key !== "ArrowRight" && e.key !== "Home" && e.key !== "End") return;
      e.preventDefault();
      const other = group.dataset.lang === a ? b : a;
      const next = e.key === "Home" ? a : e.key === "End" ? b : other;
      select(next, true);
      tabs[next].focus();
    });
    codeTabGroups.push({ select });
    select(store.get("code-lang") === "go" ? "go" : "js", false);
  }
}

// ---- keyboard: Alt+←/→ and PageUp/PageDown move between lessons

export function isEditable(el) {
  if (!(el instanceof Element)) return false;
  if (el.closest("input, textarea, select, [contenteditable]:not([contenteditable=false])")) return true;
  return el instanceof HTMLElement && el.isContentEditable;
}

function atBottom() {
  const doc = document.documentElement;
  return window.scrollY + window.innerHeight >= doc.scrollHeight - 2;
}

function initKeyboard() {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.isComposing || e.repeat) return;
    if (e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (isEditable(e.target) || isEditable(document.activeElement)) return;
    let rel = null;
    if (e.altKey) {
      if (e.key === "ArrowLeft") rel = "prev";
      else if (e.key === "ArrowRight") rel = "next";
    } else if (e.key === "PageUp" && window.scrollY <= 0) {
      // PageUp/PageDown still scroll; they turn the page only at the top/bottom.
      rel = "prev";
    } else if (e.key === "PageDown" && atBottom()) {
      rel = "next";
    }
    if (!rel) return;
    const link = document.querySelector(`a[rel~="${rel}"][href]`);
    if (!link) return;
    e.preventDefault();
    link.click();
  });
}

// ---- start

function init() {
  initTheme();
  initCopyButtons();
  const body = document.querySelector("[data-testid=lesson-body]");
  if (body) initCodeTabs(body);
  initKeyboard();
  const article = document.querySelector("article[data-lesson]");
  if (article && !("broken" in article.dataset)) initLesson(article); // serve -watch: a lesson's errors are not the lesson
  else if (document.querySelector("[data-progress]")) initHome();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", init, { once: true });
} else {
  init();
}
