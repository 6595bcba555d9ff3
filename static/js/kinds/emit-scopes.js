/** emit-scopes: the basic scopes side by side, one button each (playground/kind_emitscopes.go). */
export default { name: "emit-scopes", composer: { scope: "broadcast", scopeButtons: true } };
