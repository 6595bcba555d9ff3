export default async function ({ connect }) {
  const a = await connect("A");
  await a.ask("sign", "Ada");
  await a.ask("hash", "sha256", "héllo", null, "hex");
  await a.ask("hash", "SHA1", "héllo", null, "base64");
  await a.ask("hash", "sha512", "héllo", null, "base64url");
  await a.ask("hash", "md5", "ff00", "hex", "hex");
  await a.ask("hash", "sha384", "aGk-_w", "base64url", "latin1");
  await a.ask("hash", "sha224", "\u00e9\u00ff", "latin1", "hex");
  await a.ask("hash", "sha256", "x", null, null);
  // what Node makes of malformed input: hex up to the first bad pair, an odd length refused,
  // base64 skipping what is not in the alphabet and ending at "="
  await a.ask("hash", "md5", "abzzcd", "hex", "hex");
  await a.ask("hash", "md5", "abc", "hex", "hex");
  await a.ask("hash", "md5", "aG!k", "base64", "hex");
  await a.ask("hash", "md5", "aGk=!!aGk", "base64url", "hex");
  await a.ask("hash", "md5", "a+/b\n", "base64url", "hex");
  await a.ask("hmac", "sha256", "k", "data", "hex");
  await a.ask("hmac", "sha1", "a key longer than the block size of sixty-four bytes, to be hashed first by HMAC", "data", "base64");
  await a.ask("bytes", new Uint8Array([1, 2, 3, 250]));
  await a.ask("equal", [1, 2, 3], [1, 2, 3]);
  await a.ask("equal", [1, 2, 3], [1, 2, 4]);
  await a.ask("equal", [1, 2], [1, 2, 3]);
  await a.ask("twice");
  await a.ask("bad");
  await a.ask("uuid");

  // The token signed on this server lets B in as Ada; a tampered one is refused.
  const [token] = await a.ask("sign", "Ada");
  a.disconnect();
  await connect("B", { auth: { signed: token } });
  await connect("C", { auth: { signed: token.replace("Ada", "Eve") } });
  await connect("D", { auth: { signed: "no dot" } });
}
