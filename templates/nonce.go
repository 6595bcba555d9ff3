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
