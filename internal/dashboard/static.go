package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// assets are the dashboard's files: one page, its style sheet and its scripts.
//
//go:embed assets
var assets embed.FS

// assetFS is assets without the "assets/" prefix.
var assetFS = func() fs.FS {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic("dashboard: embedded assets: " + err.Error()) // a build mistake
	}
	return sub
}()

// etags are strong validators of the embedded files (which have no modification
// time), so browsers revalidate cheaply with If-None-Match.
var etags = func() map[string]string {
	m := map[string]string{}
	_ = fs.WalkDir(assetFS, ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assetFS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m[p] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return m
}()

// serveIndex is GET /: the single page.
func (d *Dashboard) serveIndex(w http.ResponseWriter, r *http.Request) {
	serveFile(w, r, "index.html")
}

// serveAsset is GET /assets/…: the embedded files, nothing else (no directory
// listings).
func (d *Dashboard) serveAsset(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean(r.URL.Path), "/assets/")
	if _, ok := etags[name]; !ok || name == "index.html" {
		http.NotFound(w, r)
		return
	}
	serveFile(w, r, name)
}

// serveFile answers with an embedded file. Everything is revalidated (no-cache),
// so an upgraded binary's page never runs with stale scripts; the ETag keeps
// that to a 304.
func serveFile(w http.ResponseWriter, r *http.Request, name string) {
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("ETag", etags[name])
	http.ServeFileFS(w, r, assetFS, name)
}
