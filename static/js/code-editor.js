// Socket Lab code editor: a real <textarea> over a highlighted <pre> mirror,
// with line numbers, JavaScript colouring, indentation keys and error marks.
// Our own code, no dependencies. The textarea keeps everything a browser gives
// an input for free (phones, IME, undo, spell-off, screen readers, copy and
// paste); the mirror only paints colours under its transparent text.
//
//   import { createEditor } from "./code-editor.js";
//   const ed = createEditor(host, { value, label, onRun, onChange, readOnly });
//   ed.value; ed.value = "..."; ed.focus();
//   ed.markError(3, 7, "SyntaxError: Unexpected token", { focus: true });
//   ed.clearErrors(); ed.destroy();
//
// Styles: static/css/editor.css. Both layers sit in one grid cell of one
// scroll container, so they scroll together by construction (no scroll
// events to keep in step), and the line-number gutter is sticky beside them.

const INDENT = "  ";
const LAZY_RENDER = 16384; // characters; above this the mirror is redrawn once per frame
const PAIRS = { "(": ")", "[": "]", "{": "}", '"': '"', "'": "'", "`": "`" };
const CLOSERS = new Set([")", "]", "}"]);
const QUOTES = new Set(['"', "'", "`"]);

// ---- tokenizer ------------------------------------------------------------

const KEYWORDS = new Set(
  ("async await break case catch class const continue debugger default delete do else export extends " +
    "finally for function if import in instanceof let new of return static super switch throw try " +
    "typeof var void while with yield").split(" "),
);
const CONSTANTS = new Set("true false null undefined NaN Infinity this".split(" "));
// After one of these keywords an expression starts, so "/" begins a regex.
const EXPR_KEYWORDS = new Set(
  "return typeof instanceof in of new delete void throw case do else yield await".split(" "),
);

