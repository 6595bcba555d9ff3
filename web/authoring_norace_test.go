//go:build !race

package web

import "time"

// liveReloadBudget is how long TestBrowserLiveReload lets a save take to show in the page: the
// issue's 300 ms (loosened under the race detector, see authoring_race_test.go).
const liveReloadBudget = 300 * time.Millisecond
