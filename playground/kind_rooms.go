package playground

// The rooms demo: sockets join and leave rooms; io.to(room) and socket.to(room) reach a room's members.
// It has only the handlers every demo has (kind_common.go).
var roomsKind = &Kind{Name: "rooms", Title: "Rooms", Setup: setupCommonOnly, JS: commonOnlyJS, Show: []string{"common-only", "common"}}