const IDENT = /[\p{ID_Start}$_\\][\p{ID_Continue}$\u200c\u200d\\]*/uy;
const NUMBER = /(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?)n?/y;
const SPACE = /[ \t\n\r\f\v\u00a0\u2028\u2029\ufeff]+/y;
const PUNCT = /(?:>>>=|\.\.\.|===|!==|\*\*=|<<=|>>=|>>>|&&=|\|\|=|\?\?=|=>|==|!=|<=|>=|&&|\|\||\?\?|\?\.(?!\d)|\+\+|--|\+=|-=|\*=|\/=|%=|&=|\|=|\^=|\*\*|<<|>>|[{}()[\];,<>+\-*/%&|^!~?:=.@#])/y;

// tokenize splits JavaScript source into [kind, text] pairs whose texts join
// back to exactly the source. Kinds: kw, const, str, num, com, re, punct,
// id, prop, ws. It never throws: what it cannot classify is punctuation.
export function tokenize(src) {
  const out = [];
  let i = 0;
  let prev = null; // last significant token: [kind, text]
  // One entry per open template literal: the brace depth inside its ${...}.
  const templates = [];
  const push = (kind, text) => {
    out.push([kind, text]);
    if (kind !== "ws" && kind !== "com") prev = [kind, text];
  };
  const at = (re) => {
    re.lastIndex = i;
    const m = re.exec(src);
    return m ? m[0] : null;
  };
  // templateChunk emits template-literal text as a string token starting at
  // from (the opening backtick, or just after the "}" closing an
  // interpolation), scanning from scan up to the closing "`" (included) or
  // an "${" (which opens an interpolation).
  const templateChunk = (from, scan) => {
    for (let j = scan; j < src.length; ) {
      const ch = src[j];
      if (ch === "\\") {
        j += 2;
      } else if (ch === "`") {
        push("str", src.slice(from, j + 1));
        i = j + 1;
        return;
      } else if (ch === "$" && src[j + 1] === "{") {
        if (j > from) push("str", src.slice(from, j));
        push("punct", "${");
        templates.push(0);
        i = j + 2;
        return;
      } else {
        j++;
      }
    }
    if (from < src.length) push("str", src.slice(from)); // unterminated: runs to the end
    i = src.length;
  };
  while (i < src.length) {
    const c = src[i];
    let m;
    if ((m = at(SPACE))) {
      out.push(["ws", m]);
      i += m.length;
    } else if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      const stop = end < 0 ? src.length : end;
      push("com", src.slice(i, stop));
      i = stop;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      push("com", src.slice(i, stop));
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      const stop = src[j] === c ? j + 1 : Math.min(j, src.length);
      push("str", src.slice(i, stop));
      i = stop;
    } else if (c === "`") {
      templateChunk(i, i + 1);
    } else if (c === "}" && templates.length > 0 && templates[templates.length - 1] === 0) {
      templates.pop();
      push("punct", "}");
      i++;
      templateChunk(i, i);
    } else if (c === "/" && regexAllowed(prev) && (m = regexAt(src, i))) {
      push("re", m);
      i += m.length;
    } else if ((m = at(NUMBER)) && !/[\p{ID_Continue}$]/u.test(src[i + m.length] ?? "")) {
      push("num", m);
      i += m.length;
    } else if ((m = at(IDENT))) {
      push(identKind(m, prev, src, i + m.length), m);
      i += m.length;
    } else if ((m = at(PUNCT))) {
      if (templates.length > 0) {
        if (m === "{") templates[templates.length - 1]++;
        else if (m === "}") templates[templates.length - 1]--;
      }
      push("punct", m);
      i += m.length;
    } else {
      // A character no rule knows (a stray "\\" or a lone surrogate): keep it.
      const ch = String.fromCodePoint(src.codePointAt(i));
      push("punct", ch);
      i += ch.length;
    }
  }
  return out;
}

function identKind(word, prev, src, end) {
  if (prev && prev[0] === "punct" && (prev[1] === "." || prev[1] === "?.")) return "prop";
  if (KEYWORDS.has(word)) return "kw";
  if (CONSTANTS.has(word)) return "const";
  // An object literal's key: "{ name: ..." or ", name: ..." (not "a ? b : c").
  if (prev && prev[0] === "punct" && (prev[1] === "{" || prev[1] === ",")) {
    let j = end;
    while (src[j] === " " || src[j] === "\t") j++;
    if (src[j] === ":" && src[j + 1] !== ":") return "prop";
  }
  return "id";
}

// regexAllowed reports whether a "/" after the token prev starts a regular
// expression. Only where that is unambiguous: after an operator or an opening
// bracket or an expression keyword, or at the start. After ")" or "}" it could
// be either (if (x) /re/ vs (a) / b), so it is taken as division.
function regexAllowed(prev) {
  if (!prev) return true;
  const [kind, text] = prev;
  if (kind === "kw") return EXPR_KEYWORDS.has(text);
  if (kind !== "punct") return false;
  return !(text === ")" || text === "]" || text === "}" || text === "++" || text === "--");
}

// regexAt returns the regex literal starting at src[i] ("/", not "//" or
// "/*"), or null when the line ends before it closes.
function regexAt(src, i) {
  if (src[i + 1] === "/" || src[i + 1] === "*") return null;
  let j = i + 1;
  let inClass = false;
  for (; j < src.length; j++) {
    const c = src[j];
    if (c === "\n" || c === "\r") return null;
    if (c === "\\") j++;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) break;
  }
  if (j >= src.length) return null;
  j++;
  while (j < src.length && /[a-z]/.test(src[j])) j++;
  return src.slice(i, j);
}

// ---- highlighting ---------------------------------------------------------

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
const escapeHTML = (s) => (/[&<>]/.test(s) ? s.replace(/[&<>]/g, (c) => ESCAPES[c]) : s);

// highlight returns the mirror's HTML for src: one <span class="tok-KIND">
// per token (whitespace and plain text unwrapped).
export function highlight(src) {
  let html = "";
  for (const [kind, text] of tokenize(src)) {
    html += kind === "ws" ? escapeHTML(text) : `<span class="tok-${kind}">${escapeHTML(text)}</span>`;
  }
  return html;
}

