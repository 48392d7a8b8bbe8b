// Package peers finds the programs of other supervision suites that the
// benchmarks measure next to ours. runit is not installed on a test host:
// its Debian package turns /etc/service into a link to runit's directory
// (and recommends runit-run, which starts runsvdir on it), so .ci/deps
// unpacks it with dpkg-deb -x into a cache directory instead.
package peers

import (
	"os"
	"path/filepath"
)

// RunitDirEnv names the variable that overrides where the unpacked runit
// package is: the root of the tree dpkg-deb -x made (holding usr/bin).
const RunitDirEnv = "SVBRIDGE_RUNIT_DIR"

// DefaultRunitDir is where .ci/deps unpacks runit.
const DefaultRunitDir = "/var/cache/svbridge-test/runit"

// RunitBin returns the directory holding runit's programs (runsvdir, runsv,
// svlogd): $SVBRIDGE_RUNIT_DIR/usr/bin when the variable is set, else
// DefaultRunitDir/usr/bin when it holds runsvdir, else /usr/bin when runit
// is installed there; "" when none is found. runsvdir starts runsv through
// PATH, so a caller running it puts this directory first on PATH.
func RunitBin() string {
	if d := os.Getenv(RunitDirEnv); d != "" {
		return filepath.Join(d, "usr/bin")
	}
	for _, d := range []string{filepath.Join(DefaultRunitDir, "usr/bin"), "/usr/bin"} {
		if isExec(filepath.Join(d, "runsvdir")) {
			return d
		}
	}
	return ""
}

// Runit returns the path of runit's program name, or "" when it is not
// found (see RunitBin).
func Runit(name string) string {
	d := RunitBin()
	if d == "" || !isExec(filepath.Join(d, name)) {
		return ""
	}
	return filepath.Join(d, name)
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}
