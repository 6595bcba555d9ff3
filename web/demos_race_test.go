//go:build race

package web

import "time"

// Budgets of TestDemosBrowser's speed checks. The race detector slows the hub several times over
// (and the machine with it), so the figures are loosened under it (see demos_norace_test.go).
const (
	demoStartBudget = time.Second            // three demos of four clients interactive
	demoFrameBudget = 500 * time.Millisecond // the longest gap between frames while 1,000 messages arrive
)
