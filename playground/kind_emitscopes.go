package playground

// The emit-scopes demo: one message sent with socket.emit, io.emit, socket.broadcast.emit … shows
// whom each scope reaches.
// It has only the handlers every demo has (kind_common.go).
var emitScopesKind = &Kind{Name: "emit-scopes", Title: "Who gets an emit", Setup: setupCommonOnly, JS: commonOnlyJS, Show: []string{"common-only", "common"}}
