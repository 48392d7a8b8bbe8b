// Package e2e holds the end-to-end tests of the systemd bridge, run against
// a real systemd and journald booted in a container (package sdh, scripts
// in harness/). "go test ./internal/e2e" as root runs them; without root or
// systemd-nspawn they are skipped with the reason.
package e2e
