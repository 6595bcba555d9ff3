/**
 * demo-dom.js: small DOM helpers for the live demos. Everything is built with createElement and
 * textContent: student text, payloads and names from the hub never go through innerHTML.
 */

/**
 * h("button", {class: "x", type: "button", onclick: fn}, "label", child, [more]) → Element.
 * Attribute values are set with setAttribute (strings) or as properties for "text", "value",
 * "checked", "disabled", "hidden", "selected", "draggable"; null/undefined/false skip the attribute.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden" || k === "selected" || k === "draggable") el[k] = v;
      else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (v === true) el.setAttribute(k, "");
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c)); // a string becomes a Text node
  }
}

/** Replaces the children of el (strings become text nodes). */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A <select> with [value, label] options; the first option is selected unless value is given. */
export function select(attrs, options, value) {
  const el = h("select", attrs);
  fillSelect(el, options, value);
  return el;
}

export function fillSelect(el, options, value) {
  if (el.multiple) {
    // a multiple select keeps every option that was selected and still exists
    const keep = new Set(value ?? [...el.selectedOptions].map((o) => o.value));
    el.replaceChildren(...options.map(([v, label]) => h("option", { value: v, selected: keep.has(v) }, label)));
    if (!el.selectedOptions.length && el.options.length) el.options[0].selected = true;
    return el;
  }
  const keep = value ?? el.value;
  el.replaceChildren(...options.map(([v, label]) => h("option", { value: v }, label)));
  if (options.some(([v]) => v === keep)) el.value = keep;
  return el;
}

/** A labelled control: <label class="demo-field"><span>text</span>control</label>. */
export function field(text, control, cls = "") {
  return h("label", { class: "demo-field " + cls }, h("span", { class: "demo-field-label" }, text), control);
}

/** JSON.stringify with sorted object keys, so the same value always gives the same string. */
export function stable(v) {
  if (Array.isArray(v)) return "[" + v.map(stable).join(",") + "]";
  if (v && typeof v === "object") {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return '{"_binary":' + (v.byteLength ?? 0) + "}";
    return "{" + Object.keys(v).sort().map((k) => JSON.stringify(k) + ":" + stable(v[k])).join(",") + "}";
  }
  return JSON.stringify(v) ?? "null";
}

/** A short, readable rendering of a value: JSON, cut at max characters with "…". */
export function short(v, max = 48) {
  let s;
  try {
    s = typeof v === "string" ? JSON.stringify(v) : stable(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? s.slice(0, max - 1) + "…" : s;
}

/** hh:mm:ss.mmm of a Date or RFC 3339 string, local time. */
export function clock(t) {
  const d = t instanceof Date ? t : new Date(t ?? Date.now());
  if (Number.isNaN(d.getTime())) return "";
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** base64url of a UTF-8 string and back (the playground's #c= links). */
export function toBase64URL(s) {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function fromBase64URL(s) {
  const b64 = s.replaceAll("-", "+").replaceAll("_", "/");
  const bin = atob(b64 + "===".slice((b64.length + 3) % 4));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export const reducedMotion = () =>
  typeof matchMedia === "function" && matchMedia("(prefers-reduced-motion: reduce)").matches;

/** The marks of the demo widget: in the columns, the "who got it" panel and the kinds' panels. */
export const ICON = { received: "✔", sender: "➚", excluded: "⊘", none: "·", warn: "⚠", recovered: "↻" };

/** How many received messages a client's column lists. */
export const MAX_RECEIVED = 8;

/**
 * The side and onState hooks of a kind whose side panel shows one field of the server's state
 * message (docs/play-api.md): render(w) draws w.kindState.server into w.kindState.el.
 */
export function statePanel({ title, label = title, testid, field, render }) {
  return {
    side(w) {
      w.kindState.el = h("div", { class: "demo-queue", "data-testid": testid });
      render(w);
      return h("section", { class: "demo-panel", "aria-label": label }, h("h3", { class: "demo-h" }, title), w.kindState.el);
    },
    onState(w, d) {
      w.kindState.server = d[field] ?? null;
      render(w);
    },
  };
}

/** The connected client named name, or null after saying in out that it is offline. */
export function connectedSender(w, name, out) {
  const c = w.clients.find((c) => c.name === name);
  if (c?.connected) return c;
  out.textContent = `${name} is offline: pick a connected sender.`;
  return null;
}

/**
 * The fields of a kind's "send an order" form: who sends (a client picker), the text ("order #1",
 * then "order #2" after next()), and the status line. key prefixes the ids, testid the test ids.
 */
export function orderFields(id, key, testid) {
  let n = 1;
  return {
    from: select({ id: id(key + "-from"), "data-client-pick": "", "data-testid": testid + "-from" }, []),
    text: h("input", { type: "text", id: id(key + "-text"), value: "order #1", maxlength: "200", "data-testid": testid + "-text" }),
    out: h("p", { class: "demo-answer", role: "status", "data-testid": testid + "-result" }),
    next() {
      this.text.value = `order #${++n}`;
    },
  };
}
