package reliability

import (
	"testing"

	"github.com/hookcast/hookcast/internal/testpg"
)

// TestMain gives the tests of this package a throwaway PostgreSQL cluster
// (testpg), stopped when they are done.
func TestMain(m *testing.M) { testpg.Main(m) }
