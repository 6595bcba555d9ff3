package classroom

import (
	"socketlab/playground"

	"net/http"
	"net/http/httptest"

	"socketlab/playground/engineio/pipenet"
)

// newClassServer serves a registry's classes like web/routes.go does.
func newClassServer(reg *playground.Registry, cr *Classroom) *httptest.Server {
	mux := http.NewServeMux()
	mux.Handle("/class/{code}/socket.io/", cr.SocketHandler())
	mux.Handle("POST /play/{demo}", reg.HandleCreate())
	mux.Handle("GET /play/{id}/tap", reg.HandleTap())
	mux.Handle("/play/{id}/socket.io/", reg.HandleSocket())
	mux.Handle("POST /play/{id}/code", reg.HandleCode())
	return httptest.NewServer(mux)
}

// newPipeListener serves a real http.Server inside a synctest bubble (pipenet).
func newPipeListener() *pipenet.Listener { return pipenet.Listen() }
