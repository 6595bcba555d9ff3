package playground

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Bounds of a demo's tap (README "Memory bounds"): what its history keeps and what one message
// to its watchers may carry. An event's arguments arrive already cut to a preview
// (socketio.TapPreviewBytes).
const (
	// historyBytes is the tap history's byte budget (beside its historySize messages).
	historyBytes = 256 << 10
	// maxTapList is how many recipients, rooms or excepted rooms a tap message lists; it says
	// how many there were (recipientCount).
	maxTapList = 64
	// maxTapMessage is the largest tap message; a larger one (a log record with many long
	// attributes) is replaced by a short notice. A watcher's queue (subscriberQueue messages)
	// thus holds at most subscriberQueue × maxTapMessage bytes before it is dropped.
	maxTapMessage = 16 << 10
	// maxLogText is how much of a log message or attribute the console shows.
	maxLogText = 1 << 10
	// maxTapWatchers is how many tap subscriptions one instance serves at once.
	maxTapWatchers = 8
)

// sizeText is a byte count for people: "850 bytes", "2.0 KiB", "1.2 MiB" (demos.js sizeText).
func sizeText(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// clipText keeps s whole up to n bytes, else its first n bytes (whole runes) and a marker with
// its size: "aaaa… (1.2 MiB)".
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "… (" + sizeText(len(s)) + ")"
}

// clipList keeps the first maxTapList names of list.
func clipList(list []string) []string {
	if len(list) > maxTapList {
		return list[:maxTapList]
	}
	return list
}

// boundTapMessage returns msg, or a short notice in its place when it is over maxTapMessage.
func boundTapMessage(msg []byte) []byte {
	if len(msg) <= maxTapMessage {
		return msg
	}
	notice, _ := json.Marshal(map[string]any{
		"type": "log", "level": "WARN",
		"msg": fmt.Sprintf("a message of %s to this console was left out (the limit is %s)", sizeText(len(msg)), sizeText(maxTapMessage)),
	})
	return notice
}
