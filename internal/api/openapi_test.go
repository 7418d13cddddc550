package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hookcast/hookcast/webhook"
)

type openAPIDocument struct {
	OpenAPI    string                                `json:"openapi"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Webhooks   map[string]map[string]json.RawMessage `json:"webhooks"`
	Components struct {
		Schemas map[string]schema `json:"schemas"`
	} `json:"components"`
}

type schema struct {
	Properties map[string]json.RawMessage `json:"properties"`
	Required   []string                   `json:"required"`
}

type operation struct {
	OperationID string `json:"operationId"`
}

func loadDoc(t *testing.T, raw []byte) openAPIDocument {
	t.Helper()
	var d openAPIDocument
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	return d
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

func TestOpenAPIWellFormed(t *testing.T) {
	doc := loadDoc(t, OpenAPI())
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	var all any
	_ = json.Unmarshal(OpenAPI(), &all)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name, ok := strings.CutPrefix(ref, "#/components/schemas/")
				if _, found := doc.Components.Schemas[name]; !ok || !found {
					t.Errorf("$ref %s resolves to nothing", ref)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(all)
	for name, s := range doc.Components.Schemas {
		for _, r := range s.Required {
			if _, ok := s.Properties[r]; !ok && s.Properties != nil {
				t.Errorf("schema %s requires %s, which it does not define", name, r)
			}
		}
	}
}

// Every route of the mux is in the document, and every /api/ operation of the
// document (but ingest, which internal/ingest serves) reaches a route of the mux.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadDoc(t, OpenAPI())
	a := New(Deps{})
	for _, rt := range a.routes() {
		if _, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]; !ok {
			t.Errorf("route %s %s is not in the OpenAPI document", rt.method, rt.path)
		}
	}
	samples := map[string]string{"{webhookId}": "7", "{deliveryId}": "7", "{secretId}": "7",
		"{accountId}": "ZG6NWV", "{webhookType}": "Feeds", "{hook}": "ready"}
	for path, item := range doc.Paths {
		if !strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/api/ingest/") {
			continue
		}
		concrete := path
		for k, v := range samples {
			concrete = strings.ReplaceAll(concrete, k, v)
		}
		if strings.Contains(concrete, "{") {
			t.Errorf("no sample value for a parameter of %s", path)
			continue
		}
		for method := range item {
			if !slices.Contains(httpMethods, method) {
				continue
			}
			req := httptest.NewRequest(strings.ToUpper(method), concrete, nil)
			if _, pattern := a.mux.Handler(req); pattern != strings.ToUpper(method)+" "+path {
				t.Errorf("%s %s (from the document) reaches pattern %q", strings.ToUpper(method), path, pattern)
			}
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, err := http.Get(b.srv.URL + "/api/openapi.json") // no Authorization
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(body, OpenAPI()) ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
}

// jsonNames lists the JSON members a Go type encodes (embedded structs flattened,
// outer names shadowing inner ones) and those encoded even when empty.
func jsonNames(typ reflect.Type) (all, always []string) {
	for i := range typ.NumField() {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if f.Anonymous && tag == "" {
			a, w := jsonNames(f.Type)
			all, always = append(all, a...), append(always, w...)
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		all = append(all, name)
		if !strings.Contains(opts, "omitempty") {
			always = append(always, name)
		}
	}
	sort.Strings(all)
	return slices.Compact(all), always
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// The schemas say exactly what the Go types send and answer.
func TestOpenAPISchemasMatchTypes(t *testing.T) {
	doc := loadDoc(t, OpenAPI())
	types := map[string]any{
		"FeedData": webhook.FeedData{}, "ViewerConnectionData": webhook.ViewerConnectionData{},
		"MediaData": webhook.MediaData{}, "RecordingData": webhook.RecordingData{},
		"TranscoderData": webhook.TranscoderData{},
		"WebhookModel":   webhookJSON{}, "DisabledInfoModel": disabledJSON{}, "Delivery": deliveryJSON{},
		"DeliveryDetail": deliveryDetail{},
		"DeliveryPage":   deliveryPage{}, "Attempt": attemptJSON{}, "Event": eventJSON{},
		"ResendResult": resendResult{}, "NewAccount": newAccountJSON{}, "Account": accountJSON{},
		"NewSecret": newSecretJSON{}, "APISecret": secretJSON{},
		"StatsPage": statsPage{}, "StatsFigures": statsJSON{}, "WebhookStats": webhookStatsJSON{},
		"PortalLink": portalJSON{},
	}
	for name, v := range types {
		s, ok := doc.Components.Schemas[name]
		if !ok {
			t.Errorf("schema %s missing", name)
			continue
		}
		all, always := jsonNames(reflect.TypeOf(v))
		if got := keys(s.Properties); !slices.Equal(got, all) {
			t.Errorf("schema %s has %v; the Go type sends %v", name, got, all)
		}
		for _, f := range always {
			if !slices.Contains(s.Required, f) {
				t.Errorf("schema %s: %s is always sent but not required", name, f)
			}
		}
	}
	for _, typ := range []string{webhook.TypeFeeds, webhook.TypeViewerConnection, webhook.TypeMedia,
		webhook.TypeRecordings, webhook.TypeTranscoder, webhook.TypeThumbnail} {
		if _, ok := doc.Webhooks[typ]["post"]; !ok {
			t.Errorf("webhooks section lacks %s", typ)
		}
	}
}

// What Millicast's document defines, ours defines too: the same operations under
// the same ids, and every property of its models.
func TestOpenAPICoversMillicastReference(t *testing.T) {
	raw, err := os.ReadFile("../../../shared/reference/millicast-webhooks-openapi.json")
	if err != nil {
		t.Skipf("reference document not beside the project: %v", err)
	}
	var ref struct {
		Paths   map[string]map[string]operation `json:"paths"`
		Schemas map[string]schema               `json:"schemas"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}
	doc := loadDoc(t, OpenAPI())
	for path, ops := range ref.Paths {
		for method, op := range ops {
			var ours operation
			if err := json.Unmarshal(doc.Paths[path][method], &ours); err != nil || ours.OperationID != op.OperationID {
				t.Errorf("%s %s: operationId %q, Millicast's %q", method, path, ours.OperationID, op.OperationID)
			}
		}
	}
	for name, s := range ref.Schemas {
		for p := range s.Properties {
			if _, ok := doc.Components.Schemas[name].Properties[p]; !ok {
				t.Errorf("schema %s lacks Millicast's property %s", name, p)
			}
		}
	}
}
