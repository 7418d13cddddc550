// Package architecture checks the rooms of docs/ARCHITECTURE.md: which of
// hookcast's own packages each production package may import. A new arrow
// must be added to the table there and here together, on purpose.
package architecture

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/hookcast/hookcast/"

// mayImport is the "may import" column of docs/ARCHITECTURE.md. Packages under
// a listed one (internal/store/sqlite under internal/store) follow their own
// row when they have one, else the parent's.
var mayImport = map[string][]string{
	"webhook":              {},
	"internal/engine":      {"webhook"},
	"internal/ingest":      {"internal/engine", "internal/commit", "internal/store", "internal/httpx", "internal/thumbnail"},
	"internal/commit":      {"internal/engine", "internal/store"},
	"internal/store":       {"internal/store", "internal/store/internal/sqlutil"},
	"internal/delivery":    {"internal/store", "internal/netguard", "webhook"},
	"internal/netguard":    {},
	"internal/api":         {"internal/auth", "internal/engine", "internal/store", "internal/httpx", "internal/netguard", "internal/sample", "webhook"},
	"internal/auth":        {"internal/store", "internal/httpx"},
	"internal/dashboard":   {"internal/auth", "internal/engine", "internal/store"},
	"internal/thumbnail":   {"internal/engine", "internal/store", "webhook"},
	"internal/operational": {"internal/commit", "internal/store", "webhook"},
	"internal/retention":   {"internal/store"},
	"internal/httpx":       {},
	"internal/sample":      {"webhook"},
	"internal/cliflag":     {},
	"internal/testpg":      {},
	"cmd/hookcast":         {"internal/server", "internal/api", "internal/store", "internal/sample", "internal/cliflag", "webhook"},
	"cmd/hookbench":        {"internal/server"},
	"internal/server":      nil, // wires every room
	"tests":                nil, // tests may import anything
}

// TestImports reads every non-test Go file of the module and fails on an
// import of a hookcast package its room does not allow, and on production
// code importing tests/ or internal/testpg.
func TestImports(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == "testdata" || name == "node_modules" || strings.HasPrefix(name, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		room, allowed, ok := roomOf(rel)
		if !ok {
			t.Errorf("%s: package %s has no row in docs/ARCHITECTURE.md (nor here)", path, rel)
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if !strings.HasPrefix(p, module) {
				continue
			}
			p = strings.TrimPrefix(p, module)
			if room != "tests" && (p == "tests" || strings.HasPrefix(p, "tests/") || p == "internal/testpg") {
				t.Errorf("%s: production code imports %s", path, p)
				continue
			}
			if allowed == nil || p == rel || strings.HasPrefix(p, rel+"/") || slices.Contains(allowed, p) {
				continue
			}
			t.Errorf("%s (room %s) imports %s, which docs/ARCHITECTURE.md does not allow", path, room, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d files: is the module root right (%s)?", checked, root)
	}
}

// roomOf finds the row of a package directory: its own, or its nearest
// listed parent's.
func roomOf(dir string) (room string, allowed []string, ok bool) {
	for d := dir; d != "." && d != ""; d = filepath.ToSlash(filepath.Dir(d)) {
		if a, found := mayImport[d]; found {
			return d, a, true
		}
	}
	return "", nil, false
}
