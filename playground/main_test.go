package playground

import (
	"testing"

	"go.uber.org/goleak"
)

// Every hub, instance, sweeper and tap goroutine must be gone when the tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
