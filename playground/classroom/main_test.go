package classroom

import (
	"testing"

	"go.uber.org/goleak"
)

// Every class hub, instance, sweeper and client goroutine must be gone when the tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