// ---- the editor -------------------------------------------------------------

let nextID = 0;

const isMac = () => /Mac|iPhone|iPad|iPod/.test(navigator.userAgentData?.platform ?? navigator.platform ?? "");

function el(tag, className, attrs = {}) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

// lineStart is the offset of the first character of the line holding pos.
const lineStart = (text, pos) => text.lastIndexOf("\n", pos - 1) + 1;
const lineEnd = (text, pos) => {
  const e = text.indexOf("\n", pos);
  return e < 0 ? text.length : e;
};

/**
 * createEditor mounts an editor in host (replacing its children, which
 * destroy() puts back). Options:
 *   value     initial code; default: the text of a <textarea> or <pre> in host
 *   label     the accessible name of the text box (default "Code")
 *   labelledBy  or: the id of a visible heading or label that names it
 *   onRun     called with the code on Ctrl+Enter (Cmd+Enter on a Mac)
 *   onChange  called with the code after every edit
 *   readOnly  the code can be read, selected and copied, not changed
 *   autoClose brackets and quotes close themselves (default true)
 */
export function createEditor(host, opts = {}) {
  if (!(host instanceof Element)) throw new TypeError("createEditor: host must be an element");
  const { label = "Code", onRun, onChange, readOnly = false, autoClose = true } = opts;
  const initial =
    opts.value ?? host.querySelector("textarea")?.value ?? host.querySelector("pre")?.textContent ?? "";
  const id = `code-editor-${++nextID}`;
  const saved = [...host.childNodes];

  const root = el("div", "code-editor");
  root.dataset.codeEditor = "";
  const scroller = el("div", "ce-scroll");
  const inner = el("div", "ce-inner");
  const gutter = el("div", "ce-gutter", { "aria-hidden": "true" });
  const cell = el("div", "ce-code");
  const mirror = el("pre", "ce-mirror", { "aria-hidden": "true" });
  const input = el("textarea", "ce-input", {
    id: `${id}-input`,
    "aria-describedby": `${id}-hint ${id}-errors`,
    "aria-multiline": "true",
    spellcheck: "false",
    autocapitalize: "off",
    autocomplete: "off",
    autocorrect: "off",
    wrap: "off",
    rows: "1",
    cols: "1",
    "data-gramm": "false",
  });
  // A visible heading names the box best (labelledBy: its id); else the label.
  if (opts.labelledBy) input.setAttribute("aria-labelledby", opts.labelledBy);
  else input.setAttribute("aria-label", label);
  input.readOnly = !!readOnly;
  const hint = el("p", "ce-hint", { id: `${id}-hint` });
  const mod = isMac() ? "Cmd" : "Ctrl";
  hint.textContent =
    (readOnly ? "Read only. " : "Tab indents, Shift+Tab outdents. ") +
    "To leave the editor, press Escape, then Tab." +
    (onRun ? ` ${mod}+Enter runs the code.` : "");
  const errors = el("div", "ce-errors", { id: `${id}-errors`, role: "alert" });

  cell.append(mirror, input);
  inner.append(gutter, cell);
  scroller.append(inner);
  root.append(scroller, hint, errors);
  host.replaceChildren(root);

  input.value = initial;
  let lineCount = 0;
  let escaped = false; // Escape was pressed: the next Tab leaves the editor
  const marks = new Map(); // line number → band element

  function render() {
    const text = input.value;
    // A final newline needs something after it, or the mirror is a line short.
    mirror.innerHTML = highlight(text) + (text === "" || text.endsWith("\n") ? " " : "");
    const n = text.split("\n").length;
    if (n !== lineCount) {
      const frag = document.createDocumentFragment();
      for (let k = gutter.children.length + 1; k <= n; k++) {
        const ln = el("span", "ce-ln");
        ln.textContent = String(k);
        frag.append(ln);
      }
      gutter.append(frag);
      while (gutter.children.length > n) gutter.lastElementChild.remove();
      root.style.setProperty("--ce-digits", String(String(n).length));
      lineCount = n;
      for (const line of marks.keys()) gutter.children[Math.min(line, n) - 1]?.classList.add("ce-ln-error");
    }
  }

  // Colouring takes about 1 ms per 3 KB on a laptop: short code is redrawn at
  // once (no frame with stale colours), long code once per frame at most, so
  // typing never waits for it.
  let frame = 0;
  const changed = () => {
    if (input.value.length < LAZY_RENDER) {
      cancelAnimationFrame(frame);
      frame = 0;
      render();
    } else if (!frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        render();
      });
    }
    onChange?.(input.value);
  };

  // replace swaps text[start:end] for text through the browser's editing
  // command, so it lands on the native undo stack, then selects [selStart, selEnd].
  function replace(start, end, text, selStart = start + text.length, selEnd = selStart) {
    input.setSelectionRange(start, end);
    let ok = false;
    try {
      ok = text === "" ? document.execCommand("delete", false) : document.execCommand("insertText", false, text);
    } catch {
      ok = false;
    }
    if (!ok) {
      input.setRangeText(text, start, end, "end");
      changed();
    }
    input.setSelectionRange(selStart, selEnd);
  }

  function indentLines(outdent) {
    const text = input.value;
    const { selectionStart: s, selectionEnd: e } = input;
    const from = lineStart(text, s);
    // A selection that ends at the start of a line does not take that line.
    const to = lineEnd(text, e > s && text[e - 1] === "\n" ? e - 1 : e);
    const lines = text.slice(from, to).split("\n");
    let firstDelta = 0;
    let total = 0;
    const out = lines.map((line, k) => {
      let delta;
      if (!outdent) {
        delta = line === "" && lines.length > 1 ? 0 : INDENT.length;
        line = (delta ? INDENT : "") + line;
      } else {
        const m = /^( {1,2}|\t)/.exec(line);
        delta = m ? -m[0].length : 0;
        line = line.slice(-delta);
      }
      if (k === 0) firstDelta = delta;
      total += delta;
      return line;
    });
    if (total === 0) return;
    // The selection keeps its place in the text; an end inside the removed
    // indentation stays on its line.
    const lastLine = from + out.length - 1 + out.slice(0, -1).reduce((n, l) => n + l.length, 0);
    const ns = Math.max(from, s + firstDelta);
    replace(from, to, out.join("\n"), ns, s === e ? ns : Math.max(ns, lastLine, e + total));
  }

  function onKeyDown(ev) {
    if (ev.isComposing || ev.keyCode === 229) return;
    const wasEscaped = escaped;
    escaped = false;
    if (ev.key === "Escape") {
      escaped = true;
      root.classList.add("ce-escaped");
      return;
    }
    root.classList.remove("ce-escaped");
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
      if (onRun) {
        ev.preventDefault();
        onRun(input.value);
      }
      return;
    }
    // AltGr (reported as Ctrl+Alt on Windows) types "{" "[" on many layouts: that is typing.
    const altGr = ev.getModifierState?.("AltGraph");
    if (input.readOnly || (!altGr && (ev.altKey || ev.ctrlKey || ev.metaKey))) return;
    const text = input.value;
    const { selectionStart: s, selectionEnd: e } = input;
    if (ev.key === "Tab") {
      if (wasEscaped) return; // the browser moves focus on
      ev.preventDefault();
      if (ev.shiftKey || text.slice(s, e).includes("\n")) {
        indentLines(ev.shiftKey);
      } else {
        const col = s - lineStart(text, s);
        replace(s, e, " ".repeat(INDENT.length - (col % INDENT.length)));
      }
      return;
    }
    if (ev.shiftKey && ev.key !== "Enter" && ev.key.length !== 1) return;
    if (ev.key === "Enter") {
      ev.preventDefault();
      const from = lineStart(text, s);
      const indent = /^[ \t]*/.exec(text.slice(from, s))[0];
      const before = text.slice(from, s).trimEnd().slice(-1);
      const after = text[e];
      const opens = before === "{" || before === "[" || before === "(";
      if (opens && after === PAIRS[before]) {
        // {|} → the closer goes on its own line, the caret between, indented.
        const mid = "\n" + indent + INDENT;
        replace(s, e, mid + "\n" + indent, s + mid.length);
      } else {
        replace(s, e, "\n" + indent + (opens ? INDENT : ""));
      }
      return;
    }
    if (ev.key === "Backspace" && s === e && s > 0) {
      const open = text[s - 1];
      const lead = text.slice(lineStart(text, s), s);
      if (autoClose && PAIRS[open] && text[s] === PAIRS[open]) {
        ev.preventDefault();
        replace(s - 1, s + 1, "");
      } else if (lead.length >= 2 && /^ +$/.test(lead)) {
        // In the indentation, Backspace takes one indent step back.
        ev.preventDefault();
        replace(s - (lead.length % INDENT.length || INDENT.length), s, "");
      }
      return;
    }
    if (ev.key.length !== 1) return;
    const ch = ev.key;
    if (autoClose && s === e && (CLOSERS.has(ch) || QUOTES.has(ch)) && text[s] === ch) {
      // Typing the closer that is already there steps over it.
      if (!QUOTES.has(ch) || !/[\\]/.test(text[s - 1] ?? "")) {
        ev.preventDefault();
        input.setSelectionRange(s + 1, s + 1);
        return;
      }
    }
    if (autoClose && PAIRS[ch]) {
      if (s !== e) {
        // Wrap the selection.
        ev.preventDefault();
        replace(s, e, ch + text.slice(s, e) + PAIRS[ch], s + 1, e + 1);
        return;
      }
      const next = text[s] ?? "";
      const prevCh = text[s - 1] ?? "";
      const closable = next === "" || /[\s)\]},;:]/.test(next);
      const quoteOK = !QUOTES.has(ch) || !/[\p{L}\p{N}_$\\]/u.test(prevCh);
      if (closable && quoteOK) {
        ev.preventDefault();
        replace(s, e, ch + PAIRS[ch], s + 1);
      }
    }
  }

  const onBlur = () => {
    escaped = false;
    root.classList.remove("ce-escaped");
  };
  // The textarea is exactly as big as its text, so it never scrolls itself;
  // if rounding ever lets it, put it back so the layers stay aligned.
  const onScroll = () => {
    if (input.scrollTop || input.scrollLeft) {
      scroller.scrollTop += input.scrollTop;
      scroller.scrollLeft += input.scrollLeft;
      input.scrollTop = 0;
      input.scrollLeft = 0;
    }
  };
  input.addEventListener("keydown", onKeyDown);
  input.addEventListener("input", changed);
  input.addEventListener("blur", onBlur);
  input.addEventListener("scroll", onScroll);
  render();

  // offsetOf is the text offset of line:col (1-based, clamped to the text).
  function offsetOf(line, col) {
    const lines = input.value.split("\n");
    const l = Math.min(Math.max(1, Math.trunc(line) || 1), lines.length);
    let off = 0;
    for (let k = 0; k < l - 1; k++) off += lines[k].length + 1;
    const c = Math.min(Math.max(1, Math.trunc(col) || 1), lines[l - 1].length + 1);
    return off + c - 1;
  }

  function goTo(line, col) {
    const off = offsetOf(line, col);
    input.focus({ preventScroll: true });
    input.setSelectionRange(off, off);
    reveal(line, col);
  }

  // charBox is where the mirror draws the character at offset (for the end of
  // a line: just after its last character), or null on an empty line.
  function charBox(offset) {
    const text = input.value;
    let at = offset;
    const atEnd = at >= text.length || text[at] === "\n";
    if (atEnd) {
      if (at === 0 || text[at - 1] === "\n") return null;
      at--;
    }
    const walker = document.createTreeWalker(mirror, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode()) && at >= node.length) at -= node.length;
    if (!node) return null;
    const range = document.createRange();
    range.setStart(node, at);
    range.setEnd(node, at + 1);
    const r = range.getBoundingClientRect();
    return atEnd ? { left: r.right, right: r.right } : r;
  }

  // reveal scrolls the editor (not the page) so line, and column col if
  // given, are in view with a line's height to spare.
  function reveal(line, col) {
    const ln = gutter.children[Math.min(Math.max(1, line), lineCount) - 1];
    if (!ln) return;
    const pad = ln.offsetHeight;
    const top = ln.offsetTop;
    const bottom = top + ln.offsetHeight;
    if (top - pad < scroller.scrollTop) scroller.scrollTop = Math.max(0, top - pad);
    else if (bottom + pad > scroller.scrollTop + scroller.clientHeight)
      scroller.scrollTop = bottom + pad - scroller.clientHeight;
    const box = col ? charBox(offsetOf(line, col)) : null;
    if (!box) return;
    const view = scroller.getBoundingClientRect();
    const left = view.left + scroller.clientLeft + gutter.offsetWidth;
    const right = view.left + scroller.clientLeft + scroller.clientWidth;
    if (box.left - pad < left) scroller.scrollLeft -= left - box.left + pad;
    else if (box.right + pad > right) scroller.scrollLeft += box.right + pad - right;
  }

  const api = {
    get value() {
      return input.value;
    },
    set value(v) {
      input.value = String(v ?? "");
      api.clearErrors();
      render();
    },
    focus() {
      input.focus();
    },
    /**
     * markError marks line (1-based) in the gutter and on the code, shows
     * message under the editor (announced: the list is role=alert) and
     * scrolls both into view. With {focus: true} the caret goes to line:col
     * (col 1-based). A line of 0 or null shows the message alone.
     */
    markError(line, col, message, { focus = false } = {}) {
      if (frame) {
        cancelAnimationFrame(frame);
        frame = 0;
        render();
      }
      const l = line ? Math.min(Math.max(1, Math.trunc(line)), lineCount) : 0;
      const c = col ? Math.max(1, Math.trunc(col)) : 0;
      const item = el("p", "ce-error");
      if (l) {
        const where = el("button", "ce-error-at", { type: "button" });
        where.textContent = c ? `Line ${l}, column ${c}` : `Line ${l}`;
        where.addEventListener("click", () => goTo(l, c || 1));
        item.append(where, " ");
        if (!marks.has(l)) {
          const band = el("div", "ce-error-line", { "aria-hidden": "true" });
          band.style.setProperty("--ce-line", String(l));
          cell.prepend(band);
          marks.set(l, band);
          gutter.children[l - 1]?.classList.add("ce-ln-error");
        }
      }
      const msg = el("span", "ce-error-msg");
      msg.textContent = String(message ?? "Error");
      item.append(msg);
      errors.append(item);
      input.setAttribute("aria-invalid", "true");
      root.classList.add("ce-has-errors");
      if (focus && l) goTo(l, c || 1);
      else if (l) reveal(l, c);
      errors.scrollIntoView({ block: "nearest" });
    },
    clearErrors() {
      for (const band of marks.values()) band.remove();
      marks.clear();
      for (const ln of gutter.querySelectorAll(".ce-ln-error")) ln.classList.remove("ce-ln-error");
      errors.replaceChildren();
      input.removeAttribute("aria-invalid");
      root.classList.remove("ce-has-errors");
    },
    destroy() {
      cancelAnimationFrame(frame);
      input.removeEventListener("keydown", onKeyDown);
      input.removeEventListener("input", changed);
      input.removeEventListener("blur", onBlur);
      input.removeEventListener("scroll", onScroll);
      host.replaceChildren(...saved);
    },
  };
  return api;
}
