// Package security holds no code: its tests check, on a real `hookcast serve`
// process, who may call what (every route × every kind of credential), that
// secrets never reach the logs, and that webhooks cannot be aimed at the
// service's own network (SSRF). See docs/RELIABILITY.md.
package security
