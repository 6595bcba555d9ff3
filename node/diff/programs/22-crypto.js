// node:crypto, the one module a program can load: a signed token checked with an HMAC (as in
// lesson 13), hashes in every encoding, a constant-time comparison, and Node's errors.
const { createHmac, createHash, timingSafeEqual } = require("node:crypto");
const crypto = require("crypto");
const SECRET = "demo-secret";

function sign(claims) {
  const data = JSON.stringify(claims);
  return data + "." + createHmac("sha256", SECRET).update(data).digest("base64url");
}

// The signature compared in constant time: both sides hashed first, so their lengths are equal.
function verify(token) {
  const at = String(token).lastIndexOf(".");
  if (at < 0) return null;
  const want = createHmac("sha256", SECRET).update(token.slice(0, at)).digest("base64url");
  const same = timingSafeEqual(createHash("sha256").update(token.slice(at + 1)).digest(), createHash("sha256").update(want).digest());
  return same ? JSON.parse(token.slice(0, at)) : null;
}

const errorOf = (f) => {
  try {
    return { value: f() };
  } catch (err) {
    return { error: err.message, code: err.code ?? null, name: err.name };
  }
};

io.use((socket, next) => {
  const token = socket.handshake.auth.signed;
  if (token === undefined) return next();
  const user = verify(token);
  if (!user) return next(new Error("invalid token"));
  socket.data.user = user.sub;
  next();
});

io.on("connection", (socket) => {
  socket.emit("hello", socket.data.user ?? null);
  socket.on("sign", (sub, ack) => ack(sign({ sub })));
  socket.on("hash", (alg, data, inEnc, outEnc, ack) => ack(errorOf(() => crypto.createHash(alg).update(data, inEnc ?? undefined).digest(outEnc ?? undefined))));
  socket.on("hmac", (alg, key, data, outEnc, ack) => ack(errorOf(() => createHmac(alg, key).update(data).digest(outEnc ?? undefined))));
  socket.on("bytes", (data, ack) => ack(errorOf(() => createHash("sha1").update(data).digest())));
  socket.on("equal", (a, b, ack) => ack(errorOf(() => timingSafeEqual(Uint8Array.from(a), Uint8Array.from(b)))));
  socket.on("twice", (ack) => {
    const h = createHash("md5").update("x");
    const m = createHmac("sha512", "k").update("x");
    h.digest("hex");
    m.digest("hex");
    ack(errorOf(() => h.digest("hex")), errorOf(() => m.digest("hex")), errorOf(() => h.update("y")));
  });
  socket.on("bad", (ack) => ack(errorOf(() => createHash("sha3-1024")), errorOf(() => createHmac("nope", "k")), errorOf(() => createHmac("sha256", 5)), errorOf(() => createHash("sha256").update(5)), errorOf(() => timingSafeEqual("ab", "ab"))));
  socket.on("uuid", (ack) => ack(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(crypto.randomUUID())));
});
