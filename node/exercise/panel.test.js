// The exercise panel on a real lesson page of `socketlab serve`, in headless Chromium: the
// starter code fails with the explanation a student reads, the solution passes, the pass is
// remembered across a reload, hints come one at a time, and nothing from the server's code
// becomes markup. The panel's runCode hook (demo-code.js runs the code on the demo's hub) is
// played here by the test: it starts the code on npm socket.io 4.8 (node/exercise/host.js).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { loadExercises, startServer, startSocketlab } from "./lib.js";

const chromiumPath = process.env.SOCKETLAB_CHROMIUM || "/usr/bin/chromium";
const skip = !existsSync(chromiumPath) && process.env.CI !== "true" ? `no Chromium at ${chromiumPath}` : false;
const T = { timeout: 60_000, skip };

let site, browser, page;
const servers = [];

before(async () => {
  if (skip) return;
  [site, browser] = await Promise.all([
    startSocketlab(),
    chromium.launch({ executablePath: chromiumPath, args: ["--headless", "--no-sandbox", "--disable-gpu"] }),
  ]);
  // The student's server runs on another port than the page: let the page's sio.js reach it
  // (the real hook runs the code on the page's own hub, which CSP allows).
  const context = await browser.newContext({ bypassCSP: true });
  page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (err) => page.errors.push(err));
  await page.exposeFunction("runStudentCode", async (code) => {
    const s = await startServer(code);
    servers.push(s);
    return { url: s.url, path: "/socket.io/" };
  });
});

after(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.stop()));
  await site?.stop();
});

// The student writes the exercise's server in the editor of the chat demo above it
// (static/js/demo-code.js): "Start the exercise" puts the starter there.
const editor = 'section.demo [data-testid="server-code-js"] textarea';

async function openChat() {
  await page.goto(site.url + "/lessons/chat");
  await page.waitForSelector('[data-testid="exercise"] [data-exercise-actions]:not([hidden])');
  await page.waitForSelector("section.demo[data-ready]");
  await page.click('[data-testid="exercise-start"]');
  // The page's runCode runs the code on the demo's hub; the test runs it on npm socket.io
  // instead: the same module instance the page loaded.
  await page.evaluate(async () => {
    const { mountExercise } = await import("/static/js/exercise.js");
    mountExercise(document.querySelector('[data-testid="exercise"]'), { runCode: (code) => window.runStudentCode(code) });
  });
}

async function check() {
  await page.click('[data-testid="exercise-check"]');
  await page.waitForFunction(() => {
    const s = document.querySelector('[data-testid="exercise-status"]').textContent;
    return s.includes("Passed") || s.includes("failed") || s.includes("did not start");
  });
  return page.evaluate(() => ({
    status: document.querySelector('[data-testid="exercise-status"]').textContent,
    results: [...document.querySelectorAll('[data-testid="exercise-result"]')].map((li) => ({
      name: li.querySelector(".exercise-result-name").textContent,
      lines: [...li.querySelectorAll("li")].map((l) => `${l.className}: ${l.textContent}`),
    })),
  }));
}

test("starter fails with plain words, solution passes and is remembered", T, async () => {
  const chat = loadExercises().find((x) => x.slug === "chat").config;
  await openChat();
  assert.equal(await page.inputValue(editor), chat.starter, "the demo's editor starts with the starter code");

  const failed = await check();
  assert.equal(failed.status, "2 of 2 checks failed: see below.");
  assert.deepEqual(failed.results[0], {
    name: "✗ Ada's message reaches Ada, Grace and Linus, once each",
    lines: [
      'ok: Ada received chat message "hi all" once',
      'bad: Grace received nothing; expected chat message "hi all"',
      'bad: Linus received nothing; expected chat message "hi all"',
    ],
  });

  await page.fill(editor, chat.solution);
  const passed = await check();
  assert.match(passed.status, /^✓ Passed/);
  assert.deepEqual(passed.results.map((r) => r.name), ["✓ Ada's message reaches Ada, Grace and Linus, once each", "✓ Linus's message reaches Ada and Grace too"]);
  assert.equal(await page.evaluate(() => localStorage.getItem("socketlab:exercise:chat:exercise-1")), "passed");

  await page.reload();
  await page.waitForSelector('[data-testid="exercise"][data-passed="true"]');
  assert.match(await page.textContent('[data-testid="exercise-status"]'), /^✓ Passed/);
  assert.deepEqual(page.errors.map(String), []);
});

test("hints one at a time, the solution on demand", T, async () => {
  await openChat();
  const visible = () => page.$$eval('[data-testid="exercise-hint"]', (hs) => hs.map((h) => !h.hidden));
  assert.deepEqual(await visible(), [false, false]);
  assert.equal(await page.textContent('[data-testid="exercise-next-hint"]'), "Show hint 1 of 2");
  await page.click('[data-testid="exercise-next-hint"]');
  assert.deepEqual(await visible(), [true, false]);
  await page.click('[data-testid="exercise-next-hint"]');
  assert.deepEqual(await visible(), [true, true]);
  assert.equal(await page.isDisabled('[data-testid="exercise-next-hint"]'), true);
  assert.equal(await page.isVisible('[data-testid="exercise-solution"]'), false);
  await page.click('[data-testid="exercise-show-solution"]');
  assert.match(await page.textContent('[data-testid="exercise-solution"]'), /io\.emit\("chat message", msg\)/);
});

test("what the server sends is shown as text, never as markup", T, async () => {
  await openChat();
  await page.fill(
    editor,
    'io.on("connection", (s) => s.on("chat message", () => s.emit("<img src=x onerror=window.pwned=1>", "<b>bold</b>")));',
  );
  const r = await check();
  assert.ok(
    r.results[0].lines.includes('bad: Ada did not receive chat message "hi all"; Ada received <img src=x onerror=window.pwned=1> "<b>bold</b>"'),
    JSON.stringify(r.results[0]),
  );
  assert.equal(await page.$$eval('[data-testid="exercise-results"] img, [data-testid="exercise-results"] b', (e) => e.length), 0);
  assert.equal(await page.evaluate(() => window.pwned), undefined);
});
