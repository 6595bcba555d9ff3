//go:build race

package web

import "time"

// liveReloadBudget is how long TestBrowserLiveReload lets a save take to show in the page: the
// race detector slows the server several times over, so the 300 ms is loosened under it.
const liveReloadBudget = time.Second
