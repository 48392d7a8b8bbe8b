// Package systemd connects svscan to systemd: sd_notify and journal streams.
// PLACEHOLDER: replaced by the bridge's real implementation.
package systemd

import "github.com/svbridge/svbridge/supervise"

// NewScanObserver returns the ScanObserver for an svscan of scanDir, or nil
// when svscan does not run under systemd.
func NewScanObserver(scanDir string) supervise.ScanObserver { return nil }
