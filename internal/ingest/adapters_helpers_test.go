package ingest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
)

func httptestRequest(target, form string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, target, strings.NewReader(form))
	req.Header.Set("Content-Type", formType)
	return req
}

func requestWithBearer(target, form string) *http.Request {
	req := httptestRequest(target, form)
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

func serveRecorder(h http.Handler, req *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func serve(h http.Handler, req *http.Request) int { return serveRecorder(h, req).Code }
