//go:build !race

package web

import "time"

// Budgets of TestDemosBrowser's speed checks: the 300 ms for three demos of four clients
// to be interactive, and no frame gap over a quarter of a second (a frozen page) while 1,000
// messages arrive. Loosened under the race detector, see demos_race_test.go.
const (
	demoStartBudget = 300 * time.Millisecond
	demoFrameBudget = 250 * time.Millisecond
)
