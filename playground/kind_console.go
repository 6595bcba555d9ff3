package playground

// The console demo: the server's own log (connects, events, disconnects), live.
// It has only the handlers every demo has (kind_common.go).
var consoleKind = &Kind{Name: "console", Setup: setupCommonOnly, JS: commonOnlyJS, Show: []string{"common-only", "common"}}
