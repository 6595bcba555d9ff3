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
	// The pages' part of admission (web/classroom.go): the join form identifies the device, a
	// class page admits it like Admit.
	mux.HandleFunc("GET /join", func(w http.ResponseWriter, r *http.Request) { cr.Identify(w, r) })
	mux.HandleFunc("GET /join/{code}", func(w http.ResponseWriter, r *http.Request) {
		if _, err := cr.Admit(w, r, r.PathValue("code")); err != nil {
			http.Error(w, err.Error(), AdmitStatus(err))
		}
	})
	mux.Handle("POST /play/{demo}", reg.HandleCreate())
	mux.Handle("GET /play/{id}/tap", reg.HandleTap())
	mux.Handle("/play/{id}/socket.io/", reg.HandleSocket())
	mux.Handle("POST /play/{id}/code", reg.HandleCode())
	return httptest.NewServer(mux)
}

// newPipeListener serves a real http.Server inside a synctest bubble (pipenet).
func newPipeListener() *pipenet.Listener { return pipenet.Listen() }
