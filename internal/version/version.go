// Package version is the version of the suite, as "svbridge --version"
// prints it. packaging/build sets it to the packages' version (a git tag
// such as 1.2.3, or 0.0.0+gitN.HASH) with
//
//	go build -ldflags "-X github.com/svbridge/svbridge/internal/version.Version=$VERSION"
//
// A build without it (go build, go run, go install) derives one from the
// module version or the VCS information Go records in the binary, or says
// devel.
package version

import (
	"runtime/debug"
	"strings"
)

// Version is set at link time; empty otherwise.
var Version string

// String returns Version, or what the build information tells: the module
// version of "go install module@version", else "devel+git.HASH" (with
// ".dirty" for a modified tree) from a build in a git checkout (where Go
// records a pseudo-version, which is no release), else "devel".
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return fromBuildInfo(info)
}

func fromBuildInfo(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" && !pseudo(v) {
		return strings.TrimPrefix(v, "v")
	}
	var rev string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	v := "devel+git." + rev
	if dirty {
		v += ".dirty"
	}
	return v
}

// pseudo tells a Go pseudo-version (v0.0.0-20261129234000-0123456789ab,
// possibly +dirty) from a tagged one.
func pseudo(v string) bool {
	v, _, _ = strings.Cut(v, "+")
	i := strings.LastIndexByte(v, '-')
	if i < 0 || len(v)-i-1 != 12 || strings.Trim(v[i+1:], "0123456789abcdef") != "" {
		return false
	}
	rest := v[:i]
	j := strings.LastIndexAny(rest, "-.")
	return j >= 0 && len(rest)-j-1 == 14 && strings.Trim(rest[j+1:], "0123456789") == ""
}
