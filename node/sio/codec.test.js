// The Socket.IO v5 packet codec and the reconnection backoff of static/js/sio.js, without a browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { encodePacket, decodePacketText, Decoder, Backoff, PacketType as T } from "../../static/js/sio.js";

const ph = (num) => ({ _placeholder: true, num });

test("encodePacket", async (t) => {
  const cases = [
    { name: "connect /", packet: { type: T.CONNECT, nsp: "/" }, want: ["0"] },
    { name: "connect with auth", packet: { type: T.CONNECT, nsp: "/admin", data: { token: "t" } }, want: ['0/admin,{"token":"t"}'] },
    { name: "disconnect nsp", packet: { type: T.DISCONNECT, nsp: "/admin" }, want: ["1/admin,"] },
    { name: "event", packet: { type: T.EVENT, nsp: "/", data: ["chat", "hi"] }, want: ['2["chat","hi"]'] },
    { name: "event with ack id", packet: { type: T.EVENT, nsp: "/x", id: 12, data: ["q"] }, want: ['2/x,12["q"]'] },
    { name: "ack", packet: { type: T.ACK, nsp: "/", id: 0, data: [] }, want: ["30[]"] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => assert.deepEqual(encodePacket(c.packet), c.want));
  }
  await t.test("binary event: placeholders in order, nested, typed arrays kept as views", () => {
    const u8 = new Uint8Array([1, 2, 3]);
    const ab = new ArrayBuffer(2);
    const got = encodePacket({ type: T.EVENT, nsp: "/", data: ["up", u8, { deep: [ab] }] });
    assert.deepEqual(got, [`52-${JSON.stringify(["up", ph(0), { deep: [ph(1)] }])}`, u8, ab]);
  });
  await t.test("binary ack", () => {
    const ab = new ArrayBuffer(1);
    assert.deepEqual(encodePacket({ type: T.ACK, nsp: "/", id: 15, data: [ab] }), [`61-15${JSON.stringify([ph(0)])}`, ab]);
  });
  await t.test("circular data throws TypeError", () => {
    const o = {};
    o.self = o;
    assert.throws(() => encodePacket({ type: T.EVENT, nsp: "/", data: ["x", o] }), TypeError);
  });
});

test("decodePacketText", async (t) => {
  const good = [
    ["0/custom", { type: T.CONNECT, nsp: "/custom" }],
    ['0{"sid":"S1","pid":"P"}', { type: T.CONNECT, nsp: "/", data: { sid: "S1", pid: "P" } }],
    ["1/admin,", { type: T.DISCONNECT, nsp: "/admin" }],
    ['2["message",1,"2",{"3":[true]}]', { type: T.EVENT, nsp: "/", data: ["message", 1, "2", { 3: [true] }] }],
    ['2/a,7["x"]', { type: T.EVENT, nsp: "/a", id: 7, data: ["x"] }],
    ["3456[]", { type: T.ACK, nsp: "/", id: 456, data: [] }],
    ['4/x,{"message":"Invalid namespace"}', { type: T.CONNECT_ERROR, nsp: "/x", data: { message: "Invalid namespace" } }],
  ];
  for (const [text, want] of good) {
    await t.test(text, () => assert.deepEqual(decodePacketText(text), want));
  }
  const bad = ["", "7", "abc", "2{}", "2abc[1]", "2[]", '2["connect"]', "2[null]", "1/a,{}", "3{}", "5-[1]", "5x-[1]", "0[1]"];
  for (const text of bad) {
    await t.test(`rejects ${JSON.stringify(text)}`, () => assert.throws(() => decodePacketText(text)));
  }
});

test("Decoder reassembles attachments and rejects stray frames", async (t) => {
  await t.test("binary event with two attachments", () => {
    const d = new Decoder();
    assert.equal(d.add(`52-/a,3${JSON.stringify(["m", ph(0), { b: ph(1) }])}`), null);
    const a = new Uint8Array([1]).buffer;
    const b = new Uint8Array([2]).buffer;
    assert.equal(d.add(a), null);
    assert.deepEqual(d.add(b), { type: T.BINARY_EVENT, nsp: "/a", id: 3, data: ["m", a, { b }] });
    assert.deepEqual(d.add('2["next"]'), { type: T.EVENT, nsp: "/", data: ["next"] });
  });
  await t.test("binary frame without a header", () => {
    assert.throws(() => new Decoder().add(new ArrayBuffer(1)), /without a binary packet/);
  });
  await t.test("text while attachments pending", () => {
    const d = new Decoder();
    d.add(`51-${JSON.stringify(["m", ph(0)])}`);
    assert.throws(() => d.add('2["x"]'), /waiting for attachments/);
  });
  await t.test("placeholder out of range", () => {
    const d = new Decoder();
    d.add(`51-${JSON.stringify(["m", ph(3)])}`);
    assert.throws(() => d.add(new ArrayBuffer(1)), /placeholder/);
  });
});

test("Backoff doubles from min, caps at max, jitter stays within ±factor", async (t) => {
  await t.test("no jitter", () => {
    const b = new Backoff({ min: 50, max: 500, jitter: 0 });
    const got = Array.from({ length: 6 }, () => b.duration());
    assert.deepEqual(got, [50, 100, 200, 400, 500, 500]);
    b.reset();
    assert.equal(b.duration(), 50);
  });
  await t.test("jitter 0.5", () => {
    for (let run = 0; run < 200; run++) {
      const b = new Backoff({ min: 1000, max: 5000, jitter: 0.5 });
      for (let n = 0; n < 5; n++) {
        const base = 1000 * 2 ** n;
        const d = b.duration();
        const lo = Math.min(5000, base * 0.5);
        const hi = Math.min(5000, base * 1.5);
        if (d < lo || d > hi) assert.fail(`attempt ${n}: got ${d}, want within [${lo}, ${hi}]`);
      }
    }
  });
});
