package templates

import (
	"context"

	"github.com/a-h/templ"
)

// nonceAttrs is the CSP nonce attribute for a <script>, taken from the
// context (templ.WithNonce); empty when no nonce is set.
func nonceAttrs(ctx context.Context) templ.Attributes {
	if n := templ.GetNonce(ctx); n != "" {
		return templ.Attributes{"nonce": n}
	}
	return templ.Attributes{}
}

// CSP is the Content-Security-Policy of every page (web's securityHeaders sets it, with a fresh
// nonce per response): scripts only with the nonce (and what they load, strict-dynamic), styles,
// images, fonts and connections from this origin only, no framing, no plugins.
func CSP(nonce string) string {
	return "default-src 'self'; script-src 'nonce-" + nonce + "' 'strict-dynamic'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
}
