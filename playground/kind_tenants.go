package playground

import (
	"regexp"
	"strings"

	"socketlab/playground/socketio"
)

// The tenants demo: one dynamic namespace per organisation (/org-acme, /org-globex, …), created
// on first use and guarded by the organisation's token.
var tenantsKind = &Kind{Name: "tenants", Title: "A namespace per tenant", Setup: setupTenants, JS: tenantsJS, Show: []string{"tenants", "common"}}

var tenantNamespace = regexp.MustCompile(`^/org-[a-z0-9-]+$`)

// show:tenants
func setupTenants(in *Instance) {
	in.onNamespaces(nil)
	tokens := map[string]string{} // organisation → its token, from the demo's config
	for _, t := range in.cfg.Tenants {
		tokens[t.Name] = t.Token
	}
	orgs := in.hub().IO.OfRegexp(tenantNamespace)
	orgs.Use(func(s *socketio.Socket, next func(error)) {
		org := strings.TrimPrefix(s.Namespace().Name(), "/org-")
		if tok := tokenOf(s.Handshake().Auth); tok != "" && tok == tokens[org] {
			in.admit(s)
			next(nil)
			return
		}
		// The client gets connect_error and is never connected.
		next(&socketio.ConnectError{Message: "not authorized", Data: map[string]string{"org": org}})
	})
	orgs.OnConnection(in.common) // s.Namespace().Emit(...) only ever reaches this organisation
}

// show:end

const tenantsJS = `{{range .Namespaces}}
{{nsp .}}.use(allowEveryone);
{{nsp .}}.on("connection", common);
{{end}}
// One namespace per organisation, created on first use: /org-acme, /org-globex, …
const tokens = new Map(Object.entries({{json .Tenants}})); // organisation → its token
const orgs = io.of(/^\/org-[a-z0-9-]+$/);
orgs.use((socket, next) => {
  const org = socket.nsp.name.slice("/org-".length);
  const token = socket.handshake.auth.token;
  if (token && token === tokens.get(org)) return next();
  const err = new Error("not authorized");
  err.data = { org };
  next(err); // the client gets connect_error and is never connected
});
orgs.on("connection", common); // socket.nsp.emit(...) only ever reaches this organisation
{{template "common"}}`
